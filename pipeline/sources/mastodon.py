"""Read Mastodon status entities (REST API ``Status``), as JSON Lines or JSON arrays.

Accepted: one status per line; one JSON array of statuses per line (a saved API
page, e.g. ``/api/v1/timelines/tag/:hashtag``); or one pretty-printed array.

Identifiers (``platform = "mastodon"``)
---------------------------------------
A status ``id`` is a row id in the database of the instance that *served* it
(remote posts get a local id there), and ``in_reply_to_id`` and ``reblog.id`` are
ids of that same instance. So ``post_id = "<serving host>/<id>"``, e.g.
``mastodon.social/109384226474316011``, and the reply/repost/quote links use the
same host. The serving host is the ``instance`` argument when given (live
collection knows it; pass it for files whenever you can). Otherwise it is read off
the status: the host of a local author's ``account.url`` (a local ``acct`` has no
``@domain``), else the host of a hashtag ``url`` (always written by the serving
instance), else, for a remote status without hashtags, the host of the status
``uri`` (its origin instance; ids then still never collide in practice, but a reply
to such a post may not link).

Authors are global: ``author_uid = "mastodon:user@domain"`` (``acct``, completed
with the host of ``account.url`` for local accounts), which is the same on every
instance; ``author_handle`` is that ``user@domain`` too. Mentions use the same form
(``mentions[].acct``). Account ids are instance-local, so they are not used, except
to recognise the replied-to account (``in_reply_to_account_id``) among the author
and the mentions; when it is neither, no ``reply`` edge is written.

Fields: HTML ``content`` becomes plain text (``<br>`` -> newline, paragraphs ->
blank line, tags stripped, entities unescaped); a non-empty ``spoiler_text``
(content warning) is put before it on its own line. ``tags[].name`` -> hashtags;
links of ``content`` other than mention and hashtag links, plus ``card.url``, ->
urls; ``language`` -> lang. A reblog takes the reblogged status's text, tags, links
and language, links ``repost_of_uid`` and a ``repost`` edge. Quotes (Mastodon 4.5
``quote`` attribute, full or shallow) link ``quote_of_uid`` and a ``quote`` edge
when the quoted status is embedded. No conversation id exists in this entity:
``conversation_uid`` is None. Edges from an author to themself are dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from pipeline.sources.base import Record, Rejected
from pipeline.sources.jsonl import excerpt, iter_values

__all__ = ["PLATFORM", "html_to_text", "read"]

PLATFORM = "mastodon"
_EMPTY: dict[str, Any] = {}
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p>\s*<p(?:\s[^>]*)?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_CLASS = re.compile(r"""class\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_REL = re.compile(r"""rel\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def html_to_text(content: str) -> str:
    """Turn Mastodon status HTML into plain text, keeping line breaks.

    Parameters
    ----------
    content : str
        The ``content`` of a status.

    Returns
    -------
    str
        Text with ``<br>`` as ``\\n`` and paragraph breaks as ``\\n\\n``.
    """
    if "<" not in content:
        return html.unescape(content)
    text = _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", content))
    return html.unescape(_TAG.sub("", text)).strip()


def _attribute(pattern: re.Pattern[str], tag: str) -> str:
    match = pattern.search(tag)
    if match is None:
        return ""
    return match.group(1) if match.group(1) is not None else match.group(2)


def _links(content: str) -> list[str]:
    """Return the hrefs of ``content`` that are not mention or hashtag links."""
    links = []
    for tag in _ANCHOR.findall(content):
        classes = _attribute(_CLASS, tag)
        if "mention" in classes or "hashtag" in classes or "tag" in _attribute(_REL, tag).split():
            continue
        href = _attribute(_HREF, tag)
        if href:
            links.append(html.unescape(href))
    return links


def _host(url: Any) -> str | None:
    if type(url) is not str or not url:
        return None
    return urlsplit(url).hostname


def _acct(account: dict[str, Any]) -> str | None:
    """Return ``user@domain`` for an account or mention object."""
    acct = account.get("acct")
    if not acct or type(acct) is not str:
        return None
    if "@" in acct:
        return acct
    host = _host(account.get("url"))
    return f"{acct}@{host}" if host else acct


def _serving_host(status: dict[str, Any], instance: str | None) -> str | None:
    if instance:
        return instance
    account = status.get("account") or _EMPTY
    acct = account.get("acct")
    if type(acct) is str and "@" not in acct:
        host = _host(account.get("url")) or _host(status.get("url"))
        if host:
            return host
    for holder in (status, status.get("reblog") or _EMPTY):
        for tag in holder.get("tags") or ():
            host = _host(tag.get("url"))
            if host:
                return host
    return _host(status.get("uri"))


def read(
    lines: Iterable[bytes | str], source: str, *, instance: str | None = None
) -> Iterator[Record | Rejected]:
    """Read Mastodon statuses.

    Parameters
    ----------
    lines : iterable of bytes or str
        The lines of one input.
    source : str
        Name of the input, copied into every record.
    instance : str, optional
        Host name of the instance the statuses were fetched from
        (``"mastodon.social"``); see the module docstring for the default.

    Yields
    ------
    Record or Rejected
        One per status; statuses of one array share the array's line number.
    """
    for item in iter_values(lines, source):
        if type(item) is Rejected:
            yield item
            continue
        lineno, value = item
        statuses = value if type(value) is list else (value,)
        for status in statuses:
            if type(status) is not dict:
                yield Rejected(source, lineno, "status is not a JSON object", excerpt(status))
                continue
            try:
                result = _status(status, source, lineno, instance)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                reason = f"unexpected status structure: {type(exc).__name__}: {exc}"
                result = Rejected(source, lineno, reason, excerpt(status))
            yield result


def _content(status: dict[str, Any]) -> tuple[str | None, list[str], list[str]]:
    """Return text (None if ``content`` is not a string), hashtags and links."""
    content = status.get("content")
    if content is None:
        content = ""
    if type(content) is not str:
        return None, [], []
    text = html_to_text(content)
    spoiler = status.get("spoiler_text")
    if spoiler and type(spoiler) is str:
        text = f"{html.unescape(spoiler)}\n{text}" if text else html.unescape(spoiler)
    tags = [tag["name"] for tag in status.get("tags") or ()]
    urls = _links(content) if "<a" in content else []
    card = status.get("card")
    if card and card.get("url") and card["url"] not in urls:
        urls.append(card["url"])
    return text, tags, urls


def _status(
    status: dict[str, Any], source: str, lineno: int, instance: str | None
) -> Record | Rejected:
    status_id = status.get("id")
    if not status_id:
        return Rejected(source, lineno, "missing id", excerpt(status))
    account = status.get("account")
    author = _acct(account) if type(account) is dict else None
    if not author:
        return Rejected(source, lineno, "missing author", excerpt(status))
    created_at = status.get("created_at")
    if created_at is None:
        return Rejected(source, lineno, "created_at missing", excerpt(status))
    host = _serving_host(status, instance)
    prefix = f"{host}/" if host else ""
    author_uid = f"{PLATFORM}:{author}"

    reblog = status.get("reblog")
    shown = reblog if type(reblog) is dict else status
    text, hashtags, urls = _content(shown)
    if text is None:
        return Rejected(source, lineno, "text is not a string", excerpt(status))

    interactions: list[tuple[str, str]] = []
    repost_of_uid = quote_of_uid = reply_to_uid = None
    if shown is reblog:
        repost_of_uid = f"{PLATFORM}:{prefix}{reblog['id']}"
        original = _acct(reblog.get("account") or _EMPTY)
        if original:
            interactions.append((f"{PLATFORM}:{original}", "repost"))
    else:
        quote = status.get("quote")
        if type(quote) is dict:
            quoted = quote.get("quoted_status")
            quoted_id = quote.get("quoted_status_id")
            if type(quoted) is dict:
                quoted_id = quoted.get("id")
                quoted_author = _acct(quoted.get("account") or _EMPTY)
                if quoted_author:
                    interactions.append((f"{PLATFORM}:{quoted_author}", "quote"))
            if quoted_id:
                quote_of_uid = f"{PLATFORM}:{prefix}{quoted_id}"
        mention_accts = {}
        for mention in status.get("mentions") or ():
            acct = _acct(mention)
            if acct:
                mention_accts[mention.get("id")] = acct
                interactions.append((f"{PLATFORM}:{acct}", "mention"))
        if status.get("in_reply_to_id"):
            reply_to_uid = f"{PLATFORM}:{prefix}{status['in_reply_to_id']}"
            replied = status.get("in_reply_to_account_id")
            replied_acct = mention_accts.get(replied) if replied else None
            if replied_acct:
                interactions.append((f"{PLATFORM}:{replied_acct}", "reply"))
    if interactions:
        interactions = [edge for edge in dict.fromkeys(interactions) if edge[0] != author_uid]

    followers = account.get("followers_count")
    return Record(
        platform=PLATFORM,
        post_id=f"{prefix}{status_id}",
        author_uid=author_uid,
        created_at=created_at,
        text=text,
        author_handle=author,
        author_followers=followers if type(followers) is int else None,
        author_created_at=account.get("created_at"),
        lang=shown.get("language"),
        reply_to_uid=reply_to_uid,
        repost_of_uid=repost_of_uid,
        quote_of_uid=quote_of_uid,
        conversation_uid=None,
        urls=urls,
        hashtags=hashtags,
        interactions=interactions,
        source=source,
        line=lineno,
    )
