"""Postgres writes: COPY-based idempotent ingest and per-window result partitions.

Ingest: each input file is one transaction. Its chunks are COPYed into temporary
staging tables and moved with set-based ``INSERT ... ON CONFLICT DO NOTHING``, so a
post seen before (other file, other format, rerun) is counted as a duplicate and
stored once, with the hashtags and interactions of its first stored version. A
crash rolls the whole file back; ``ingest_runs`` then holds a ``failed`` row with
the error and a rerun loads the file from scratch. A file whose
checksum already has a ``done`` run is skipped unless ``force``.

Throughput: records are normalised into Arrow tables (:func:`normalize_tables`) and
written as CSV straight from Arrow; the database work of a chunk (COPY, moves) runs
in a writer thread while the next chunk is read and normalised, so parsing and
Postgres overlap; the cyclic garbage collector is paused while a file loads (the
records are acyclic and freed by reference counting) and the GIL switch interval is
shortened so the writer thread is not starved by the parsing thread.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.normalize import POST_COLUMNS, ArrowChunk, normalize_tables
from pipeline.sources.base import Record, Rejected

__all__ = [
    "IngestSummary",
    "copy_frame",
    "copy_table",
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


def _utc_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``YYYY-MM-DD hh:mm:ss.ffffffZ`` of a tz-aware timestamp column.

    Arrow stores UTC instants, so the naive cast is the UTC wall time; formatting
    that is ~15x faster than letting the CSV writer convert every value's zone.
    """
    naive = column.cast(pa.timestamp(column.type.unit))
    return pc.binary_join_element_wise(naive.cast(pa.string()), "Z", "")


def _copy_csv(conn: Connection, table: str, arrow: pa.Table) -> None:
    for index, field in enumerate(arrow.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            arrow = arrow.set_column(index, field.name, _utc_text(arrow.column(index)))
    sink = io.BytesIO()
    pa_csv.write_csv(arrow, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    data = sink.getbuffer()
    statement = f"COPY {table} ({', '.join(arrow.column_names)}) FROM STDIN WITH (FORMAT csv)"
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        if hasattr(cursor, "copy"):  # psycopg 3
            with cursor.copy(statement) as copy:
                copy.write(data)
        else:  # psycopg2
            cursor.copy_expert(statement, io.BytesIO(data))


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
    _copy_csv(conn, table, pa.Table.from_pandas(frame[columns], preserve_index=False))
    return len(frame)


def copy_table(conn: Connection, table: str, arrow: pa.Table) -> int:
    """COPY an Arrow table into ``table`` (its column names are the target columns).

    Same contract as :func:`copy_frame`, without a pandas round trip; nulls become
    SQL NULL, empty strings stay empty.
    """
    if not arrow.num_rows:
        return 0
    _copy_csv(conn, table, arrow)
    return arrow.num_rows


_STAGING = """
CREATE TEMP TABLE stg_posts ON COMMIT DROP AS SELECT * FROM posts WITH NO DATA;
CREATE TEMP TABLE stg_post_hashtags ON COMMIT DROP AS SELECT * FROM post_hashtags WITH NO DATA;
CREATE TEMP TABLE stg_interactions ON COMMIT DROP AS SELECT * FROM interactions WITH NO DATA;
"""

# One statement moves a chunk. A post already stored (other file, other format,
# rerun) is skipped by ON CONFLICT, and so are its hashtags and interactions: they
# are inserted only for the posts this statement inserted (``new``), which is why
# they need no ON CONFLICT of their own (normalisation already made them unique per
# post). The first version of a post stored wins, with its hashtags and edges. A
# post repeated inside one chunk conflicts with its first copy, inserted by the
# same statement, and is skipped too (DO NOTHING needs no DISTINCT ON and its sort).
_MOVE = f"""
WITH new AS (
    INSERT INTO posts ({", ".join(POST_COLUMNS)}, ingest_run_id)
    SELECT {", ".join(POST_COLUMNS)}, :run FROM stg_posts
    ON CONFLICT DO NOTHING
    RETURNING post_uid, created_at
), tags AS (
    INSERT INTO post_hashtags
    SELECT h.* FROM stg_post_hashtags h JOIN new USING (post_uid, created_at)
    RETURNING 1
), edges AS (
    INSERT INTO interactions
    SELECT i.* FROM stg_interactions i JOIN new USING (post_uid, created_at)
    RETURNING 1
)
SELECT (SELECT count(*) FROM new), (SELECT count(*) FROM tags), (SELECT count(*) FROM edges)
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


def _reject_table(run_id: int, rejected: list[Rejected]) -> pa.Table:
    return pa.table(
        {
            "ingest_run_id": pa.array([run_id] * len(rejected), type=pa.int64()),
            "source": [r.source for r in rejected],
            "line": pa.array([r.line for r in rejected], type=pa.int64()),
            "reason": [r.reason for r in rejected],
            "raw": [r.raw.replace("\x00", "") for r in rejected],
        }
    )


def _load_chunk(conn: Connection, run_id: int, chunk: ArrowChunk, read: int) -> dict:
    """Write one normalised chunk inside the file's transaction; return its counts."""
    rejected = chunk.rejected
    counts = {"read": read, "loaded": 0, "rejected": len(rejected), "hashtags": 0}
    counts["interactions"] = 0
    posts = chunk.posts
    if posts.num_rows:
        lo, hi = pc.min_max(posts["created_at"]).values()
        conn.execute(
            sa.text("SELECT protestwatch_ensure_partitions(:lo, :hi)"),
            {"lo": lo.as_py(), "hi": hi.as_py()},
        )
        conn.exec_driver_sql("TRUNCATE stg_posts, stg_post_hashtags, stg_interactions")
        copy_table(conn, "stg_posts", posts)
        copy_table(conn, "stg_post_hashtags", chunk.hashtags)
        copy_table(conn, "stg_interactions", chunk.interactions)
        moved = conn.execute(sa.text(_MOVE), {"run": run_id}).one()
        counts["loaded"], counts["hashtags"], counts["interactions"] = moved
    if rejected:
        copy_table(conn, "rejected_records", _reject_table(run_id, rejected))
    return counts


_DONE = object()


class _Writer:
    """Runs :func:`_load_chunk` for queued chunks in a thread, one at a time.

    The caller's thread keeps reading and normalising the next chunk meanwhile (the
    database driver releases the GIL while it waits on the server). The connection
    is used by this thread only between :meth:`start` and :meth:`finish`. At most
    one chunk waits in the queue, so memory stays bounded.
    """

    def __init__(self, conn: Connection, run_id: int) -> None:
        self.conn, self.run_id = conn, run_id
        self.todo: queue.Queue = queue.Queue(maxsize=1)
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)

    def start(self) -> _Writer:
        self.thread.start()
        return self

    def _run(self) -> None:
        while (item := self.todo.get()) is not _DONE:
            if self.error is not None:
                continue  # drain after a failure
            chunk, read = item
            del item  # hold no chunk while waiting for the next one
            try:
                self.done.put(_load_chunk(self.conn, self.run_id, chunk, read))
            except BaseException as exc:  # re-raised in the caller's thread
                self.error = exc
            del chunk

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, chunk: ArrowChunk, read: int) -> None:
        """Queue a chunk (blocks while the previous one waits); raise a writer error."""
        while True:
            self._check()
            try:
                self.todo.put((chunk, read), timeout=0.2)
                return
            except queue.Full:
                continue

    def finished(self) -> Iterator[dict]:
        """Counts of the chunks written since the last call."""
        while True:
            try:
                yield self.done.get_nowait()
            except queue.Empty:
                return

    def finish(self) -> None:
        """Wait until every queued chunk is written; raise a writer error."""
        self.todo.put(_DONE)
        self.thread.join()
        self._check()


