"""Load one live batch: the fetched pages through a platform reader, cursor in the same run."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from pipeline.collect.cursors import save_cursor
from pipeline.config import Settings
from pipeline.sources.base import Record, Rejected
from pipeline.store import IngestSummary, ingest_records

__all__ = ["load_batch"]


def load_batch(
    engine: Engine,
    source: str,
    format: str,
    pages: list[Any],
    reader: Callable[[Iterable[bytes], str], Iterator[Record | Rejected]],
    cursor: dict[str, Any] | None,
    settings: Settings,
) -> IngestSummary:
    """Load ``pages`` (decoded API responses) as one ingest run and store ``cursor``.

    Each page is re-encoded as one compact JSON line and read by ``reader``, so the
    live path and the file path share the platform mapping. The batch checksum is
    the SHA-256 of those lines; ``source`` is the endpoint name. The cursor is
    written in the run's transaction, or on its own when the same content was
    loaded before (the rows are then already there).

    Returns
    -------
    IngestSummary
        The run; ``status == "empty"`` (no run written) when no page holds posts.
    """
    if not pages:
        if cursor is not None:
            with engine.begin() as conn:
                save_cursor(conn, source, cursor)
        return IngestSummary(source, format, None, "empty")
    lines = [orjson.dumps(page) + b"\n" for page in pages]
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)

    def store_cursor(conn) -> None:
        if cursor is not None:
            save_cursor(conn, source, cursor)

    summary = ingest_records(
        engine,
        source,
        reader(lines, source),
        format=format,
        checksum=digest.hexdigest(),
        size=sum(map(len, lines)),
        chunk_size=settings.chunk_size,
        pseudonymise_key=settings.pseudonymise_key,
        before_commit=store_cursor,
    )
    if summary.status == "skipped" and cursor is not None:
        with engine.begin() as conn:
            save_cursor(conn, source, cursor)
    return summary
