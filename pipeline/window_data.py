"""Set-based SQL reads feeding one detect window.

Each function returns a small DataFrame aggregated in Postgres (counts per hour, per
movement) or the window's rows that the estimators need; nothing here loops over
posts in Python.
"""

from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "corpus_hourly",
    "institutional_uids",
    "last_alerts",
    "movement_hourly",
    "movement_window_authors",
    "previous_movements",
    "window_interactions",
    "window_post_tags",
    "window_posts",
]


_TIME_COLUMNS = {"created_at", "hour", "author_created_at", "window_end", "first_post_at"}
_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def _rows(conn: Connection, sql: str, params: dict) -> tuple[list[tuple], list[str]]:
    """Execute and fetch plain tuples, timestamps as ISO text for vectorised parsing.

    With psycopg 3 this reads through the driver cursor (several times faster than
    building SQLAlchemy rows and Python datetimes); other drivers go through
    SQLAlchemy. Parameters are bound by the driver either way.
    """
    raw = conn.connection.driver_connection
    if type(raw).__module__.startswith("psycopg."):
        from psycopg.types.string import TextLoader

        with raw.cursor() as cursor:
            cursor.adapters.register_loader("timestamptz", TextLoader)
            cursor.execute(_NAMED_PARAM.sub(r"%(\1)s", sql), params)
            columns = [d.name for d in cursor.description]
            return cursor.fetchall(), columns
    result = conn.execute(sa.text(sql), params)
    return list(map(tuple, result.fetchall())), list(result.keys())


