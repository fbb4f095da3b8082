"""Read a Telegram Desktop export (``result.json``), streaming its messages.

The export is one JSON document, possibly several GB: a single chat
(``{"name", "type", "id", "messages": [...]}``) or a whole account with
``chats.list[]`` and ``left_chats.list[]`` holding such chats. Messages are streamed
one at a time with :mod:`pipeline.sources.jsondoc`; memory does not grow with the
file. ``Record.line`` and ``Rejected.line`` are the message's 1-based position in
the file (counting across chats), not a line number.

Identifiers (``platform = "telegram"``): ``post_id = "<chat id>:<message id>"``
(message ids are per chat), the chat id being the chat's bare ``id``, which
Telegram Desktop writes before ``messages``; ``author_uid = "telegram:" + from_id``
(``user123``, ``channel456``; old exports with a numeric ``from_id`` give
``user<n>``). ``author_handle`` is the ``from`` display name (exports carry no
usernames); followers and author creation dates are not exported.

Fields: ``created_at`` is ``date_unixtime`` as an integer epoch (UTC); old exports
without it keep ``date``, which is the exporting computer's local time without an
offset. The text is ``text_entities`` (or ``text``: a string or a list of strings
and ``{type, text}`` objects) joined; ``hashtag`` entities -> hashtags, ``link``
and ``text_link`` (its ``href``) -> urls, ``mention_name`` (``user_id``) -> a
``mention`` edge to ``telegram:user<id>``, ``mention`` (``@name``) -> a ``mention``
edge to ``telegram:@name`` (lower case; usernames cannot be resolved to ids from an
export). ``reply_to_message_id`` (and ``reply_to_peer_id`` for a reply to another
chat) -> ``reply_to_uid``, with a ``reply`` edge when the replied-to message was
read earlier in the file (the reader remembers the authors of the last
``reply_memory`` messages); ``conversation_uid`` follows reply chains the same way
and is the message itself for a message that is not a reply. A forwarded message
(``forwarded_from``) gets a ``repost`` edge to ``forwarded_from_id`` when the export
has it; exports name the original sender but not the original message, so
``repost_of_uid`` stays None.

Rejections: ``type: "service"`` messages (joins, pins, title changes) become
:class:`Rejected` with reason ``"service message"`` so they are counted;
``"unsupported message"``; a message without ``id``, ``from_id`` or date; text that
is neither a string nor a list; a message that is not valid JSON. Telegram Desktop
writes control characters as ``\\xHH``, which is not JSON; such escapes are
repaired. A broken document (e.g. a truncated download) yields everything before
the damage and then one :class:`Rejected` with reason ``"invalid JSON document:
..."``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import orjson

from pipeline.sources.base import Record, Rejected
from pipeline.sources.jsondoc import JSONDocumentError, iter_items
from pipeline.sources.jsonl import excerpt, loads

__all__ = ["PLATFORM", "read"]

PLATFORM = "telegram"
_CHUNK = 1 << 20
_HEX_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_PEER_PREFIX = re.compile(r"^[a-z_]+")


def _chunks(lines_or_stream: BinaryIO | Iterable[bytes | str]) -> Iterator[bytes]:
    if hasattr(lines_or_stream, "read"):
        while block := lines_or_stream.read(_CHUNK):
            yield block
        return
    for piece in lines_or_stream:
        yield piece.encode("utf-8", "replace") if isinstance(piece, str) else piece


def _decode(raw: bytes) -> Any:
    try:
        return loads(raw)
    except orjson.JSONDecodeError:
        if b"\\x" not in raw:
            raise
        return loads(_HEX_ESCAPE.sub(rb"\1\\u00\2", raw))


def read(
    lines_or_stream: BinaryIO | Iterable[bytes | str],
    source: str,
    *,
    reply_memory: int = 1_000_000,
) -> Iterator[Record | Rejected]:
    """Read the messages of a Telegram Desktop JSON export.

    Parameters
    ----------
    lines_or_stream : binary file or iterable of bytes
        The document: an open binary stream, or its lines or blocks in order.
    source : str
        Name of the input, copied into every record.
    reply_memory : int
        How many recent messages' authors are remembered to resolve reply edges
        and conversations (about 150 bytes each).

    Yields
    ------
    Record or Rejected
        One per message; see the module docstring.
    """
    seen: OrderedDict[tuple[str, int], tuple[str, str]] = OrderedDict()
    position = 0
    try:
        for chat, raw in iter_items(_chunks(lines_or_stream), keys=("messages",)):
            position += 1
            try:
                message = _decode(raw)
            except orjson.JSONDecodeError as exc:
                yield Rejected(source, position, f"invalid JSON: {exc}", raw)
                continue
            if type(message) is not dict:
                yield Rejected(source, position, "message is not a JSON object", raw)
                continue
            try:
                result = _message(message, chat, seen, source, position)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                reason = f"unexpected message structure: {type(exc).__name__}: {exc}"
                result = Rejected(source, position, reason, raw)
            if type(result) is Record and len(seen) > reply_memory:
                seen.popitem(last=False)
            yield result
    except JSONDocumentError as exc:
        yield Rejected(source, position + 1, f"invalid JSON document: {exc}", "")


def _text(message: dict[str, Any]) -> tuple[str | None, list[str], list[str], list[str]]:
    """Return text, hashtags, urls and mentioned author uids of a message."""
    parts = message.get("text_entities")
    if type(parts) is not list:
        parts = message.get("text", "")
        if type(parts) is str:
            return parts, [], [], []
        if type(parts) is not list:
            return None, [], [], []
    pieces: list[str] = []
    hashtags: list[str] = []
    urls: list[str] = []
    mentions: list[str] = []
    for part in parts:
        if type(part) is str:
            pieces.append(part)
            continue
        if type(part) is not dict:
            continue
        text = part.get("text")
        text = text if type(text) is str else ""
        pieces.append(text)
        kind = part.get("type")
        if kind == "hashtag":
            hashtags.append(text.removeprefix("#"))
        elif kind == "link":
            urls.append(text)
        elif kind == "text_link" and part.get("href"):
            urls.append(part["href"])
        elif kind == "mention" and len(text) > 1:
            mentions.append(f"{PLATFORM}:{text.lower()}")
        elif kind == "mention_name" and part.get("user_id"):
            mentions.append(f"{PLATFORM}:user{part['user_id']}")
    return "".join(pieces), hashtags, urls, mentions


def _author_uid(from_id: Any) -> str | None:
    if type(from_id) is str and from_id:
        return f"{PLATFORM}:{from_id}"
    if type(from_id) is int:
        return f"{PLATFORM}:user{from_id}"
    return None


def _message(
    message: dict[str, Any],
    chat: dict[str, Any],
    seen: dict[tuple[str, int], tuple[str, str]],
    source: str,
    position: int,
) -> Record | Rejected:
    kind = message.get("type", "message")
    if kind == "service":
        return Rejected(source, position, "service message", excerpt(message))
    if kind == "unsupported":
        return Rejected(source, position, "unsupported message", excerpt(message))
    message_id = message.get("id")
    if message_id is None or type(message_id) is bool:
        return Rejected(source, position, "missing id", excerpt(message))
    chat_id = chat.get("id")
    if chat_id is None:
        reason = 'chat id unknown: no "id" before "messages" in the export'
        return Rejected(source, position, reason, excerpt(message))
    author_uid = _author_uid(message.get("from_id"))
    if author_uid is None:
        return Rejected(source, position, "missing author", excerpt(message))
    created_at = message.get("date_unixtime")
    if type(created_at) is str and created_at.isdigit():
        created_at = int(created_at)
    elif created_at is None:
        created_at = message.get("date")
        if created_at is None:
            return Rejected(source, position, "created_at missing", excerpt(message))
    text, hashtags, urls, mentioned = _text(message)
    if text is None:
        return Rejected(source, position, "text is not a string", excerpt(message))

    chat_key = str(chat_id)
    post_id = f"{chat_key}:{message_id}"
    interactions = [(uid, "mention") for uid in mentioned]
    reply_to_uid = None
    conversation_uid = f"{PLATFORM}:{post_id}"
    reply_id = message.get("reply_to_message_id")
    if reply_id is not None:
        peer = message.get("reply_to_peer_id")
        reply_chat = _PEER_PREFIX.sub("", peer) if type(peer) is str else chat_key
        reply_to_uid = f"{PLATFORM}:{reply_chat}:{reply_id}"
        conversation_uid = reply_to_uid
        parent = seen.get((reply_chat, reply_id))
        if parent is not None:
            interactions.append((parent[0], "reply"))
            conversation_uid = parent[1]
    if "forwarded_from" in message:
        original = _author_uid(message.get("forwarded_from_id"))
        if original:
            interactions.append((original, "repost"))
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]
    if type(message_id) is int:
        seen[(chat_key, message_id)] = (author_uid, conversation_uid)
    return Record(
        platform=PLATFORM,
        post_id=post_id,
        author_uid=author_uid,
        created_at=created_at,
        text=text,
        author_handle=message.get("from") if type(message.get("from")) is str else None,
        author_followers=None,
        author_created_at=None,
        lang=None,
        reply_to_uid=reply_to_uid,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=conversation_uid,
        urls=urls,
        hashtags=hashtags,
        interactions=interactions,
        source=source,
        line=position,
    )
