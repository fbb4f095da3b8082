"""Read X (Twitter) API v1.1 JSON Lines: legacy archives, twarc1, streaming dumps.

One tweet object per line, as the v1.1 REST and streaming APIs returned it.

Mapping (``platform = "x"``, so posts and authors share ids with :mod:`x_v2`):
``post_id = id_str``; text from ``full_text`` (extended mode), else
``extended_tweet.full_text`` (streaming compat mode), else ``text``; entities from
``extended_tweet.entities`` when present, else ``entities``; the author from
``user`` (``id_str``, ``screen_name``, ``followers_count``, ``created_at``).
``created_at`` and ``user.created_at`` are converted from the legacy form
``Wed Oct 10 20:19:24 +0000 2018`` to ISO 8601 (``2018-10-10T20:19:24+00:00``)
here, cheaply by slicing, because parsing that form later would be slow; any other
form is kept as written. v1.1 has no conversation id: ``conversation_uid`` is None.

A retweet (``retweeted_status``) takes the original's full text, hashtags and URLs
and links ``repost_of_uid`` and a ``repost`` edge to the original author; its
``quoted_status`` (if the original was a quote) is not the retweeter's quote and is
ignored. A quote links ``quote_of_uid`` (``quoted_status_id_str``) and a ``quote``
edge to ``quoted_status.user``; a reply links ``in_reply_to_status_id_str`` and a
``reply`` edge to ``in_reply_to_user_id_str``; each ``entities.user_mentions[]``
gives a ``mention`` edge, except the ``@x`` of ``RT @x:``. Edges from an author to
themself are dropped.

Rejections: invalid JSON; stream notices (``delete``, ``limit``, ...) with reason
``"not a tweet: <kind> notice"``; a tweet without id, ``user.id_str`` or
``created_at``, or whose text is not a string.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.sources.base import Record, Rejected
from pipeline.sources.jsonl import excerpt, iter_values

__all__ = ["PLATFORM", "legacy_to_iso", "read"]

PLATFORM = "x"
_EMPTY: dict[str, Any] = {}
_MONTHS = {
    "Jan": "01",
    "Feb": "02",
    "Mar": "03",
    "Apr": "04",
    "May": "05",
    "Jun": "06",
    "Jul": "07",
    "Aug": "08",
    "Sep": "09",
    "Oct": "10",
    "Nov": "11",
    "Dec": "12",
}
_NOTICES = ("delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect")


def legacy_to_iso(value: Any) -> Any:
    """Convert ``"Wed Oct 10 20:19:24 +0000 2018"`` to ``"2018-10-10T20:19:24+00:00"``.

    Parameters
    ----------
    value : object
        A v1.1 timestamp; anything not in the legacy form is returned unchanged.

    Returns
    -------
    object
        The ISO 8601 string, or ``value`` itself.
    """
    if type(value) is not str or len(value) != 30:
        return value
    month = _MONTHS.get(value[4:7])
    if month is None or value[19] != " " or value[25] != " ":
        return value
    return f"{value[26:]}-{month}-{value[8:10]}T{value[11:19]}{value[20:23]}:{value[23:25]}"


def _text_and_entities(status: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    extended = status.get("extended_tweet")
    if extended:
        return extended.get("full_text"), extended.get("entities") or _EMPTY
    text = status.get("full_text")
    if text is None:
        text = status.get("text")
    return text, status.get("entities") or _EMPTY


def read(lines: Iterable[bytes | str], source: str) -> Iterator[Record | Rejected]:
    """Read X API v1.1 JSON Lines, one tweet per line.

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input.
    source : str
        Name of the input, copied into every record.

    Yields
    ------
    Record or Rejected
        One per line; see the module docstring.
    """
    for item in iter_values(lines, source):
        if type(item) is Rejected:
            yield item
            continue
        lineno, tweet = item
        if type(tweet) is not dict:
            yield Rejected(source, lineno, "not a JSON object", excerpt(tweet))
            continue
        try:
            result = _tweet(tweet, source, lineno)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
            reason = f"unexpected tweet structure: {type(exc).__name__}: {exc}"
            result = Rejected(source, lineno, reason, excerpt(tweet))
        yield result


def _tweet(tweet: dict[str, Any], source: str, lineno: int) -> Record | Rejected:
    get = tweet.get
    post_id = get("id_str") or get("id")
    if not post_id:
        for notice in _NOTICES:
            if notice in tweet:
                return Rejected(source, lineno, f"not a tweet: {notice} notice", excerpt(tweet))
        return Rejected(source, lineno, "missing id", excerpt(tweet))
    user = get("user") or _EMPTY
    author_id = user.get("id_str") or user.get("id")
    if not author_id:
        return Rejected(source, lineno, "missing author", excerpt(tweet))
    created_at = get("created_at")
    if created_at is None:
        return Rejected(source, lineno, "created_at missing", excerpt(tweet))

    author_uid = f"x:{author_id}"
    retweeted = get("retweeted_status")
    text, entities = _text_and_entities(retweeted or tweet)
    if type(text) is not str:
        reason = "missing text" if text is None else "text is not a string"
        return Rejected(source, lineno, reason, excerpt(tweet))

    interactions: list[tuple[str, str]] = []
    repost_of_uid = quote_of_uid = retweeted_author = None
    if retweeted:
        repost_of_uid = f"x:{retweeted.get('id_str') or retweeted['id']}"
        original_user = retweeted.get("user") or _EMPTY
        retweeted_author = original_user.get("id_str") or original_user.get("id")
        if retweeted_author:
            retweeted_author = str(retweeted_author)
            interactions.append(("x:" + retweeted_author, "repost"))
    else:
        quoted_id = get("quoted_status_id_str")
        quoted = get("quoted_status")
        if quoted:
            quoted_id = quoted_id or quoted.get("id_str") or quoted.get("id")
            quoted_user = quoted.get("user") or _EMPTY
            quoted_author = quoted_user.get("id_str") or quoted_user.get("id")
            if quoted_author:
                interactions.append((f"x:{quoted_author}", "quote"))
        if quoted_id:
            quote_of_uid = f"x:{quoted_id}"
    reply_to = get("in_reply_to_status_id_str") or get("in_reply_to_status_id")
    reply_user = get("in_reply_to_user_id_str") or get("in_reply_to_user_id")
    if reply_user:
        interactions.append((f"x:{reply_user}", "reply"))

    _own_text, own_entities = _text_and_entities(tweet)
    for mention in own_entities.get("user_mentions") or ():
        mentioned = mention.get("id_str") or mention.get("id")
        if not mentioned:
            continue
        mentioned = str(mentioned)
        if retweeted is not None and mentioned == retweeted_author:
            continue  # the "@x" of "RT @x:"
        interactions.append(("x:" + mentioned, "mention"))
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]

    urls = entities.get("urls")
    hashtags = entities.get("hashtags")
    return Record(
        platform=PLATFORM,
        post_id=str(post_id),
        author_uid=author_uid,
        created_at=legacy_to_iso(created_at),
        text=text,
        author_handle=user.get("screen_name"),
        author_followers=user.get("followers_count"),
        author_created_at=legacy_to_iso(user.get("created_at")),
        lang=get("lang"),
        reply_to_uid=f"x:{reply_to}" if reply_to else None,
        repost_of_uid=repost_of_uid,
        quote_of_uid=quote_of_uid,
        conversation_uid=None,
        urls=[u.get("expanded_url") or u["url"] for u in urls] if urls else [],
        hashtags=[h["text"] for h in hashtags] if hashtags else [],
        interactions=interactions,
        source=source,
        line=lineno,
    )
