"""Helpers for the reader tests: fixture paths and splitting reader output."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from pipeline.sources.base import Record, Rejected

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    """The directory of recorded platform payloads, ``tests/fixtures``."""
    return FIXTURES


def split(items: Iterable[Record | Rejected]) -> tuple[list[Record], list[Rejected]]:
    """Return the records and the rejections of a reader's output, in order."""
    records, rejected = [], []
    for item in items:
        (records if isinstance(item, Record) else rejected).append(item)
    return records, rejected


def by_id(records: Iterable[Record]) -> dict[str, Record]:
    """Index records by ``post_id``."""
    return {record.post_id: record for record in records}
