"""Every query of the docs/schema.md cookbook runs as a reader and returns rows.

The database holds a small pension-reform movement and the pigeons, with windows,
alerts, ingest runs and detect runs in the last hours before now (the cookbook asks
about "the last 6 hours" and "this week").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from pipeline.database import SQL_DIR
from tests.conftest import truncate_all
from tests.sql.rows import (
    HOUR,
    alert_row,
    author_row,
    hashtag_row,
    ingest_run_row,
    insert,
    insert_posts,
    movement_row,
    post_row,
    window_row,
)

pytestmark = pytest.mark.db

DOC = SQL_DIR.parent / "docs" / "schema.md"


def cookbook_queries() -> list[str]:
    """The ```sql blocks of the "## Cookbook" section."""
    text = DOC.read_text()
    section = text.split("\n## Cookbook", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sql\n(.*?)^```", section, re.MULTILINE | re.DOTALL)


QUERIES = cookbook_queries()


def test_the_cookbook_has_the_questions_analysts_ask():
    assert len(QUERIES) >= 10
    text = " ".join(QUERIES)
    for view in ("mart_emerging_opposition", "mart_movement_authors", "mart_alerts",
                 "mart_ingest_health", "mart_movement_timeline"):  # fmt: skip
        assert view in text


@pytest.fixture(scope="module", autouse=True)
def populated(engine):
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    windows = [now - n * HOUR for n in range(6, -1, -1)]  # 7 hourly windows up to now
    truncate_all(engine)
    with engine.begin() as conn:
        insert(
            conn,
            "movements",
            [
                movement_row("mv-pension", "#retraites #reformedesretraites",
                             first_seen=windows[0], last_seen=now, status="growing"),
                movement_row("mv-pigeons", "#geonpi #pigeons", first_seen=windows[3],
                             last_seen=now, parent_ids=["mv-pension"]),
            ],
        )  # fmt: skip
        for i, w in enumerate(windows):
            insert(
                conn,
                "movement_windows",
                [window_row("mv-pension", w, rank=1, score=0.5, posts=10 * (i + 1))],
            )
            insert(
                conn,
                "movement_hashtags",
                [
                    hashtag_row("mv-pension", w, "retraites", 10 * (i + 1)),
                    hashtag_row("mv-pension", w, "reformedesretraites", 5 * (i + 1)),
                ],
            )
            insert(conn, "detect_runs", [
                {"window_end": w, "status": "done", "started_at": w,
                 "finished_at": w + timedelta(minutes=1), "seconds": 42.0},
            ])  # fmt: skip
        for w in windows[3:]:
            insert(
                conn,
                "movement_windows",
                [window_row("mv-pigeons", w, rank=2, score=0.25, coordination=0.5)],
            )
            insert(conn, "movement_hashtags", [hashtag_row("mv-pigeons", w, "geonpi", 30)])
        insert(conn, "movement_hashtags", [hashtag_row("mv-pension", now, "grevegenerale", 8)])
        insert(
            conn,
            "movement_authors",
            [
                author_row("mv-pigeons", windows[3], "x:1", first_post_at=windows[3] - 5 * HOUR),
                author_row("mv-pigeons", now, "x:2", first_post_at=now - 2 * HOUR),
                author_row("mv-pension", now, "x:3", first_post_at=now - 3 * HOUR),
            ],
        )
        insert(
            conn,
            "coordinated_accounts",
            [
                {"window_end": now, "movement_id": "mv-pigeons", "author_uid": "x:2",
                 "grp": 0, "reasons": "co-post", "score": 0.75},
            ],
        )  # fmt: skip
        insert(
            conn,
            "movement_communities",
            [
                {"window_end": now, "movement_id": "mv-pension", "community": 0,
                 "authors": 12, "posts": 50, "share": 0.75},
            ],
        )  # fmt: skip
        insert(
            conn,
            "movement_lineage",
            [
                {"window_end": windows[3], "movement_id": "mv-pigeons",
                 "related_id": "mv-pension", "kind": "split_from", "similarity": 0.5},
            ],
        )  # fmt: skip
        insert(conn, "alerts", [alert_row("mv-pension", windows[2])])
        insert(
            conn,
            "ingest_runs",
            [
                ingest_run_row("mastodon:https://mastodon.social/tag/retraites",
                               now - 2 * HOUR, format="mastodon"),
                ingest_run_row("data/posts.jsonl", now - HOUR, status="failed",
                               n_read=0, n_loaded=0, n_duplicate=0, n_rejected=0,
                               error="could not decode line 3"),
            ],
        )  # fmt: skip
        insert_posts(conn, [post_row("x:1", now - 3 * HOUR, 1)])
    return engine


@pytest.mark.parametrize("query", QUERIES, ids=[f"query{i + 1}" for i in range(len(QUERIES))])
def test_cookbook_query_runs_as_a_reader_and_returns_rows(analyst, query):
    # the raw DBAPI cursor, as psql or a dashboard would send the text
    with analyst.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(query)
        rows = cursor.fetchall()
    assert rows, f"no rows for:\n{query}"
