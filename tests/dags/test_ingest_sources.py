"""protestwatch_ingest maps over files, Mastodon and Bluesky sources (local fake APIs)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.collect.conftest import FakeBluesky, FakeMastodon, load_fixture
from tests.dags.support import asset_events, run_dag, task_instances

pytestmark = pytest.mark.dag


@pytest.fixture
def apis():
    mastodon = FakeMastodon(load_fixture("mastodon/tag_pigeons.json"))
    bluesky = FakeBluesky(load_fixture("bluesky/search_pigeons.json"))
    yield mastodon, bluesky
    mastodon.close()
    bluesky.close()


def _loaded_by_platform(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT platform, count(*) FROM posts GROUP BY 1")).all())


def test_each_source_is_one_mapped_task_with_its_own_asset_event(
    dagbag, db_env, engine, apis, dag_scenario, tmp_path
):
    mastodon, bluesky = apis
    day = sorted(dag_scenario.glob("posts-*.jsonl"))[0]
    empty_inbox = tmp_path / "inbox"
    empty_inbox.mkdir()
    sources = [
        {"kind": "files", "path": str(day)},
        {"kind": "mastodon", "instance": mastodon.url, "hashtags": ["pigeons"], "limit": 5},
        {"kind": "bluesky", "query": "#pigeons", "base_url": bluesky.url, "limit": 5},
        {"kind": "files", "path": str(empty_inbox / "*.jsonl")},
    ]
    run = run_dag(dagbag, "protestwatch_ingest", "2012-10-04T00:00Z", {"sources": sources})
    assert run.state == "success"
    states = task_instances(run)
    assert [states[("ingest_source", i)] for i in range(4)] == [("success", 1)] * 3 + [
        ("skipped", 1)
    ]
    loaded = _loaded_by_platform(engine)
    assert set(loaded) == {"x", "mastodon", "bluesky"} and all(loaded.values())
    events = asset_events(run)
    assert sorted(e["extra"]["source"].split(":")[0] for e in events) == [
        "bluesky",
        "files",
        "mastodon",
    ]
    assert sum(e["extra"]["loaded"] for e in events) == sum(loaded.values())

    again = run_dag(dagbag, "protestwatch_ingest", "2012-10-04T01:00Z", {"sources": sources})
    assert again.state == "success"
    assert {state for state, _ in task_instances(again).values() if state != "success"} == {
        "skipped"
    }
    assert _loaded_by_platform(engine) == loaded and asset_events(again) == []
