"""Mastodon collector against a local replay of the timeline API: paging, resume, failures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from pipeline.collect import collect_mastodon, load_cursor
from pipeline.errors import SourceUnavailable
from tests.collect.conftest import NOW, load_fixture

pytestmark = pytest.mark.db

TAG_PATH = "/api/v1/timelines/tag/pigeons"


def source_of(api) -> str:
    return f"mastodon:{api.url}/tag/pigeons"


def post_ids(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.scalars(sa.text("SELECT post_id FROM posts ORDER BY post_id")).all()


def collect(engine, api, client, **options):
    options = {"hashtags": ["pigeons"], "limit": 3, **options}
    return collect_mastodon(engine, api.url, client=client, **options)


def test_first_run_pages_back_through_link_headers(engine, mastodon_api, client):
    [summary] = collect(engine, mastodon_api, client)
    assert (summary.status, summary.read, summary.loaded, summary.rejected) == ("done", 7, 7, 0)
    assert summary.source == source_of(mastodon_api)
    assert [q.get("max_id") for _, q in mastodon_api.requests] == [
        None,
        "113250000000000005",
        "113250000000000002",
        "113250000000000001",
    ]
    assert len(post_ids(engine)) == 7 and post_ids(engine)[0] == "127.0.0.1/113250000000000001"
    with engine.connect() as conn:
        tags = conn.scalar(sa.text("SELECT count(*) FROM post_hashtags WHERE tag_norm = 'pigeons'"))
        source = conn.scalar(sa.text("SELECT DISTINCT source FROM posts"))
    assert tags == 7 and source == source_of(mastodon_api)
    cursor = load_cursor(engine, source_of(mastodon_api))
    assert cursor["newest_id"] == "113250000000000007"


def test_second_run_fetches_only_newer_statuses(engine, mastodon_api, client):
    collect(engine, mastodon_api, client)
    mastodon_api.add(load_fixture("mastodon/tag_pigeons_newer.json"))
    mastodon_api.requests.clear()
    [summary] = collect(engine, mastodon_api, client)
    assert (summary.read, summary.loaded, summary.duplicates) == (3, 3, 0)
    assert mastodon_api.requests[0][1]["min_id"] == "113250000000000007"
    assert all("max_id" not in q for _, q in mastodon_api.requests)
    assert len(post_ids(engine)) == 10
    assert load_cursor(engine, source_of(mastodon_api))["newest_id"] == "113250000000000010"

    mastodon_api.requests.clear()
    [nothing] = collect(engine, mastodon_api, client)
    assert nothing.status == "empty" and nothing.ingest_run_id is None
    assert mastodon_api.requests == [(TAG_PATH, {"limit": "3", "min_id": "113250000000000010"})]


def test_page_budget_stops_a_run_and_the_next_run_continues_without_gap(
    engine, mastodon_api, client
):
    collect(engine, mastodon_api, client)
    mastodon_api.add(load_fixture("mastodon/tag_pigeons_newer.json"))
    [first] = collect(engine, mastodon_api, client, limit=1, max_pages=2)
    assert first.loaded == 2
    assert load_cursor(engine, source_of(mastodon_api))["newest_id"] == "113250000000000009"
    [second] = collect(engine, mastodon_api, client, limit=1, max_pages=2)
    assert second.loaded == 1
    assert len(post_ids(engine)) == 10


def test_exhausted_rate_limit_sleeps_until_the_reset(engine, mastodon_api, client, sleeper):
    reset = datetime.fromtimestamp(NOW + 42, UTC).isoformat().replace("+00:00", "Z")

    def headers(n):
        remaining = "0" if n == 1 else "299"
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": remaining,
                "X-RateLimit-Reset": reset}  # fmt: skip

    mastodon_api.headers = headers
    [summary] = collect(engine, mastodon_api, client)
    assert summary.loaded == 7
    assert sleeper.calls == [pytest.approx(42.0)]


def test_rate_limit_wait_is_bounded_by_max_wait(engine, mastodon_api, client, sleeper):
    far = datetime.fromtimestamp(NOW + 86_400, UTC).isoformat()
    mastodon_api.fail(429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": far})
    [summary] = collect(engine, mastodon_api, client)
    assert summary.loaded == 7
    assert sleeper.calls == [600]


def test_server_error_then_success_is_retried_with_backoff(engine, mastodon_api, client, sleeper):
    mastodon_api.fail(500, 503)
    [summary] = collect(engine, mastodon_api, client)
    assert summary.loaded == 7
    assert sleeper.calls == [1.0, 2.0]
    assert [q.get("max_id") for _, q in mastodon_api.requests[:3]] == [None, None, None]


def test_source_down_is_one_clear_source_unavailable(engine, dead_url, client, sleeper):
    with pytest.raises(SourceUnavailable) as raised:
        collect_mastodon(engine, dead_url, ["pigeons"], client=client)
    message = str(raised.value)
    assert "\n" not in message and dead_url in message and "after 3 attempts" in message
    assert sleeper.calls == [1.0, 2.0]
    assert (
        post_ids(engine) == [] and load_cursor(engine, f"mastodon:{dead_url}/tag/pigeons") is None
    )


def test_failure_mid_paging_loads_nothing_and_keeps_the_cursor(engine, mastodon_api, client):
    collect(engine, mastodon_api, client)
    mastodon_api.add(load_fixture("mastodon/tag_pigeons_newer.json"))
    mastodon_api.requests.clear()

    original = mastodon_api.route
    calls = []

    def flaky(path, query):
        calls.append(path)
        if len(calls) > 1:
            return 502, {}, b"{}"
        return original(path, query)

    mastodon_api.route = flaky
    with pytest.raises(SourceUnavailable):
        collect(engine, mastodon_api, client, limit=1)
    assert len(post_ids(engine)) == 7
    assert load_cursor(engine, source_of(mastodon_api))["newest_id"] == "113250000000000007"
    mastodon_api.route = original
    [summary] = collect(engine, mastodon_api, client, limit=1)
    assert summary.loaded == 3 and len(post_ids(engine)) == 10


def test_rerun_from_scratch_stores_every_status_once(engine, mastodon_api, client):
    collect(engine, mastodon_api, client)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM source_cursors"))
    [same] = collect(engine, mastodon_api, client)
    assert same.status == "skipped"  # identical batch content: already loaded
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM source_cursors"))
    [other_pages] = collect(engine, mastodon_api, client, limit=2)
    assert (other_pages.read, other_pages.loaded, other_pages.duplicates) == (7, 0, 7)
    assert len(post_ids(engine)) == 7
    assert load_cursor(engine, source_of(mastodon_api))["newest_id"] == "113250000000000007"


def test_public_local_timeline_has_its_own_source_and_parameters(engine, mastodon_api, client):
    [summary] = collect_mastodon(engine, mastodon_api.url, public=True, local=True, client=client)
    assert summary.source == f"mastodon:{mastodon_api.url}/public/local"
    assert mastodon_api.requests[0] == (
        "/api/v1/timelines/public",
        {"local": "true", "limit": "40"},
    )
    with engine.connect() as conn:
        authors = conn.scalars(sa.text("SELECT DISTINCT author_handle FROM posts ORDER BY 1")).all()
    assert authors == ["alice@mastodon.social", "chloe@mastodon.social"]  # local accounts


def test_not_found_is_not_retried(engine, mastodon_api, client, sleeper):
    mastodon_api.fail(404)
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        collect(engine, mastodon_api, client)
    assert sleeper.calls == [] and len(mastodon_api.requests) == 1
