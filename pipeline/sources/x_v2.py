"""Read X (Twitter) API v2 JSON Lines: response pages and flattened tweets.

Two line shapes are accepted, even mixed in one file:

* a response page as written by ``twarc2 search`` / ``timeline`` / ``stream``:
  ``{"data": [tweet, ...], "includes": {"users": [...], "tweets": [...]}, "meta": ...}``
  (``data`` may also be a single tweet, as in stream and lookup responses);
* one tweet per line as written by ``twarc2 flatten``, where ``author`` and the
  fields of each ``referenced_tweets[]`` item are inlined in the tweet.

Mapping (``platform = "x"``): ``post_id = id``; the author comes from
``includes.users`` by ``author_id`` (or the inlined ``author``): ``username``,
``public_metrics.followers_count``, ``created_at``. Long posts use
``note_tweet.text`` and its entities. ``referenced_tweets`` gives ``reply_to_uid``
(``replied_to``), ``repost_of_uid`` (``retweeted``) and ``quote_of_uid``
(``quoted``). A retweet takes the original's full text, hashtags and URLs when the
original is in ``includes.tweets`` (its own text is the truncated ``RT @x: ...``).

Interactions: ``repost`` to the retweeted author, ``quote`` to the quoted author
(both known only when the referenced tweet is included), ``reply`` to
``in_reply_to_user_id``, ``mention`` to each ``entities.mentions[].id`` except the
``@x`` of ``RT @x:``. Edges from an author to themself are dropped.

Rejections: a line that is not JSON (one :class:`Rejected` for the whole page), a
tweet without ``id``, ``author_id`` or ``created_at``, or whose text is not a
string (one :class:`Rejected` for that tweet, numbered with the page's line).
Pages without ``data`` (``result_count: 0``, errors only) yield nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.sources.base import Record, Rejected
from pipeline.sources.jsonl import excerpt, iter_values

__all__ = ["PLATFORM", "read"]

PLATFORM = "x"
_EMPTY: dict[str, Any] = {}


def _index(items: Any) -> dict[str, dict[str, Any]]:
    """Map ``id`` to object for an ``includes`` list (ignoring malformed items)."""
    if type(items) is not list:
        return {}
    return {
        item["id"]: item
        for item in items
        if type(item) is dict and type(item.get("id")) in (str, int)
    }


def read(lines: Iterable[bytes | str], source: str) -> Iterator[Record | Rejected]:
    """Read X API v2 JSON Lines (response pages or flattened tweets).

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input.
    source : str
        Name of the input, copied into every record.

    Yields
    ------
    Record or Rejected
        One per tweet of the input, in input order; see the module docstring.
    """
    for item in iter_values(lines, source):
        if type(item) is Rejected:
            yield item
            continue
        lineno, obj = item
        if type(obj) is not dict:
            yield Rejected(source, lineno, "not a JSON object", excerpt(obj))
            continue
        if "data" in obj or "includes" in obj or "meta" in obj or "errors" in obj:
            data = obj.get("data")
            if data is None:
                continue
            if type(data) is dict:
                data = [data]
            elif type(data) is not list:
                yield Rejected(source, lineno, "data is not a list of tweets", excerpt(obj))
                continue
            includes = obj.get("includes")
            if type(includes) is not dict:
                includes = _EMPTY
            users = _index(includes.get("users"))
            tweets = _index(includes.get("tweets"))
        elif "id" in obj or "author_id" in obj:
            data, users, tweets = (obj,), None, None
        else:
            yield Rejected(source, lineno, "not an X v2 tweet or response page", excerpt(obj))
            continue
        for tweet in data:
            if type(tweet) is not dict:
                yield Rejected(source, lineno, "tweet is not a JSON object", excerpt(tweet))
                continue
            try:
                result = _tweet(tweet, users, tweets, source, lineno)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                reason = f"unexpected tweet structure: {type(exc).__name__}: {exc}"
                result = Rejected(source, lineno, reason, excerpt(tweet))
            yield result


def _tweet(
    tweet: dict[str, Any],
    users: dict[str, Any] | None,
    tweets: dict[str, Any] | None,
    source: str,
    lineno: int,
) -> Record | Rejected:
    """Map one tweet; ``users``/``tweets`` are None for a flattened tweet."""
    get = tweet.get
    post_id = get("id")
    if not post_id:
        return Rejected(source, lineno, "missing id", excerpt(tweet))
    author_id = get("author_id")
    if not author_id:
        return Rejected(source, lineno, "missing author", excerpt(tweet))
    created_at = get("created_at")
    if created_at is None:
        return Rejected(source, lineno, "created_at missing", excerpt(tweet))
    text = get("text")
    own_entities = entities = get("entities") or _EMPTY
    note = get("note_tweet")
    if note:
        text = note.get("text", text)
        entities = note.get("entities") or entities
    if type(text) is not str:
        reason = "missing text" if text is None else "text is not a string"
        return Rejected(source, lineno, reason, excerpt(tweet))

    if type(author_id) is not str:
        author_id = str(author_id)
    author_uid = "x:" + author_id
    author = users.get(author_id) if users is not None else None
    if author is None:
        author = get("author") or _EMPTY
    metrics = author.get("public_metrics")

    reply_to_uid = repost_of_uid = quote_of_uid = retweeted_author = None
    interactions: list[tuple[str, str]] = []
    refs = get("referenced_tweets")
    if refs:
        for ref in refs:
            kind = ref.get("type")
            ref_id = ref["id"]
            ref_uid = "x:" + str(ref_id)
            full = tweets.get(ref_id) if tweets is not None else ref
            ref_author = full.get("author_id") if full else None
            if kind == "retweeted":
                repost_of_uid = ref_uid
                if ref_author:
                    retweeted_author = str(ref_author)
                    interactions.append(("x:" + retweeted_author, "repost"))
                if full and "text" in full:
                    text = full["text"]
                    entities = full.get("entities") or _EMPTY
                    original_note = full.get("note_tweet")
                    if original_note:
                        text = original_note.get("text", text)
                        entities = original_note.get("entities") or entities
            elif kind == "quoted":
                quote_of_uid = ref_uid
                if ref_author:
                    interactions.append(("x:" + str(ref_author), "quote"))
            elif kind == "replied_to":
                reply_to_uid = ref_uid
    in_reply_to = get("in_reply_to_user_id")
    if in_reply_to:
        interactions.append(("x:" + str(in_reply_to), "reply"))
    mentions = own_entities.get("mentions")
    if mentions:
        for mention in mentions:
            mentioned = mention.get("id")
            if not mentioned:
                continue
            if repost_of_uid is not None and (
                mentioned == retweeted_author or mention.get("start") == 3
            ):
                continue  # the "@x" of "RT @x:"
            interactions.append(("x:" + str(mentioned), "mention"))
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]

    urls = entities.get("urls")
    hashtags = entities.get("hashtags")
    conversation = get("conversation_id")
    # Positional arguments, in the order of Record's fields: this is the hot path.
    return Record(
        PLATFORM,  # platform
        post_id if type(post_id) is str else str(post_id),  # post_id
        author_uid,  # author_uid
        created_at,  # created_at
        text,  # text
        author.get("username"),  # author_handle
        metrics.get("followers_count") if metrics else None,  # author_followers
        author.get("created_at"),  # author_created_at
        get("lang"),  # lang
        reply_to_uid,  # reply_to_uid
        repost_of_uid,  # repost_of_uid
        quote_of_uid,  # quote_of_uid
        "x:" + str(conversation) if conversation else None,  # conversation_uid
        [u.get("expanded_url") or u["url"] for u in urls] if urls else [],  # urls
        [h["tag"] for h in hashtags] if hashtags else [],  # hashtags
        interactions,  # interactions
        source,  # source
        lineno,  # line
    )
