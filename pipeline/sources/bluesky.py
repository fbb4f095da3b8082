"""Read Bluesky posts: ``app.bsky.feed.defs#postView`` objects as JSON Lines.

Each line may be a postView, a feed item ``{"post": postView, "reply": ...,
"reason": ...}``, or a whole API response: ``{"posts": [...]}``
(``app.bsky.feed.searchPosts``, ``getPosts``) or ``{"feed": [...]}``
(``getAuthorFeed``, ``getTimeline``, ``getFeed``). Posts of one response share its
line number.

Mapping (``platform = "bluesky"``): ``post_id`` is the post's ``at://`` URI;
``author_uid = "bluesky:" + author.did``, ``author_handle = author.handle``,
``author_followers = author.followersCount`` and ``author_created_at =
author.createdAt`` when the view carries them. From the record: ``text``,
``createdAt``, ``langs[0]``; facets give hashtags (``#tag``), mention edges
(``#mention``, by DID) and urls (``#link``); the record's ``tags`` are hashtags
too and an external link card (``app.bsky.embed.external``) is a url.
``reply.parent.uri`` -> ``reply_to_uid`` with a ``reply`` edge to the DID in that
URI; ``reply.root.uri`` -> ``conversation_uid`` (a post that is not a reply is the
root of its own conversation). A quote embed (``app.bsky.embed.record`` or
``recordWithMedia`` pointing at a post) -> ``quote_of_uid`` and a ``quote`` edge to
the quoted author (``embed.record.author.did`` of the view, else the DID in the URI).

A feed item whose ``reason`` is ``app.bsky.feed.defs#reasonRepost`` is a repost by
``reason.by``: it becomes one record of its own, with the original's text,
hashtags, urls and language, ``created_at = reason.indexedAt``, ``repost_of_uid`` =
the original and a ``repost`` edge to its author. Its ``post_id`` is the repost
record's URI (``reason.uri``) when the API gives it, else the synthetic, stable
``<original uri>#repost:<reposter did>``. The original post itself is not emitted
(as for X retweets, only the collected item is). Edges from an author to themself
are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.sources.base import Record, Rejected
from pipeline.sources.jsonl import excerpt, iter_values

__all__ = ["PLATFORM", "read"]

PLATFORM = "bluesky"
_EMPTY: dict[str, Any] = {}
_TAG = "app.bsky.richtext.facet#tag"
_MENTION = "app.bsky.richtext.facet#mention"
_LINK = "app.bsky.richtext.facet#link"
_EMBED_RECORD = "app.bsky.embed.record"
_EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_EMBED_EXTERNAL = "app.bsky.embed.external"
_REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
_POST_COLLECTION = "/app.bsky.feed.post/"


def _did_of(uri: Any) -> str | None:
    """Return the DID authority of an ``at://did:.../...`` URI, else None."""
    if type(uri) is not str or not uri.startswith("at://did:"):
        return None
    return uri[5:].split("/", 1)[0]


def read(lines: Iterable[bytes | str], source: str) -> Iterator[Record | Rejected]:
    """Read Bluesky postViews, feed items or API responses.

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input.
    source : str
        Name of the input, copied into every record.

    Yields
    ------
    Record or Rejected
        One per post or repost; see the module docstring.
    """
    for item in iter_values(lines, source):
        if type(item) is Rejected:
            yield item
            continue
        lineno, obj = item
        if type(obj) is not dict:
            yield Rejected(source, lineno, "not a JSON object", excerpt(obj))
            continue
        if type(obj.get("posts")) is list:
            entries = obj["posts"]
        elif type(obj.get("feed")) is list:
            entries = obj["feed"]
        else:
            entries = (obj,)
        for entry in entries:
            if type(entry) is not dict:
                yield Rejected(source, lineno, "post is not a JSON object", excerpt(entry))
                continue
            try:
                if "post" in entry:
                    result = _feed_item(entry, source, lineno)
                elif "uri" in entry or "record" in entry:
                    result = _post(entry, source, lineno)
                else:
                    reason = "not a Bluesky post or feed item"
                    result = Rejected(source, lineno, reason, excerpt(entry))
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                reason = f"unexpected post structure: {type(exc).__name__}: {exc}"
                result = Rejected(source, lineno, reason, excerpt(entry))
            yield result


def _feed_item(item: dict[str, Any], source: str, lineno: int) -> Record | Rejected:
    post = item["post"]
    if type(post) is not dict:
        return Rejected(source, lineno, "post is not a JSON object", excerpt(item))
    reason = item.get("reason")
    if type(reason) is dict and reason.get("$type") == _REASON_REPOST:
        return _repost(post, reason, source, lineno, item)
    return _post(post, source, lineno)


def _author(author: Any) -> tuple[str | None, dict[str, Any]]:
    if type(author) is not dict:
        return None, _EMPTY
    did = author.get("did")
    return (did if type(did) is str and did else None), author


