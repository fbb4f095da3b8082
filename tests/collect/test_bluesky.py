"""Bluesky collector against a local replay of searchPosts: paging, resume, failures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.collect import collect_bluesky, load_cursor
from pipeline.collect.bluesky import search_source
from pipeline.errors import ConfigError, SourceUnavailable
from tests.collect.conftest import NOW, load_fixture

pytestmark = pytest.mark.db

QUERY = "#pigeons"


def post_ids(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.scalars(sa.text("SELECT post_id FROM posts ORDER BY post_id")).all()


def collect(engine, api, client, **options):
    options = {"limit": 3, **options}
    return collect_bluesky(engine, QUERY, base_url=api.url, client=client, **options)


def cursor_of(engine, api, lang=None):
    return load_cursor(engine, search_source(api.url, QUERY, lang))


def test_first_run_pages_by_cursor(engine, bluesky_api, client):
    [summary] = collect(engine, bluesky_api, client)
    assert (summary.status, summary.read, summary.loaded, summary.rejected) == ("done", 7, 7, 0)
    assert [q.get("cursor") for _, q in bluesky_api.requests] == [None, "3", "6"]
    assert all(q["sort"] == "latest" and q["q"] == QUERY for _, q in bluesky_api.requests)
    assert len(post_ids(engine)) == 7
    with engine.connect() as conn:
        replies = conn.scalar(sa.text("SELECT count(*) FROM interactions WHERE kind = 'reply'"))
    assert replies == 1
    cursor = cursor_of(engine, bluesky_api)
    assert cursor["since"] == "2024-10-02T09:21:00.000Z"
    assert cursor["boundary"] == ["at://did:plc:davidpw/app.bsky.feed.post/3l6pw0000007"]


def test_second_run_fetches_only_newer_posts(engine, bluesky_api, client):
    collect(engine, bluesky_api, client)
    bluesky_api.add(load_fixture("bluesky/search_pigeons_newer.json"))
    bluesky_api.requests.clear()
    [summary] = collect(engine, bluesky_api, client)
    # since is inclusive: the boundary post comes back and is dropped before loading
    assert (summary.read, summary.loaded, summary.duplicates) == (3, 3, 0)
    assert bluesky_api.requests[0][1]["since"] == "2024-10-02T09:21:00.000Z"
    assert len(post_ids(engine)) == 10
    assert cursor_of(engine, bluesky_api)["since"] == "2024-10-02T09:30:00.000Z"

    [nothing] = collect(engine, bluesky_api, client)
    assert nothing.status == "empty"
    assert len(post_ids(engine)) == 10


def test_page_budget_leaves_a_gap_that_the_next_run_fills(engine, bluesky_api, client):
    collect(engine, bluesky_api, client)
    bluesky_api.add(load_fixture("bluesky/search_pigeons_newer.json"))
    [first] = collect(engine, bluesky_api, client, limit=1, max_pages=2)
    assert first.loaded == 2
    gap = cursor_of(engine, bluesky_api)["gap"]
    assert gap == {"since": "2024-10-02T09:21:00.000Z", "until": "2024-10-02T09:27:00.000Z"}
    [second] = collect(engine, bluesky_api, client, limit=1, max_pages=2)
    assert second.loaded == 1 and "gap" not in cursor_of(engine, bluesky_api)
    assert len(post_ids(engine)) == 10
    [third] = collect(engine, bluesky_api, client, limit=1, max_pages=2)
    assert third.status == "empty"


def test_exhausted_rate_limit_sleeps_until_the_reset(engine, bluesky_api, client, sleeper):
    def headers(n):
        return {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "0" if n == 2 else "2999",
            "RateLimit-Reset": str(int(NOW + 12)),
            "RateLimit-Policy": "3000;w=300",
        }

    bluesky_api.headers = headers
    [summary] = collect(engine, bluesky_api, client)
    assert summary.loaded == 7
    assert sleeper.calls == [pytest.approx(12.0)]


def test_too_many_requests_waits_retry_after(engine, bluesky_api, client, sleeper):
    bluesky_api.fail(429, headers={"Retry-After": "30"})
    [summary] = collect(engine, bluesky_api, client)
    assert summary.loaded == 7 and sleeper.calls == [30.0]


def test_server_error_then_success_is_retried(engine, bluesky_api, client, sleeper):
    bluesky_api.fail(500)
    [summary] = collect(engine, bluesky_api, client)
    assert summary.loaded == 7 and sleeper.calls == [1.0]


def test_source_down_is_one_clear_source_unavailable(engine, dead_url, client, sleeper):
    with pytest.raises(SourceUnavailable) as raised:
        collect_bluesky(engine, QUERY, base_url=dead_url, client=client)
    message = str(raised.value)
    assert "\n" not in message and "searchPosts" in message and "after 3 attempts" in message
    assert sleeper.calls == [1.0, 2.0] and post_ids(engine) == []


def test_rerun_from_scratch_stores_every_post_once(engine, bluesky_api, client):
    collect(engine, bluesky_api, client)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM source_cursors"))
    [same] = collect(engine, bluesky_api, client)
    assert same.status == "skipped"
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM source_cursors"))
    [again] = collect(engine, bluesky_api, client, limit=4)
    assert (again.read, again.loaded, again.duplicates) == (7, 0, 7)
    assert len(post_ids(engine)) == 7
    assert cursor_of(engine, bluesky_api)["since"] == "2024-10-02T09:21:00.000Z"


def test_filters_are_sent_and_keyed_separately(engine, bluesky_api, client):
    [summary] = collect(
        engine, bluesky_api, client, lang="fr", since="2024-10-02T09:10:00Z", until="2024-10-03"
    )
    assert summary.source == search_source(bluesky_api.url, QUERY, "fr")
    _, query = bluesky_api.requests[0]
    assert (query["lang"], query["since"], query["until"]) == (
        "fr",
        "2024-10-02T09:10:00.000Z",
        "2024-10-03T00:00:00.000Z",
    )
    assert summary.loaded == 4  # posts at 09:12 .. 09:21
    assert cursor_of(engine, bluesky_api) is None and cursor_of(engine, bluesky_api, "fr")


def test_bad_arguments_are_config_errors(engine, client):
    with pytest.raises(ConfigError):
        collect_bluesky(engine, " ", client=client)
    with pytest.raises(ConfigError):
        collect_bluesky(engine, QUERY, since="yesterday", client=client)
