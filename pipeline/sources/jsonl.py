"""Decode JSON Lines for the platform readers, tolerant of damaged lines.

Every JSON reader goes through :func:`iter_values`: it turns an iterable of lines
(``bytes`` or ``str``) into ``(line_number, value)`` pairs and turns each line it
cannot decode into a :class:`~pipeline.sources.base.Rejected`, so one bad line never
stops a file.

Two kinds of damage are repaired rather than rejected, because the record is still
readable: invalid UTF-8 (replaced by U+FFFD) and raw control characters such as NUL
inside strings (escaped, so the text keeps them and normalisation removes them).

A document that is pretty-printed over many lines (``json.dump(indent=2)``, ``jq``)
is recognised by a first line that is only ``[`` or ``{``; it is then streamed with
:mod:`pipeline.sources.jsondoc`: the items of a top-level array become the values
(numbered 1, 2, ... instead of line numbers), a top-level object is one value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from pipeline.sources.base import Rejected
from pipeline.sources.jsondoc import JSONDocumentError, iter_items

__all__ = ["excerpt", "iter_values", "loads"]

# Raw control characters other than TAB, LF and CR (JSON whitespace) are invalid
# anywhere in a JSON text; escaping them keeps their place inside strings.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DOCUMENT_OPENERS = (b"[", b"{")


def _escape_control(match: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % match.group()[0]


def loads(raw: bytes | str) -> Any:
    """Decode one JSON text, repairing invalid UTF-8 and raw control characters.

    Parameters
    ----------
    raw : bytes or str
        One JSON text.

    Returns
    -------
    object
        The decoded value.

    Raises
    ------
    orjson.JSONDecodeError
        When the text is not JSON even after repair; the message is the one of the
        first, unrepaired attempt.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as first:
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
        repaired = _CONTROL.sub(_escape_control, data)
        try:
            repaired = repaired.decode("utf-8", "replace").encode("utf-8")
            return orjson.loads(repaired)
        except orjson.JSONDecodeError:
            raise first from None


def excerpt(value: Any) -> bytes | str:
    """Return a short raw form of ``value`` for :attr:`Rejected.raw`.

    Parameters
    ----------
    value : object
        Raw bytes or text, or a decoded JSON value (re-encoded, best effort).

    Returns
    -------
    bytes or str
        At most about 500 characters.
    """
    if isinstance(value, bytes | bytearray | str):
        return value[:500]
    try:
        return orjson.dumps(value, default=str)[:500]
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)[:500]


def _is_blank(line: bytes | str) -> bool:
    return not line.strip()


def iter_values(lines: Iterable[bytes | str], source: str) -> Iterator[tuple[int, Any] | Rejected]:
    """Decode JSON Lines, yielding ``(line_number, value)`` or a :class:`Rejected`.

    Blank lines are skipped. A pretty-printed document (first non-blank line is
    ``[`` or ``{`` alone) is streamed item by item instead; see the module docstring.

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input, with or without their line endings.
    source : str
        Name of the input, copied into each :class:`Rejected`.

    Yields
    ------
    tuple of (int, object) or Rejected
        A decoded value with its 1-based line number, or the reason a line or the
        document could not be decoded.
    """
    iterator = iter(lines)
    lineno = 0
    for line in iterator:
        lineno += 1
        if _is_blank(line):
            continue
        first = line.strip()
        if isinstance(first, str):
            first = first.encode("utf-8", "replace")
        if first in _DOCUMENT_OPENERS:
            yield from _iter_document(itertools.chain([line], iterator), source)
            return
        yield _decode(line, lineno, source)
        break
    for line in iterator:
        lineno += 1
        if _is_blank(line):
            continue
        yield _decode(line, lineno, source)


def _decode(line: bytes | str, lineno: int, source: str) -> tuple[int, Any] | Rejected:
    try:
        return lineno, orjson.loads(line)
    except orjson.JSONDecodeError:
        try:
            return lineno, loads(line)
        except orjson.JSONDecodeError as exc:
            return Rejected(source, lineno, f"invalid JSON: {exc}", line)


def _iter_document(
    lines: Iterable[bytes | str], source: str
) -> Iterator[tuple[int, Any] | Rejected]:
    chunks = (line.encode("utf-8", "replace") if isinstance(line, str) else line for line in lines)
    index = 0
    try:
        for _context, raw in iter_items(chunks, keys=None):
            index += 1
            try:
                yield index, loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Rejected(source, index, f"invalid JSON: {exc}", raw)
    except JSONDocumentError as exc:
        yield Rejected(source, index + 1, f"invalid JSON document: {exc}", "")
