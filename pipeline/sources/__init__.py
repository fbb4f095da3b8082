"""Platform readers: turn input files into canonical records.

Each format has a module with ``read(lines_or_stream, source, **options)`` that
yields :class:`~pipeline.sources.base.Record` and
:class:`~pipeline.sources.base.Rejected`; :data:`FORMATS` names them.
:func:`read_path` expands an input spec (files, directories, globs; compressed or
not, see :mod:`pipeline.sources.files`), detects each file's format unless one is
given, and returns one record iterator per file, with the file's source name and
format::

    for source, fmt, records in read_path("data/2012-10/", format=None):
        for item in records:
            ...

================ ==============================================================
``x_v2``         X API v2 pages or flattened tweets (twarc2), :mod:`.x_v2`
``x_v1``         X API v1.1 tweets (archives, twarc1), :mod:`.x_v1`
``mastodon``     Mastodon status entities, :mod:`.mastodon`
``bluesky``      Bluesky postViews, feed items, API responses, :mod:`.bluesky`
``telegram``     Telegram Desktop ``result.json`` export, :mod:`.telegram`
``csv``          generic CSV with documented columns, :mod:`.csv_generic`
================ ==============================================================
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from pipeline.errors import InputError
from pipeline.sources import bluesky, csv_generic, mastodon, telegram, x_v1, x_v2
from pipeline.sources.base import INTERACTION_KINDS, Record, Rejected
from pipeline.sources.files import (
    PathSpec,
    expand_paths,
    iter_chunks,
    iter_lines,
    open_binary,
    read_head,
    source_name,
    strip_compression,
)
from pipeline.sources.jsondoc import JSONDocumentError, iter_items

__all__ = [
    "FORMATS",
    "INTERACTION_KINDS",
    "Record",
    "Rejected",
    "detect_format",
    "read_path",
]

Reader = Callable[..., Iterator[Record | Rejected]]

#: Format name -> reader function.
FORMATS: dict[str, Reader] = {
    "x_v2": x_v2.read,
    "x_v1": x_v1.read,
    "mastodon": mastodon.read,
    "bluesky": bluesky.read,
    "telegram": telegram.read,
    "csv": csv_generic.read,
}
#: Formats whose reader takes the whole document in blocks rather than lines.
_DOCUMENT_FORMATS = frozenset({"telegram"})
_CSV_SUFFIXES = (".csv", ".tsv")
_OPENERS = (b"[", b"{")
# Keys (with both quotes, so escaped text cannot match) telling a format apart in a
# first record too long to parse whole; in priority order.
_SIGNATURES = (
    ("telegram", (b'"messages"',), (b'"date_unixtime"', b'"from_id"', b'"text_entities"')),
    ("x_v1", (b'"id_str"',), ()),
    ("x_v2", (b'"author_id"',), ()),
    ("x_v2", (b'"edit_history_tweet_ids"',), ()),
    ("bluesky", (b'"app.bsky.feed.post"',), ()),
    ("bluesky", (b'"did"', b'"handle"'), ()),
    ("mastodon", (b'"acct"',), ()),
    ("mastodon", (b'"in_reply_to_account_id"',), ()),
    ("mastodon", (b'"spoiler_text"',), ()),
)


def _classify(value: Any) -> str | None:
    """Name the format of one decoded first record, or None."""
    if type(value) is list:
        first = next((item for item in value if type(item) is dict), None)
        return None if first is None else _classify(first)
    if type(value) is not dict:
        return None
    if "messages" in value or "chats" in value:
        return "telegram"
    if "data" in value or "includes" in value:
        return "x_v2"
    if "id_str" in value or "retweeted_status" in value or "delete" in value:
        return "x_v1"
    if "user" in value and ("full_text" in value or "text" in value):
        return "x_v1"
    if "author_id" in value or "edit_history_tweet_ids" in value:
        return "x_v2"
    if "posts" in value or "feed" in value or "post" in value:
        return "bluesky"
    if type(value.get("uri")) is str and value["uri"].startswith("at://"):
        return "bluesky"
    if "account" in value and ("content" in value or "reblog" in value):
        return "mastodon"
    return None


def _sniff(head: bytes) -> str | None:
    for name, required, any_of in _SIGNATURES:
        if all(key in head for key in required) and (
            not any_of or any(key in head for key in any_of)
        ):
            return name
    return None


def _first_document_item(head: bytes) -> str | None:
    """Classify a pretty-printed document from the items found in its head."""
    try:
        for _context, _raw in iter_items([head], keys=("messages",)):
            return "telegram"
    except JSONDocumentError:
        pass
    try:
        for _context, raw in iter_items([head], keys=None):
            return _classify(orjson.loads(raw))
    except (JSONDocumentError, orjson.JSONDecodeError):
        pass
    return None


def _format_from_name(path: PathSpec) -> str | None:
    name = os.path.basename(strip_compression(os.fspath(path))).lower()
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name == "result.json":
        return "telegram"
    return None


def detect_format(path: PathSpec, head: bytes) -> str:
    """Tell the format of a file from its name and first bytes.

    Parameters
    ----------
    path : str or path-like
        The file (``.csv``/``.tsv``, compressed or not, is CSV).
    head : bytes
        Its first decompressed bytes (64 KiB is plenty).

    Returns
    -------
    str
        A key of :data:`FORMATS`.

    Raises
    ------
    InputError
        When nothing identifies the format.
    """
    name_format = _format_from_name(path)
    if name_format == "csv":
        return name_format
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    first_line = text.split(b"\n", 1)[0].strip()
    fmt = None
    if first_line in _OPENERS:  # a pretty-printed document
        fmt = _first_document_item(text) or _sniff(text)
    elif first_line.startswith(_OPENERS):  # JSON Lines; the first line may be cut
        try:
            fmt = _classify(orjson.loads(first_line))
        except orjson.JSONDecodeError:
            fmt = None
        fmt = fmt or _sniff(first_line)
    fmt = fmt or name_format
    if fmt is None:
        raise InputError(
            f"cannot tell the format of {os.fspath(path)}; "
            f"pass --format one of {', '.join(FORMATS)}"
        )
    return fmt


def _check_options(fmt: str, options: dict[str, Any]) -> None:
    accepted = inspect.signature(FORMATS[fmt]).parameters
    for option in options:
        parameter = accepted.get(option)
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise InputError(f"option {option!r} does not apply to format {fmt}")


def read_path(
    path: PathSpec | Iterable[PathSpec], format: str | None = None, **options: Any
) -> Iterator[tuple[str, str, Iterator[Record | Rejected]]]:
    """Read every file of an input spec with its reader.

    Parameters
    ----------
    path : str, path-like, or iterable of those
        Files, directories (recursive) and glob patterns; see
        :func:`pipeline.sources.files.expand_paths`.
    format : str, optional
        A key of :data:`FORMATS`; detected per file with :func:`detect_format`
        when omitted.
    **options
        Keyword options of the reader (``column_map`` for ``csv``, ``instance`` for
        ``mastodon``, ...).

    Yields
    ------
    tuple of (str, str, iterator of Record or Rejected)
        The file's source name (absolute path), its format and its records. An
        empty file yields an empty iterator; its format is the one given, else
        ``"csv"``/``"telegram"`` when its name tells, else ``"empty"``. Files are
        opened one at a time, when reached.

    Raises
    ------
    InputError
        An unknown format or option, a missing path, an empty pattern, an
        unreadable file, a file whose format cannot be told.
    """
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if format is not None:
        _check_options(format, options)
    for file in expand_paths(path):
        name = source_name(file)
        stream = open_binary(file)
        head = read_head(stream, name)
        if not head.strip():
            stream.close()
            yield name, format or _format_from_name(file) or "empty", iter(())
            continue
        try:
            fmt = format or detect_format(file, head)
            if format is None:
                _check_options(fmt, options)
        except InputError:
            stream.close()
            raise
        if fmt in _DOCUMENT_FORMATS:
            content = iter_chunks(stream, name)
        else:
            content = iter_lines(stream, name)
        yield name, fmt, FORMATS[fmt](content, name, **options)
