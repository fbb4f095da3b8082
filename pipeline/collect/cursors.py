"""Where each live source resumes: one JSON cursor per source in ``source_cursors``.

A cursor is written in the same transaction as the posts it covers (see
:func:`pipeline.store.ingest_records`'s ``before_commit``), so a crash never
advances it past posts that were not stored, and a rerun resumes exactly there.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

__all__ = ["load_cursor", "save_cursor"]

_UPSERT = sa.text(
    "INSERT INTO source_cursors (source, cursor, updated_at) "
    "VALUES (:source, CAST(:cursor AS jsonb), now()) "
    "ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()"
)


def load_cursor(engine: Engine | Connection, source: str) -> dict[str, Any] | None:
    """Return the stored cursor of ``source``, or None if it never ran.

    Parameters
    ----------
    engine : Engine or Connection
        Database (or an open connection) with the current schema.
    source : str
        Source name, e.g. ``mastodon:https://mastodon.social/tag/pigeons``.
    """
    query = sa.text("SELECT cursor FROM source_cursors WHERE source = :s")
    if isinstance(engine, Connection):
        value = engine.scalar(query, {"s": source})
    else:
        with engine.connect() as conn:
            value = conn.scalar(query, {"s": source})
    return value if value is None or isinstance(value, dict) else orjson.loads(value)


def save_cursor(conn: Connection, source: str, cursor: dict[str, Any]) -> None:
    """Store ``cursor`` for ``source`` inside the caller's transaction.

    Parameters
    ----------
    conn : Connection
        Open connection; the write commits or rolls back with its transaction.
    source : str
        Source name.
    cursor : dict
        JSON-able resume state.
    """
    conn.execute(_UPSERT, {"source": source, "cursor": orjson.dumps(cursor).decode()})
