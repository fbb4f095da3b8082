"""Hand-built rows for the view tests: insert table rows directly, with defaults.

Each ``*_row`` function returns one row as a dict with every NOT NULL column filled;
keyword arguments override. :func:`insert` writes rows into a table as given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

T0 = datetime(2012, 10, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def insert(conn: Connection, table: str, rows: Iterable[dict]) -> None:
    """INSERT ``rows`` into ``table`` (jsonb values given as dicts or lists)."""
    rows = [
        {k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()} for row in rows
    ]
    for row in rows:
        columns = list(row)
        conn.execute(
            sa.text(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)})"
            ),
            row,
        )


def select(conn: Connection, query: str, **params) -> list[dict]:
    """Rows of ``query`` as dicts."""
    return [dict(row) for row in conn.execute(sa.text(query), params).mappings()]


def movement_row(movement_id: str, label: str, **over) -> dict:
    row = {
        "movement_id": movement_id,
        "label": label,
        "first_seen": T0,
        "last_seen": T0,
        "status": "emerging",
        "parent_ids": [],
        "peak_posts": 0,
        "peak_at": None,
    }
    return row | over


def window_row(movement_id: str, window_end: datetime, rank: int, score: float, **over) -> dict:
    row = {
        "window_end": window_end,
        "movement_id": movement_id,
        "status": "emerging",
        "posts": 40,
        "authors": 20,
        "new_authors": 10,
        "expected": 4.0,
        "growth": 10.0,
        "surprise": 12.0,
        "acceleration": 2.0,
        "burst": 1.0,
        "new_author_share": 0.5,
        "emergence": 0.75,
        "n_against": 30,
        "n_favour": 2,
        "n_none": 8,
        "opposition": 0.75,
        "institutional_share": 0.0,
        "grassroots": 0.75,
        "coordination": 0.0,
        "score": score,
        "rank": rank,
    }
    return row | over


def hashtag_row(movement_id: str, window_end: datetime, tag: str, posts: int, **over) -> dict:
    row = {
        "window_end": window_end,
        "movement_id": movement_id,
        "tag_norm": tag.casefold(),
        "tag": tag,
        "posts": posts,
        "authors": posts // 2,
    }
    return row | over


def author_row(movement_id: str, window_end: datetime, author_uid: str, **over) -> dict:
    row = {
        "window_end": window_end,
        "movement_id": movement_id,
        "author_uid": author_uid,
        "posts": 3,
        "first_post_at": window_end - 10 * HOUR,
        "community": 0,
    }
    return row | over


def alert_row(movement_id: str, fired_at: datetime, **over) -> dict:
    evidence = {
        "posts": 40,
        "authors": 20,
        "new_authors": 10,
        "expected": 4.0,
        "growth": 10.0,
        "surprise": 12.0,
        "emergence": 0.75,
        "opposition": 0.75,
        "grassroots": 0.75,
        "coordination": 0.0,
        "stance": {"against": 30, "favour": 2, "none": 8},
        "hashtags": ["geonpi", "Pigeons"],
        "sample_posts": [{"post_uid": "x:1", "text": "Non au #PLF2013 #geonpi"}],
        "communities": [{"community": 0, "share": 0.75}],
        "coordinated": False,
        "coordinated_accounts": 0,
    }
    row = {
        "movement_id": movement_id,
        "episode": 1,
        "fired_at": fired_at,
        "score": 0.5,
        "reason": "score 0.50: 40 posts vs 4.0 expected",
        "evidence": evidence,
    }
    return row | over


def ingest_run_row(source: str, started_at: datetime, **over) -> dict:
    row = {
        "source": source,
        "format": "x_v2",
        "checksum": f"sha-{source}-{started_at:%H%M}",
        "bytes": 1000,
        "status": "done",
        "forced": False,
        "started_at": started_at,
        "finished_at": started_at + timedelta(minutes=2),
        "n_read": 10,
        "n_loaded": 8,
        "n_duplicate": 1,
        "n_rejected": 1,
        "n_hashtags": 12,
        "n_interactions": 5,
        "error": None,
    }
    return row | over


def post_row(post_uid: str, created_at: datetime, ingest_run_id: int, **over) -> dict:
    platform, post_id = post_uid.split(":", 1)
    row = {
        "post_uid": post_uid,
        "platform": platform,
        "post_id": post_id,
        "author_uid": "x:1001",
        "author_handle": "gpigeon",
        "created_at": created_at,
        "text": f"post {post_uid} #geonpi",
        "source": "a.jsonl",
        "ingest_run_id": ingest_run_id,
    }
    return row | over


def insert_posts(conn: Connection, rows: list[dict]) -> None:
    """Insert posts, creating their monthly partitions first."""
    times = [r["created_at"] for r in rows]
    conn.execute(
        sa.text("SELECT protestwatch_ensure_partitions(:lo, :hi)"),
        {"lo": min(times), "hi": max(times)},
    )
    insert(conn, "posts", rows)