# While the main thread parses (pure Python, holding the GIL), the writer thread
# needs the GIL back after every wait on the server socket, e.g. every 128 KiB of a
# COPY. With the default 5 ms switch interval that alone capped COPY at ~25 MB/s.
_SWITCH_INTERVAL = 0.0002


@contextlib.contextmanager
def _loading() -> Iterator[None]:
    """Tune the interpreter while a file loads: no cyclic GC, short GIL switches.

    A file's records are acyclic and die by reference counting, so the cyclic
    collector only burns time scanning them. Both settings are restored after.
    """
    enabled = gc.isenabled()
    interval = sys.getswitchinterval()
    gc.disable()
    sys.setswitchinterval(min(interval, _SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if enabled:
            gc.enable()


def ingest_records(
    engine: Engine,
    source: str,
    records: Iterable[Record | Rejected],
    *,
    format: str,
    checksum: str,
    size: int | None = None,
    force: bool = False,
    chunk_size: int = 10_000,
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

    def add(counts: dict) -> None:
        for key, value in counts.items():
            totals[key] += value
        if progress:
            progress(counts["read"])

    try:
        with _loading(), engine.begin() as conn:
            run_id = conn.scalar(
                sa.text(
                    "INSERT INTO ingest_runs (source, format, checksum, bytes, status, forced) "
                    "VALUES (:s, :f, :c, :b, 'running', :force) RETURNING ingest_run_id"
                ),
                {"s": source, "f": format, "c": checksum, "b": size, "force": force},
            )
            conn.exec_driver_sql(_STAGING)
            writer = _Writer(conn, run_id).start()
            try:
                for items in _chunks(records, chunk_size):
                    found = [item for item in items if type(item) is Record]
                    chunk = normalize_tables(found, pseudonymise_key=pseudonymise_key)
                    if len(found) < len(items):
                        chunk.rejected[:0] = [i for i in items if type(i) is not Record]
                    del found
                    writer.put(chunk, len(items))
                    del chunk, items
                    for counts in writer.finished():
                        add(counts)
            finally:
                writer.finish()  # on error too: the connection is free again after this
            for counts in writer.finished():
                add(counts)
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
