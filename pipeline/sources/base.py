"""The canonical record every platform reader yields, and the quarantine record.

A reader turns raw lines or documents of one platform into :class:`Record` objects
(one per post) and :class:`Rejected` objects (one per input it could not read). It
never raises on one bad record. Readers stay light: they only pick fields; type
coercion (timestamps, integers), text cleaning and hashtag normalisation are done
vectorised on whole chunks by :mod:`pipeline.normalize`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["INTERACTION_KINDS", "Record", "Rejected"]

#: Kinds of author-to-author edges, as stored in ``interactions.kind``.
INTERACTION_KINDS = ("repost", "quote", "reply", "mention")


@dataclass(slots=True)
class Record:
    """One post in the canonical shape of the data contract.

    Identifiers are namespaced by platform: ``post_uid = platform + ":" + post_id``
    and ``author_uid = platform + ":" + platform_author_id``; the ``*_uid`` links to
    other posts use the same scheme. Timestamps are kept as the platform wrote them
    (ISO 8601 strings or epoch numbers); :mod:`pipeline.normalize` parses them.

    ``interactions`` lists ``(dst_author_uid, kind)`` edges from this post's author,
    kind in :data:`INTERACTION_KINDS`. ``hashtags`` are raw tags without ``#``.
    """

    platform: str
    post_id: str
    author_uid: str
    created_at: str | int | float | None
    text: str
    author_handle: str | None = None
    author_followers: int | None = None
    author_created_at: str | int | float | None = None
    lang: str | None = None
    reply_to_uid: str | None = None
    repost_of_uid: str | None = None
    quote_of_uid: str | None = None
    conversation_uid: str | None = None
    urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    interactions: list[tuple[str, str]] = field(default_factory=list)
    source: str = ""
    line: int = 0

    @property
    def post_uid(self) -> str:
        """The contract's primary key, ``platform:post_id``."""
        return f"{self.platform}:{self.post_id}"


@dataclass(slots=True)
class Rejected:
    """An input that could not become a record, kept with the reason.

    ``line`` is the 1-based line number (or record offset for whole-document
    formats) in ``source``; ``raw`` is an excerpt of at most 500 characters.
    """

    source: str
    line: int
    reason: str
    raw: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.raw, bytes | bytearray):
            self.raw = bytes(self.raw[:500]).decode("utf-8", "replace")
        else:
            self.raw = str(self.raw)[:500]
