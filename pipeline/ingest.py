"""Ingest input files: read each with its platform reader and load it idempotently."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from pipeline.config import Settings, get_settings
from pipeline.sources import read_path
from pipeline.store import IngestSummary, file_checksum, ingest_records

__all__ = ["ingest_inbox", "ingest_paths"]

log = logging.getLogger(__name__)


def ingest_paths(
    engine: Engine,
    paths: Iterable[str | os.PathLike],
    *,
    format: str | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    settings: Settings | None = None,
    **options,
) -> list[IngestSummary]:
    """Load every file of ``paths`` (files, directories, globs), one transaction each.

    Parameters
    ----------
    engine : Engine
        Target database with the current schema.
    paths : iterable of str or path-like
        Input specs; see :func:`pipeline.sources.read_path`.
    format : str, optional
        Reader to use instead of auto-detection.
    force : bool
        Reload files whose content was loaded before.
    progress : callable, optional
        Called with the number of records read, chunk by chunk.
    settings : Settings, optional
        Chunk size and pseudonymisation key (default: from the environment).
    **options
        Reader options (e.g. ``column_map`` for CSV).

    Returns
    -------
    list of IngestSummary
        One per file, in the order read.

    Raises
    ------
    InputError
        A missing path, an empty glob, an unknown format.
    """
    settings = settings or get_settings()
    summaries = []
    for source, fmt, records in read_path(list(paths), format=format, **options):
        path = Path(source)
        summary = ingest_records(
            engine,
            source,
            records,
            format=fmt,
            checksum=file_checksum(path),
            size=path.stat().st_size,
            force=force,
            chunk_size=settings.chunk_size,
            pseudonymise_key=settings.pseudonymise_key,
            progress=progress,
        )
        log.info("%s: %s", source, summary)
        summaries.append(summary)
    return summaries


def ingest_inbox(inbox: str, engine: Engine | None = None) -> dict:
    """Ingest every file of an inbox directory or glob; files seen before are skipped.

    Returns a JSON-able total (for Airflow): files, skipped, read, loaded,
    duplicates, rejected. An empty ``inbox`` ingests nothing.
    """
    from pipeline.database import ensure_schema, get_engine

    totals = {"files": 0, "skipped": 0, "read": 0, "loaded": 0, "duplicates": 0, "rejected": 0}
    if not inbox:
        return totals
    if engine is None:
        engine = get_engine()
        ensure_schema(engine)
    for summary in ingest_paths(engine, [inbox]):
        totals["files"] += 1
        totals["skipped"] += summary.status == "skipped"
        for key in ("read", "loaded", "duplicates", "rejected"):
            totals[key] += getattr(summary, key)
    return totals
