"""Stream the items of arrays inside one large JSON document, in bounded memory.

Some inputs are one JSON document rather than JSON Lines: a Telegram Desktop
``result.json`` (``{"name": ..., "id": ..., "messages": [...]}``, possibly several GB)
or a pretty-printed API response. :func:`iter_items` walks such a document with a
small byte-level scanner and hands out each item of the interesting arrays as raw
bytes, for the caller to decode with orjson; only one item (plus a read-ahead chunk)
is ever in memory.

Which arrays are interesting:

* ``keys=None``: the document itself. A top-level array yields its items, a
  top-level object (or scalar) yields itself once.
* ``keys={"messages", ...}``: every array stored under one of those keys, at any
  depth (so both a single-chat export and a full-account export with
  ``chats.list[].messages`` work). Each item comes with the *context* of the object
  that holds the array: its scalar members seen so far (for Telegram, the chat's
  ``name``, ``type`` and ``id``, which Telegram Desktop writes before ``messages``).

The scanner checks the document's structure (brackets, strings, separators) but not
the inside of the items it hands out; orjson checks those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

__all__ = ["JSONDocumentError", "iter_items"]

_CHUNK = 1 << 20
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_STRING_TAIL = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(rb"-?[0-9][0-9.eE+\-]*|true|false|null")
_STRING = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
# Everything up to the next bracket, complete strings included.
_SKIP = re.compile(rb'[^"\[\]{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"\[\]{}]*)*', re.DOTALL)
_NESTING_FAST_PATH = 6


def _balanced(depth: int) -> re.Pattern[bytes]:
    """Match a whole object or array nested at most ``depth`` deep, in one call.

    Possessive quantifiers keep a failing match (deeper nesting, or a value cut by
    the end of the buffer) linear; the caller then falls back to the slow scan.
    """
    level = b""
    for _ in range(depth):
        alternatives = rb'[^"\[\]{}]++|' + _STRING + (rb"|" + level if level else b"")
        inner = rb"(?:" + alternatives + rb")*+"
        level = rb"(?:\{" + inner + rb"\}|\[" + inner + rb"\])"
    return re.compile(level, re.DOTALL)


_BALANCED = _balanced(_NESTING_FAST_PATH)
_QUOTE, _COLON, _COMMA = ord('"'), ord(":"), ord(",")
_OPEN_OBJECT, _CLOSE_OBJECT = ord("{"), ord("}")
_OPEN_ARRAY, _CLOSE_ARRAY = ord("["), ord("]")
_OPENERS = frozenset((_OPEN_OBJECT, _OPEN_ARRAY))


class JSONDocumentError(ValueError):
    """The document's structure is broken (truncated file, stray character, ...)."""