def _frame(conn: Connection, sql: str, params: dict) -> pd.DataFrame:
    rows, columns = _rows(conn, sql, params)
    frame = pd.DataFrame(rows, columns=columns)
    for column in _TIME_COLUMNS.intersection(frame.columns):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def window_post_tags(conn: Connection, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Hashtag uses in ``[start, end)``: post_uid, author_uid, created_at, tag_norm, tag."""
    return _frame(
        conn,
        "SELECT post_uid, author_uid, created_at, tag_norm, tag FROM post_hashtags "
        "WHERE created_at >= :start AND created_at < :end",
        {"start": start, "end": end},
    )


def window_posts(
    conn: Connection,
    post_uids: list[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    stance_model: str,
) -> pd.DataFrame:
    """Full rows of the given posts of the window (those assigned to movements).

    ``stance`` is the label cached for ``stance_model`` in ``post_stance``, or null.
    """
    return _frame(
        conn,
        "SELECT p.post_uid, p.author_uid, p.author_handle, p.created_at, p.text, p.lang, "
        "p.urls, p.repost_of_uid, p.quote_of_uid, p.reply_to_uid, p.author_created_at, "
        "p.author_followers, s.stance FROM posts AS p "
        "JOIN unnest(CAST(:uids AS text[])) AS u(post_uid) USING (post_uid) "
        "LEFT JOIN post_stance AS s ON s.model = :model AND s.post_uid = p.post_uid "
        "WHERE p.created_at >= :start AND p.created_at < :end",
        {"uids": post_uids, "start": start, "end": end, "model": stance_model},
    )


def window_interactions(conn: Connection, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Author-to-author edges in ``[start, end)``, with the post that made each."""
    return _frame(
        conn,
        "SELECT src_author_uid, dst_author_uid, kind, post_uid, created_at FROM interactions "
        "WHERE created_at >= :start AND created_at < :end",
        {"start": start, "end": end},
    )


def corpus_hourly(conn: Connection, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Posts per hour over the whole corpus (the diurnal profile), zero hours included."""
    frame = _frame(
        conn,
        "SELECT date_trunc('hour', created_at) AS hour, count(*) AS posts FROM posts "
        "WHERE created_at >= :start AND created_at < :end GROUP BY 1",
        {"start": start, "end": end},
    )
    hours = pd.date_range(start, end, freq="h", inclusive="left", name="hour")
    counts = frame.set_index("hour")["posts"] if len(frame) else pd.Series(dtype="int64")
    return counts.reindex(hours, fill_value=0).astype("int64").rename("posts").reset_index()


def movement_hourly(
    conn: Connection, movement_tags: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Hourly posts, authors and new authors of each movement's hashtags over a period.

    Parameters
    ----------
    conn : Connection
        Open connection.
    movement_tags : DataFrame
        ``movement_id, tag_norm`` — the hashtags that define each movement now.
    start, end : Timestamp
        Period (baseline plus window).

    Returns
    -------
    DataFrame
        ``movement_id, hour, posts, authors, new_authors`` for hours with posts; a new
        author is one whose first post on the movement's hashtags in the period falls
        in that hour.
    """
    if movement_tags.empty:
        return pd.DataFrame(columns=["movement_id", "hour", "posts", "authors", "new_authors"])
    sql = """
    WITH m AS (
        SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:tags AS text[]))
            AS m(movement_id, tag_norm)
    ), uses AS (
        SELECT DISTINCT m.movement_id, h.post_uid, h.author_uid,
               date_trunc('hour', h.created_at) AS hour
        FROM post_hashtags AS h JOIN m USING (tag_norm)
        WHERE h.created_at >= :start AND h.created_at < :end
    ), firsts AS (
        SELECT movement_id, author_uid, min(hour) AS hour FROM uses GROUP BY 1, 2
    ), counts AS (
        SELECT movement_id, hour, count(*) AS posts, count(DISTINCT author_uid) AS authors
        FROM uses GROUP BY 1, 2
    ), fresh AS (
        SELECT movement_id, hour, count(*) AS new_authors FROM firsts GROUP BY 1, 2
    )
    SELECT c.movement_id, c.hour, c.posts, c.authors, coalesce(f.new_authors, 0) AS new_authors
    FROM counts AS c LEFT JOIN fresh AS f USING (movement_id, hour)
    ORDER BY 1, 2
    """
    return _frame(
        conn,
        sql,
        {
            "ids": movement_tags["movement_id"].tolist(),
            "tags": movement_tags["tag_norm"].tolist(),
            "start": start,
            "end": end,
        },
    )


def previous_movements(
    conn: Connection, window_end: pd.Timestamp, lookback_hours: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The latest state of movements seen in the ``lookback_hours`` before ``window_end``.

    Returns
    -------
    tags : DataFrame
        ``movement_id, tag_norm, weight`` (weight = the tag's posts in that window).
    authors : DataFrame
        ``movement_id, author_uid``.
    history : DataFrame
        ``movement_id, window_end, posts, score, rank`` of these movements' windows in
        the 7 days before ``window_end`` (for lifecycle status and alert hysteresis).
    """
    params = {"w": window_end, "lo": window_end - pd.Timedelta(hours=lookback_hours)}
    latest = """
        WITH latest AS (
            SELECT DISTINCT ON (movement_id) movement_id, window_end FROM movement_windows
            WHERE window_end < :w AND window_end >= :lo
            ORDER BY movement_id, window_end DESC
        )
    """
    tags = _frame(
        conn,
        latest + "SELECT h.movement_id, h.tag_norm, h.posts::float AS weight "
        "FROM movement_hashtags AS h JOIN latest USING (movement_id, window_end)",
        params,
    )
    authors = _frame(
        conn,
        latest + "SELECT a.movement_id, a.author_uid "
        "FROM movement_authors AS a JOIN latest USING (movement_id, window_end)",
        params,
    )
    history = _frame(
        conn,
        "SELECT movement_id, window_end, posts, score, rank FROM movement_windows "
        "WHERE window_end < :w AND window_end >= :history AND movement_id IN "
        "(SELECT movement_id FROM movement_windows WHERE window_end < :w AND window_end >= :lo)",
        {**params, "history": window_end - pd.Timedelta(days=7)},
    )
    return tags, authors, history


def last_alerts(conn: Connection, window_end: pd.Timestamp) -> pd.DataFrame:
    """Each movement's latest alert before ``window_end``: movement_id, episode, fired_at."""
    return _frame(
        conn,
        "SELECT DISTINCT ON (movement_id) movement_id, episode, fired_at AS window_end "
        "FROM alerts WHERE fired_at < :w ORDER BY movement_id, episode DESC",
        {"w": window_end},
    )


def institutional_uids(
    conn: Connection, handles: list[str], start: pd.Timestamp, end: pd.Timestamp
) -> list[str]:
    """``author_uid`` of posts in ``[start, end)`` whose handle is in ``handles``.

    ``handles`` are compared casefolded (pass them hashed when pseudonymised).
    """
    return conn.scalars(
        sa.text(
            "SELECT DISTINCT author_uid FROM posts WHERE created_at >= :start "
            "AND created_at < :end AND lower(author_handle) = ANY(CAST(:handles AS text[]))"
        ),
        {"start": start, "end": end, "handles": handles},
    ).all()


def movement_window_authors(
    conn: Connection, movement_tags: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp
) -> pd.Series:
    """Distinct authors using each movement's hashtags in ``[start, end)``."""
    if movement_tags.empty:
        return pd.Series(dtype="int64", name="authors")
    frame = _frame(
        conn,
        """
        WITH m AS (
            SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:tags AS text[]))
                AS m(movement_id, tag_norm)
        )
        SELECT m.movement_id, count(DISTINCT h.author_uid) AS authors
        FROM post_hashtags AS h JOIN m USING (tag_norm)
        WHERE h.created_at >= :start AND h.created_at < :end
        GROUP BY 1
        """,
        {
            "ids": movement_tags["movement_id"].tolist(),
            "tags": movement_tags["tag_norm"].tolist(),
            "start": start,
            "end": end,
        },
    )
    return frame.set_index("movement_id")["authors"]
