"""Postgres writes: COPY-based idempotent ingest and per-window result partitions.

Ingest: each input file is one transaction. Its chunks are COPYed into temporary
staging tables and moved with set-based ``INSERT ... ON CONFLICT DO NOTHING``, so a
post seen before (other file, other format, rerun) is counted as a duplicate and
stored once. A crash rolls the whole file back; ``ingest_runs`` then holds a
``failed`` row with the error and a rerun loads the file from scratch. A file whose
checksum already has a ``done`` run is skipped unless ``force``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.normalize import POST_COLUMNS, normalize_chunk
from pipeline.sources.base import Record, Rejected

__all__ = [
    "IngestSummary",
    "copy_frame",
    "file_checksum",
    "ingest_records",
]

log = logging.getLogger(__name__)

_HASHTAG_COLUMNS = ["post_uid", "created_at", "author_uid", "tag", "tag_norm"]
_INTERACTION_COLUMNS = ["src_author_uid", "dst_author_uid", "kind", "post_uid", "created_at"]
_REJECT_COLUMNS = ["ingest_run_id", "source", "line", "reason", "raw"]


@dataclass
class IngestSummary:
    """Outcome of ingesting one source; ``read == loaded + duplicates + rejected``."""

    source: str
    format: str
    ingest_run_id: int | None
    status: str
    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0
    hashtags: int = 0
    interactions: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """JSON-able form, as returned by Airflow tasks."""
        return asdict(self)


def file_checksum(path: Path, block: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes as stored (compressed files hash compressed)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> int:
    """COPY a DataFrame into ``table`` as CSV written by pyarrow (vectorised).

    Parameters
    ----------
    conn : sqlalchemy.engine.Connection
        Open connection inside the caller's transaction.
    table : str
        Target table (a trusted identifier, never user input).
    frame : pandas.DataFrame
        Rows to copy; ``None``/NaN/NaT become SQL NULL, empty strings stay empty.
    columns : list of str
        Columns of ``frame`` and ``table`` to fill, in order.

    Returns
    -------
    int
        Rows copied.
    """
    if frame.empty:
        return 0
    arrow = pa.Table.from_pandas(frame[columns], preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(
        arrow, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="needed")
    )
    data = buffer.getvalue()
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        if hasattr(cursor, "copy"):  # psycopg 3
            with cursor.copy(statement) as copy:
                copy.write(data)
        else:  # psycopg2
            cursor.copy_expert(statement, io.BytesIO(data))
    return len(frame)


_STAGING = """
CREATE TEMP TABLE stg_posts ON COMMIT DROP AS SELECT * FROM posts WITH NO DATA;
CREATE TEMP TABLE stg_post_hashtags ON COMMIT DROP AS SELECT * FROM post_hashtags WITH NO DATA;
CREATE TEMP TABLE stg_interactions ON COMMIT DROP AS SELECT * FROM interactions WITH NO DATA;
"""

_MOVE_POSTS = f"""
INSERT INTO posts ({", ".join(POST_COLUMNS)}, ingest_run_id)
SELECT DISTINCT ON (post_uid, created_at) {", ".join(POST_COLUMNS)}, :run
FROM stg_posts
ORDER BY post_uid, created_at
ON CONFLICT DO NOTHING
"""
_MOVE_HASHTAGS = """
INSERT INTO post_hashtags SELECT * FROM stg_post_hashtags ON CONFLICT DO NOTHING
"""
_MOVE_INTERACTIONS = """
INSERT INTO interactions SELECT * FROM stg_interactions ON CONFLICT DO NOTHING
"""


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _previous_done_run(conn: Connection, checksum: str) -> int | None:
    return conn.scalar(
        sa.text(
            "SELECT ingest_run_id FROM ingest_runs WHERE checksum = :c AND status = 'done' "
            "ORDER BY ingest_run_id DESC LIMIT 1"
        ),
        {"c": checksum},
    )


def _load_chunk(conn: Connection, run_id: int, items: list, pseudonymise_key) -> dict:
    records = [item for item in items if isinstance(item, Record)]
    rejected = [item for item in items if isinstance(item, Rejected)]
    chunk = normalize_chunk(records, pseudonymise_key=pseudonymise_key)
    rejected.extend(chunk.rejected)
    counts = {"read": len(items), "loaded": 0, "rejected": len(rejected), "hashtags": 0}
    counts["interactions"] = 0
    if len(chunk.posts):
        lo, hi = chunk.posts["created_at"].min(), chunk.posts["created_at"].max()
        conn.execute(
            sa.text("SELECT protestwatch_ensure_partitions(:lo, :hi)"), {"lo": lo, "hi": hi}
        )
        conn.exec_driver_sql("TRUNCATE stg_posts, stg_post_hashtags, stg_interactions")
        copy_frame(conn, "stg_posts", chunk.posts, POST_COLUMNS)
        copy_frame(conn, "stg_post_hashtags", chunk.hashtags, _HASHTAG_COLUMNS)
        copy_frame(conn, "stg_interactions", chunk.interactions, _INTERACTION_COLUMNS)
        counts["loaded"] = conn.execute(sa.text(_MOVE_POSTS), {"run": run_id}).rowcount
        counts["hashtags"] = conn.execute(sa.text(_MOVE_HASHTAGS)).rowcount
        counts["interactions"] = conn.execute(sa.text(_MOVE_INTERACTIONS)).rowcount
    if rejected:
        frame = pd.DataFrame(
            {
                "ingest_run_id": run_id,
                "source": [r.source for r in rejected],
                "line": [r.line for r in rejected],
                "reason": [r.reason for r in rejected],
                "raw": [r.raw.replace("\x00", "") for r in rejected],
            }
        )
        copy_frame(conn, "rejected_records", frame, _REJECT_COLUMNS)
    return counts


def ingest_records(
    engine: Engine,
    source: str,
    records: Iterable[Record | Rejected],
    *,
    format: str,
    checksum: str,
    size: int | None = None,
    force: bool = False,
    chunk_size: int = 50_000,
    pseudonymise_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[Connection], None] | None = None,
) -> IngestSummary:
    """Load one source's records in one transaction, idempotently.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Target database (schema up to date).
    source : str
        Name of the input (file path or endpoint), stored with every row.
    records : iterable of Record or Rejected
        The reader's output; consumed lazily in chunks of ``chunk_size``.
    format : str
        Reader name, recorded in ``ingest_runs``.
    checksum : str
        Identity of the input's content; a ``done`` run with the same checksum makes
        this call a no-op unless ``force``.
    size : int, optional
        Size in bytes, recorded.
    force : bool
        Load even if the same content was loaded before (rows already present are
        counted as duplicates, never doubled).
    chunk_size : int
        Records per COPY chunk; bounds memory.
    pseudonymise_key : bytes, optional
        Key for keyed hashing of author ids and handles.
    progress : callable, optional
        Called with the number of records read in each chunk.
    before_commit : callable, optional
        Called with the open connection after the last chunk, inside the run's
        transaction, so its writes (e.g. a live source's resume cursor) commit or
        roll back with the rows; not called when the run is skipped.

    Returns
    -------
    IngestSummary
        Counts of the run; ``status`` is ``done`` or ``skipped``.
    """
    started = time.perf_counter()
    with engine.connect() as conn:
        previous = _previous_done_run(conn, checksum)
    if previous is not None and not force:
        log.info("%s: already loaded by ingest run %s, skipped", source, previous)
        return IngestSummary(source, format, previous, "skipped")
    totals = {"read": 0, "loaded": 0, "rejected": 0, "hashtags": 0, "interactions": 0}
    try:
        with engine.begin() as conn:
            run_id = conn.scalar(
                sa.text(
                    "INSERT INTO ingest_runs (source, format, checksum, bytes, status, forced) "
                    "VALUES (:s, :f, :c, :b, 'running', :force) RETURNING ingest_run_id"
                ),
                {"s": source, "f": format, "c": checksum, "b": size, "force": force},
            )
            conn.exec_driver_sql(_STAGING)
            for items in _chunks(records, chunk_size):
                counts = _load_chunk(conn, run_id, items, pseudonymise_key)
                for key, value in counts.items():
                    totals[key] += value
                if progress:
                    progress(len(items))
            duplicates = totals["read"] - totals["loaded"] - totals["rejected"]
            conn.execute(
                sa.text(
                    "UPDATE ingest_runs SET status = 'done', finished_at = clock_timestamp(), "
                    "n_read = :read, n_loaded = :loaded, n_duplicate = :dup, "
                    "n_rejected = :rejected, "
                    "n_hashtags = :hashtags, n_interactions = :interactions "
                    "WHERE ingest_run_id = :run"
                ),
                {**totals, "dup": duplicates, "run": run_id},
            )
            if before_commit is not None:
                before_commit(conn)
    except Exception as exc:
        _record_failure(engine, source, format, checksum, size, force, exc)
        raise
    return IngestSummary(
        source,
        format,
        run_id,
        "done",
        read=totals["read"],
        loaded=totals["loaded"],
        duplicates=duplicates,
        rejected=totals["rejected"],
        hashtags=totals["hashtags"],
        interactions=totals["interactions"],
        seconds=time.perf_counter() - started,
    )


def _record_failure(engine, source, format, checksum, size, force, exc) -> None:
    """Keep a ``failed`` row for a run that was rolled back (best effort)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO ingest_runs (source, format, checksum, bytes, status, forced, "
                    "finished_at, error) VALUES (:s, :f, :c, :b, 'failed', :force, now(), :e)"
                ),
                {
                    "s": source,
                    "f": format,
                    "c": checksum,
                    "b": size,
                    "force": force,
                    "e": str(exc)[:2000],
                },
            )
    except sa.exc.SQLAlchemyError:
        log.warning("could not record the failure of %s", source)