class _Scanner:
    """A forward-only cursor over a chunked byte stream."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.data = b""
        self.pos = 0
        self.base = 0  # absolute offset of data[0], for error messages
        self.eof = False

    def fail(self, message: str) -> JSONDocumentError:
        return JSONDocumentError(f"{message} at byte {self.base + self.pos}")

    def more(self) -> bool:
        """Append at least one chunk to the buffer; False at the end of the stream."""
        if self.eof:
            return False
        parts, size = [], 0
        for chunk in self._chunks:
            if chunk:
                parts.append(chunk)
                size += len(chunk)
                if size >= _CHUNK:
                    break
        else:
            self.eof = True
        if not parts:
            return False
        self.data = self.data + b"".join(parts)
        return True

    def release(self) -> None:
        """Forget the bytes already consumed (only between top-level steps)."""
        if self.pos > _CHUNK:
            self.base += self.pos
            self.data = self.data[self.pos :]
            self.pos = 0

    def peek(self) -> int:
        """Skip whitespace and return the next byte, or -1 at the end of the stream."""
        while True:
            self.pos = _WHITESPACE.match(self.data, self.pos).end()
            if self.pos < len(self.data):
                return self.data[self.pos]
            if not self.more():
                return -1

    def expect(self, byte: int, what: str) -> None:
        if self.peek() != byte:
            raise self.fail(f"expected {what}")
        self.pos += 1

    def string_end(self, start: int) -> int:
        """Return the index just past the string whose opening quote is at ``start``."""
        while True:
            match = _STRING_TAIL.match(self.data, start + 1)
            if match is not None:
                return match.end()
            if not self.more():
                raise self.fail("unterminated string")

    def scalar_end(self) -> int:
        while True:
            match = _SCALAR.match(self.data, self.pos)
            if match is None:
                raise self.fail("unexpected character")
            if match.end() < len(self.data) or not self.more():
                return match.end()

    def composite_end(self, start: int) -> int:
        """Return the index just past the object or array starting at ``start``."""
        match = _BALANCED.match(self.data, start)
        if match is not None:
            return match.end()
        depth, pos = 0, start
        while True:
            pos = _SKIP.match(self.data, pos).end()
            if pos >= len(self.data):
                if not self.more():
                    self.pos = pos
                    raise self.fail("unexpected end of document")
                continue
            byte = self.data[pos]
            if byte == _QUOTE:  # a string the buffer cuts
                pos = self.string_end(pos)
                continue
            pos += 1
            if byte in _OPENERS:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return pos

    def value(self) -> bytes:
        """Consume the next value and return its raw bytes."""
        byte = self.peek()
        start = self.pos
        if byte == -1:
            raise self.fail("unexpected end of document")
        if byte in _OPENERS:
            end = self.composite_end(start)
        elif byte == _QUOTE:
            end = self.string_end(start)
        else:
            end = self.scalar_end()
        self.pos = end
        return self.data[start:end]

    def separator(self, close: int) -> bool:
        """Consume ``,`` (True: another member follows) or ``close`` (False)."""
        byte = self.peek()
        self.pos += 1
        if byte == _COMMA:
            return True
        if byte == close:
            return False
        self.pos -= 1
        raise self.fail("expected ',' or a closing bracket")


def _items(scanner: _Scanner, context: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Yield each item of the array at the cursor."""
    scanner.expect(_OPEN_ARRAY, "'['")
    if scanner.peek() == _CLOSE_ARRAY:
        scanner.pos += 1
        return
    while True:
        raw = scanner.value()
        yield context, raw
        scanner.release()
        if not scanner.separator(_CLOSE_ARRAY):
            return


def _walk(scanner: _Scanner, keys: frozenset[str]) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Walk the value at the cursor, yielding items of arrays stored under ``keys``."""
    byte = scanner.peek()
    if byte == _OPEN_ARRAY:
        scanner.pos += 1
        if scanner.peek() == _CLOSE_ARRAY:
            scanner.pos += 1
            return
        while True:
            yield from _walk(scanner, keys)
            if not scanner.separator(_CLOSE_ARRAY):
                return
    if byte != _OPEN_OBJECT:
        scanner.value()
        return
    scanner.pos += 1
    context: dict[str, Any] = {}
    if scanner.peek() == _CLOSE_OBJECT:
        scanner.pos += 1
        return
    while True:
        if scanner.peek() != _QUOTE:
            raise scanner.fail("expected a member name")
        end = scanner.string_end(scanner.pos)
        key = orjson.loads(scanner.data[scanner.pos : end])
        scanner.pos = end
        scanner.expect(_COLON, "':'")
        byte = scanner.peek()
        if byte == _OPEN_ARRAY and key in keys:
            yield from _items(scanner, dict(context))
        elif byte in _OPENERS:
            yield from _walk(scanner, keys)
        else:
            try:
                context[key] = orjson.loads(scanner.value())
            except orjson.JSONDecodeError as exc:
                raise scanner.fail(f"invalid value of {key!r} ({exc})") from None
        scanner.release()
        if not scanner.separator(_CLOSE_OBJECT):
            return


def iter_items(
    chunks: Iterable[bytes], keys: Iterable[str] | None = None
) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Yield ``(context, raw_item)`` for each item of the interesting arrays.

    Parameters
    ----------
    chunks : iterable of bytes
        The document, in pieces of any size (lines or fixed-size blocks).
    keys : iterable of str, optional
        Names of the arrays to stream; ``None`` streams the document itself (see the
        module docstring).

    Yields
    ------
    tuple of (dict, bytes)
        The scalar members of the object holding the array (empty for ``keys=None``)
        and the raw bytes of one item.

    Raises
    ------
    JSONDocumentError
        When the document's structure is broken; the items before the damage have
        been yielded already.
    """
    scanner = _Scanner(chunks)
    byte = scanner.peek()
    if byte == -1:
        return
    try:
        if keys is None:
            if byte == _OPEN_ARRAY:
                yield from _items(scanner, {})
            else:
                yield {}, scanner.value()
        else:
            yield from _walk(scanner, frozenset(keys))
    except RecursionError:
        raise scanner.fail("document nested too deeply") from None
    if scanner.peek() != -1:
        raise scanner.fail("unexpected data after the document")
