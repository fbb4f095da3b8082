"""Writes one detect window's results all or nothing, idempotently.

Every result table is partitioned by ``window_end``: the window's old rows are
deleted and the new ones inserted in one transaction, so re-running a window gives
the same rows and a crash leaves the previous state. ``movements`` is then derived
from ``movement_windows`` (first/last seen, peak, latest status and label).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store import copy_frame

__all__ = ["WindowTables", "write_window"]

_WINDOW_TABLES = {
    "windows": "movement_windows",
    "hashtags": "movement_hashtags",
    "authors": "movement_authors",
    "communities": "movement_communities",
    "lineage": "movement_lineage",
    "coordinated": "coordinated_accounts",
}


@dataclass
class WindowTables:
    """Result rows of one window, one DataFrame per table (columns as in the table)."""

    window_end: pd.Timestamp
    movements: pd.DataFrame
    windows: pd.DataFrame
    hashtags: pd.DataFrame
    authors: pd.DataFrame
    communities: pd.DataFrame
    lineage: pd.DataFrame
    coordinated: pd.DataFrame
    alerts: pd.DataFrame
    extra: dict = field(default_factory=dict)


_UPSERT_MOVEMENTS = """
INSERT INTO movements (movement_id, label, first_seen, last_seen, status, parent_ids)
SELECT movement_id, label, :w, :w, status, parent_ids FROM stg_movements
ON CONFLICT (movement_id) DO UPDATE SET label = EXCLUDED.label, updated_at = now()
"""

_REFRESH_MOVEMENTS = """
WITH agg AS (
    SELECT movement_id, min(window_end) AS first_seen, max(window_end) AS last_seen,
           max(posts) AS peak_posts,
           (array_agg(window_end ORDER BY posts DESC, window_end))[1] AS peak_at,
           (array_agg(status ORDER BY window_end DESC))[1] AS status
    FROM movement_windows
    WHERE movement_id IN (SELECT movement_id FROM stg_touched)
    GROUP BY movement_id
)
UPDATE movements AS m
SET first_seen = agg.first_seen, last_seen = agg.last_seen, peak_posts = agg.peak_posts,
    peak_at = agg.peak_at, status = agg.status, updated_at = now()
FROM agg WHERE m.movement_id = agg.movement_id
"""

_DELETE_ORPHANS = """
DELETE FROM movements AS m
WHERE m.movement_id IN (SELECT movement_id FROM stg_touched)
  AND NOT EXISTS (SELECT 1 FROM movement_windows AS w WHERE w.movement_id = m.movement_id)
"""


def write_window(conn: Connection, tables: WindowTables) -> None:
    """Replace the window's rows in every result table (call inside one transaction).

    Parameters
    ----------
    conn : Connection
        Connection inside the caller's transaction.
    tables : WindowTables
        The window's rows.
    """
    window = {"w": tables.window_end}
    conn.exec_driver_sql(
        "CREATE TEMP TABLE stg_touched (movement_id text) ON COMMIT DROP;"
        "CREATE TEMP TABLE stg_movements (movement_id text, label text, status text, "
        "parent_ids text[]) ON COMMIT DROP"
    )
    conn.execute(
        sa.text(
            "INSERT INTO stg_touched SELECT DISTINCT movement_id FROM movement_windows "
            "WHERE window_end = :w"
        ),
        window,
    )
    for table in _WINDOW_TABLES.values():
        conn.execute(sa.text(f"DELETE FROM {table} WHERE window_end = :w"), window)
    conn.execute(sa.text("DELETE FROM alerts WHERE fired_at = :w"), window)

    movements = tables.movements.copy()
    movements["parent_ids"] = [
        "{" + ",".join(f'"{p}"' for p in parents) + "}" for parents in movements["parent_ids"]
    ]
    copy_frame(conn, "stg_movements", movements, ["movement_id", "label", "status", "parent_ids"])
    conn.execute(sa.text(_UPSERT_MOVEMENTS), window)
    conn.exec_driver_sql("INSERT INTO stg_touched SELECT movement_id FROM stg_movements")
    for key, table in _WINDOW_TABLES.items():
        frame = getattr(tables, key)
        if len(frame):
            frame = frame.assign(window_end=tables.window_end)
            copy_frame(conn, table, frame, list(frame.columns))
    if len(tables.alerts):
        copy_frame(conn, "alerts", tables.alerts, list(tables.alerts.columns))
    conn.exec_driver_sql(_REFRESH_MOVEMENTS)
    conn.exec_driver_sql(_DELETE_ORPHANS)