def _content(post: dict[str, Any]) -> tuple[Any, list[str], list[str], list[tuple[str, str]]]:
    """Return text, hashtags, urls and mention edges of a postView."""
    record = post.get("record") or _EMPTY
    hashtags: list[str] = []
    urls: list[str] = []
    mentions: list[tuple[str, str]] = []
    for facet in record.get("facets") or ():
        for feature in facet.get("features") or ():
            kind = feature.get("$type")
            if kind == _TAG:
                value = feature.get("tag")
                if value and type(value) is str:
                    hashtags.append(value)
            elif kind == _MENTION:
                value = feature.get("did")
                if value and type(value) is str:
                    mentions.append((f"{PLATFORM}:{value}", "mention"))
            elif kind == _LINK:
                value = feature.get("uri")
                if value and type(value) is str:
                    urls.append(value)
    tags = record.get("tags")
    if type(tags) is list:
        hashtags.extend(tag for tag in tags if type(tag) is str and tag not in hashtags)
    embed = record.get("embed") or _EMPTY
    if embed.get("$type") == _EMBED_RECORD_WITH_MEDIA:
        media = embed.get("media") or _EMPTY
    else:
        media = embed
    if media.get("$type") == _EMBED_EXTERNAL:
        link = (media.get("external") or _EMPTY).get("uri")
        if link and link not in urls:
            urls.append(link)
    return record.get("text"), hashtags, urls, mentions


def _quote(post: dict[str, Any]) -> tuple[str | None, str | None]:
    """Return the quoted post's URI and author DID, if the post quotes one."""
    embed = (post.get("record") or _EMPTY).get("embed") or _EMPTY
    kind = embed.get("$type")
    if kind == _EMBED_RECORD:
        ref = embed.get("record") or _EMPTY
    elif kind == _EMBED_RECORD_WITH_MEDIA:
        ref = (embed.get("record") or _EMPTY).get("record") or _EMPTY
    else:
        return None, None
    uri = ref.get("uri")
    if type(uri) is not str or _POST_COLLECTION not in uri:
        return None, None
    view = post.get("embed") or _EMPTY
    view_record = view.get("record") or _EMPTY
    if "record" in view_record and "author" not in view_record:  # recordWithMedia#view
        view_record = view_record.get("record") or _EMPTY
    author = (view_record.get("author") or _EMPTY).get("did") or _did_of(uri)
    return uri, author


def _post(post: dict[str, Any], source: str, lineno: int) -> Record | Rejected:
    uri = post.get("uri")
    if not uri or type(uri) is not str:
        return Rejected(source, lineno, "missing id", excerpt(post))
    did, author = _author(post.get("author"))
    if did is None:
        return Rejected(source, lineno, "missing author", excerpt(post))
    record = post.get("record")
    if type(record) is not dict:
        return Rejected(source, lineno, "missing record", excerpt(post))
    created_at = record.get("createdAt")
    if created_at is None:
        return Rejected(source, lineno, "created_at missing", excerpt(post))
    text, hashtags, urls, interactions = _content(post)
    if type(text) is not str:
        reason = "missing text" if text is None else "text is not a string"
        return Rejected(source, lineno, reason, excerpt(post))
    author_uid = f"{PLATFORM}:{did}"

    reply = record.get("reply") or _EMPTY
    parent = (reply.get("parent") or _EMPTY).get("uri")
    root = (reply.get("root") or _EMPTY).get("uri")
    if parent:
        parent_did = _did_of(parent)
        if parent_did:
            interactions.append((f"{PLATFORM}:{parent_did}", "reply"))
    quote_uri, quoted_did = _quote(post)
    if quoted_did:
        interactions.append((f"{PLATFORM}:{quoted_did}", "quote"))
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]
    return Record(
        platform=PLATFORM,
        post_id=uri,
        author_uid=author_uid,
        created_at=created_at,
        text=text,
        author_handle=author.get("handle"),
        author_followers=author.get("followersCount"),
        author_created_at=author.get("createdAt"),
        lang=_first_lang(record),
        reply_to_uid=f"{PLATFORM}:{parent}" if parent else None,
        repost_of_uid=None,
        quote_of_uid=f"{PLATFORM}:{quote_uri}" if quote_uri else None,
        conversation_uid=f"{PLATFORM}:{root or parent or uri}",
        urls=urls,
        hashtags=hashtags,
        interactions=interactions,
        source=source,
        line=lineno,
    )


def _first_lang(record: dict[str, Any]) -> str | None:
    langs = record.get("langs")
    return langs[0] if type(langs) is list and langs else None


def _repost(
    post: dict[str, Any], reason: dict[str, Any], source: str, lineno: int, item: dict[str, Any]
) -> Record | Rejected:
    original_uri = post.get("uri")
    if not original_uri or type(original_uri) is not str:
        return Rejected(source, lineno, "missing id", excerpt(item))
    did, reposter = _author(reason.get("by"))
    if did is None:
        return Rejected(source, lineno, "missing author", excerpt(item))
    created_at = reason.get("indexedAt")
    if created_at is None:
        return Rejected(source, lineno, "created_at missing", excerpt(item))
    text, hashtags, urls, _mentions = _content(post)
    if type(text) is not str:
        reason_text = "missing text" if text is None else "text is not a string"
        return Rejected(source, lineno, reason_text, excerpt(item))
    author_uid = f"{PLATFORM}:{did}"
    original_did, _original = _author(post.get("author"))
    interactions = []
    if original_did and original_did != did:
        interactions.append((f"{PLATFORM}:{original_did}", "repost"))
    repost_uri = reason.get("uri") or f"{original_uri}#repost:{did}"
    return Record(
        platform=PLATFORM,
        post_id=repost_uri,
        author_uid=author_uid,
        created_at=created_at,
        text=text,
        author_handle=reposter.get("handle"),
        author_followers=reposter.get("followersCount"),
        author_created_at=reposter.get("createdAt"),
        lang=_first_lang(post.get("record") or _EMPTY),
        reply_to_uid=None,
        repost_of_uid=f"{PLATFORM}:{original_uri}",
        quote_of_uid=None,
        conversation_uid=None,
        urls=urls,
        hashtags=hashtags,
        interactions=interactions,
        source=source,
        line=lineno,
    )
