"""Read posts from a CSV file with documented columns (any platform, any tool).

The first row names the columns; their order does not matter and unknown columns
are ignored. Required: ``post_id``, ``author_id``, ``created_at``, ``text``.
Optional (empty cells count as missing):

==================== ==========================================================
``platform``         namespace of the ids (``x``, ``mastodon``...); default is the
                     ``platform`` argument (``"csv"``)
``author_handle``    handle or screen name
``author_followers`` integer; a cell that is not an integer is left empty
``author_created_at`` timestamp, as written
``lang``             language code
``reply_to_id``      id of the replied-to post (same platform)
``repost_of_id``     id of the reposted post
``quote_of_id``      id of the quoted post
``conversation_id``  id of the conversation (thread root)
``urls``             space-separated URLs
``hashtags``         space-separated tags, with or without ``#``; when the column
                     is absent, ``#tags`` are taken from the text
``reply_to_author_id`` author of the replied-to post -> ``reply`` edge
``repost_of_author_id`` author of the reposted post -> ``repost`` edge
``quote_of_author_id`` author of the quoted post -> ``quote`` edge
``mention_ids``      space-separated ids of mentioned authors -> ``mention`` edges
==================== ==========================================================

Ids are namespaced as everywhere: ``post_uid = platform:post_id``, ``author_uid =
platform:author_id``. Another tool's columns are renamed with ``column_map``
(``{"their column": "our column"}``, e.g. ``{"id": "post_id", "user_id":
"author_id", "local_time": "created_at"}`` for a gazouilloire export). The
delimiter is sniffed from the header line among ``,`` ``;`` tab and ``|`` unless
given. Files are decoded as UTF-8 (a BOM is dropped; invalid bytes become U+FFFD).

A missing required column raises :class:`~pipeline.errors.InputError` (the file
cannot be read at all). A row with a wrong number of fields, an empty required
cell, or a CSV syntax error becomes a :class:`Rejected` numbered with the row's
first physical line.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping

from pipeline.errors import InputError
from pipeline.sources.base import Record, Rejected

__all__ = ["DEFAULT_PLATFORM", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "read"]

DEFAULT_PLATFORM = "csv"
#: Columns every file must have (after ``column_map``).
REQUIRED_COLUMNS = ("post_id", "author_id", "created_at", "text")
#: Columns read when present.
OPTIONAL_COLUMNS = (
    "platform",
    "author_handle",
    "author_followers",
    "author_created_at",
    "lang",
    "reply_to_id",
    "repost_of_id",
    "quote_of_id",
    "conversation_id",
    "urls",
    "hashtags",
    "reply_to_author_id",
    "repost_of_author_id",
    "quote_of_author_id",
    "mention_ids",
)
_DELIMITERS = (",", ";", "\t", "|")
_HASHTAG = re.compile(r"(?<![\w/&#])#(\w+)")
_EDGE_COLUMNS = (
    ("reply_to_author_id", "reply"),
    ("repost_of_author_id", "repost"),
    ("quote_of_author_id", "quote"),
)


def _decoded(lines: Iterable[bytes | str]) -> Iterator[str]:
    for line in lines:
        yield line.decode("utf-8", "replace") if isinstance(line, bytes | bytearray) else line


def _sniff(header: str) -> str:
    return max(_DELIMITERS, key=header.count)


def read(
    lines: Iterable[bytes | str],
    source: str,
    *,
    column_map: Mapping[str, str] | None = None,
    platform: str = DEFAULT_PLATFORM,
    delimiter: str | None = None,
) -> Iterator[Record | Rejected]:
    """Read posts from CSV lines.

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input, with their line endings (as a binary file yields
        them), so that quoted fields may span lines.
    source : str
        Name of the input, copied into every record.
    column_map : mapping of str to str, optional
        Renames the file's columns to the documented names.
    platform : str
        Platform of rows without a ``platform`` cell.
    delimiter : str, optional
        Field delimiter; sniffed from the header line when omitted.

    Yields
    ------
    Record or Rejected
        One per data row.

    Raises
    ------
    InputError
        When a required column is missing.
    """
    texts = _decoded(lines)
    first = next(texts, None)
    if first is None:
        return
    first = first.removeprefix("\ufeff")
    reader = csv.reader(
        itertools.chain([first], texts), delimiter=delimiter or _sniff(first), strict=True
    )
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise InputError(f"{source}: cannot read the CSV header ({exc})") from None
    renames = dict(column_map or {})
    names = [renames.get(name.strip(), name.strip()) for name in header]
    index = {name: position for position, name in reversed(list(enumerate(names)))}
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise InputError(
            f"{source}: CSV has no column {', '.join(missing)} (columns: {', '.join(names)}); "
            "rename yours with column_map"
        )
    width = len(names)
    columns = {name: index.get(name) for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
    line_end = reader.line_num
    while True:
        start = line_end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line_end = reader.line_num
            yield Rejected(source, start, f"invalid CSV: {exc}", "")
            continue
        line_end = reader.line_num
        if not row:
            continue
        if len(row) != width:
            reason = f"row has {len(row)} fields, header has {width}"
            yield Rejected(source, start, reason, ",".join(row))
            continue
        yield _row(row, columns, platform, source, start)


def _row(
    row: list[str], columns: dict[str, int | None], default_platform: str, source: str, line: int
) -> Record | Rejected:
    def cell(name: str) -> str | None:
        position = columns[name]
        if position is None:
            return None
        value = row[position].strip()
        return value or None

    post_id = cell("post_id")
    if post_id is None:
        return Rejected(source, line, "missing id", ",".join(row))
    author_id = cell("author_id")
    if author_id is None:
        return Rejected(source, line, "missing author", ",".join(row))
    created_at = cell("created_at")
    if created_at is None:
        return Rejected(source, line, "created_at missing", ",".join(row))
    text = row[columns["text"]]
    platform = cell("platform") or default_platform
    author_uid = f"{platform}:{author_id}"

    def uid(name: str) -> str | None:
        value = cell(name)
        return f"{platform}:{value}" if value else None

    if columns["hashtags"] is None:
        hashtags = _HASHTAG.findall(text)
    else:
        hashtags = [tag.removeprefix("#") for tag in (cell("hashtags") or "").split()]
        hashtags = [tag for tag in hashtags if tag]
    edges = [(cell(name), kind) for name, kind in _EDGE_COLUMNS]
    edges += [(dst, "mention") for dst in (cell("mention_ids") or "").split()]
    interactions = [(f"{platform}:{dst}", kind) for dst, kind in edges if dst]
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]
    followers = cell("author_followers")
    try:
        followers_count = int(followers) if followers is not None else None
    except ValueError:
        followers_count = None
    return Record(
        platform=platform,
        post_id=post_id,
        author_uid=author_uid,
        created_at=created_at,
        text=text,
        author_handle=cell("author_handle"),
        author_followers=followers_count,
        author_created_at=cell("author_created_at"),
        lang=cell("lang"),
        reply_to_uid=uid("reply_to_id"),
        repost_of_uid=uid("repost_of_id"),
        quote_of_uid=uid("quote_of_id"),
        conversation_uid=uid("conversation_id"),
        urls=(cell("urls") or "").split(),
        hashtags=hashtags,
        interactions=interactions,
        source=source,
        line=line,
    )
