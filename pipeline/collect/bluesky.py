"""Collect Bluesky posts matching a search query (``app.bsky.feed.searchPosts``).

``GET <appview>/xrpc/app.bsky.feed.searchPosts?q=...&sort=latest&limit=...``, on the
public AppView by default (``https://public.api.bsky.app``, no account needed), with
the optional ``since``/``until``/``lang`` filters, paged with the response
``cursor``. Pages run from the newest post backwards, so resuming cannot use the
page cursor: the stored cursor is a time, ``since`` = the newest post's sort time
(the earlier of ``record.createdAt`` and ``indexedAt``, which the API filters on).
``since`` is inclusive, so the posts exactly at that time are remembered
(``boundary``) and dropped when they come back.

When a run stops at ``max_pages`` before reaching the stored ``since``, the
unread stretch is remembered as ``gap`` (``since`` .. oldest post read) and the
next run reads it first, so a busy query never loses posts, it only catches up
later.

Each query is one source with its own cursor:
``bluesky:<appview>/searchPosts?q=<query>`` (plus ``&lang=<lang>``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.engine import Engine

from pipeline.collect._http import HttpClient
from pipeline.collect._load import load_batch
from pipeline.collect.cursors import load_cursor
from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigError, SourceUnavailable
from pipeline.sources import bluesky as reader
from pipeline.store import IngestSummary

__all__ = ["MAX_LIMIT", "PUBLIC_APPVIEW", "collect_bluesky", "search_source"]

log = logging.getLogger(__name__)

#: Public AppView serving unauthenticated ``app.bsky.*`` reads.
PUBLIC_APPVIEW = "https://public.api.bsky.app"
#: Largest ``limit`` searchPosts accepts.
MAX_LIMIT = 100
_ENDPOINT = "/xrpc/app.bsky.feed.searchPosts"


def search_source(base_url: str, query: str, lang: str | None = None) -> str:
    """Source name (and cursor key) of a search query on an AppView."""
    params = {"q": query, **({"lang": lang} if lang else {})}
    return f"bluesky:{base_url.rstrip('/')}/searchPosts?{urlencode(params)}"


def _parse(value: Any) -> datetime | None:
    if type(value) is not str or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sort_at(post: dict[str, Any]) -> datetime | None:
    """The time searchPosts sorts and filters on: min(createdAt, indexedAt)."""
    record = post.get("record")
    created = _parse(record.get("createdAt")) if type(record) is dict else None
    indexed = _parse(post.get("indexedAt"))
    times = [t for t in (created, indexed) if t is not None]
    return min(times) if times else None


def _fetch(
    http: HttpClient,
    url: str,
    params: dict[str, Any],
    max_pages: int,
    drop: frozenset[str],
) -> tuple[list[dict[str, Any]], bool]:
    """Fetch pages backwards from the newest; return pages and whether more remain."""
    pages = []
    page_cursor = None
    for _ in range(max_pages):
        query = {**params, **({"cursor": page_cursor} if page_cursor else {})}
        body, _response = http.get_json(url, query)
        posts = body.get("posts") if type(body) is dict else None
        if type(posts) is not list:
            raise SourceUnavailable(f"{url}: expected a searchPosts response with posts")
        kept = [p for p in posts if not (type(p) is dict and p.get("uri") in drop)]
        if kept:
            pages.append({"posts": kept})
        page_cursor = body.get("cursor")
        if not posts or not page_cursor:
            return pages, False
    return pages, True


def _bounds(pages: list[dict[str, Any]]) -> tuple[datetime | None, datetime | None, list[str]]:
    """Newest and oldest sort time of the pages, and the URIs at the newest time."""
    newest = oldest = None
    at_newest: list[str] = []
    for page in pages:
        for post in page["posts"]:
            if type(post) is not dict:
                continue
            moment = _sort_at(post)
            if moment is None:
                continue
            if newest is None or moment > newest:
                newest, at_newest = moment, []
            if moment == newest and type(post.get("uri")) is str:
                at_newest.append(post["uri"])
            if oldest is None or moment < oldest:
                oldest = moment
    return newest, oldest, at_newest


def _collect_query(
    engine: Engine,
    http: HttpClient,
    base: str,
    query: str,
    *,
    lang: str | None,
    since: datetime | None,
    until: datetime | None,
    max_pages: int,
    limit: int,
    settings: Settings,
) -> IngestSummary:
    source = search_source(base, query, lang)
    url = base + _ENDPOINT
    state = load_cursor(engine, source) or {}
    stored_since = _parse(state.get("since"))
    params: dict[str, Any] = {"q": query, "sort": "latest", "limit": limit}
    if lang:
        params["lang"] = lang
    gap = state.get("gap")
    if gap:
        # Catch up on the stretch an earlier run could not finish.
        window = {"since": gap["since"], "until": gap["until"]}
        pages, more = _fetch(http, url, {**params, **window}, max_pages, frozenset())
        _newest, oldest, _ = _bounds(pages)
        new_state = dict(state)
        if more and oldest is not None:
            new_state["gap"] = {"since": gap["since"], "until": _iso(oldest)}
        else:
            new_state.pop("gap", None)
        return load_batch(engine, source, "bluesky", pages, reader.read, new_state, settings)

    lower = max((t for t in (stored_since, since) if t is not None), default=None)
    if lower is not None:
        params["since"] = _iso(lower)
    if until is not None:
        params["until"] = _iso(until)
    drop = frozenset(state.get("boundary") or ()) if lower == stored_since else frozenset()
    pages, more = _fetch(http, url, params, max_pages, drop)
    newest, oldest, at_newest = _bounds(pages)
    new_state = dict(state)
    if newest is not None and (stored_since is None or newest >= stored_since):
        if stored_since is not None and newest == stored_since:
            at_newest = sorted({*at_newest, *state.get("boundary", ())})
        new_state.update(since=_iso(newest), boundary=sorted(at_newest))
    if more and lower is not None and oldest is not None and oldest > lower:
        new_state["gap"] = {"since": _iso(lower), "until": _iso(oldest)}
        log.warning(
            "%s: max_pages=%d reached before %s; the rest is read on the next run",
            source,
            max_pages,
            _iso(lower),
        )
    cursor = new_state if new_state != state else None
    return load_batch(engine, source, "bluesky", pages, reader.read, cursor, settings)


def collect_bluesky(
    engine: Engine,
    query: str | Iterable[str],
    *,
    base_url: str = PUBLIC_APPVIEW,
    lang: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    max_pages: int = 10,
    limit: int = MAX_LIMIT,
    access_token: str | None = None,
    client: HttpClient | None = None,
    settings: Settings | None = None,
) -> list[IngestSummary]:
    """Fetch new posts matching search queries from a Bluesky AppView and load them.

    Parameters
    ----------
    engine : Engine
        Target database with the current schema.
    query : str or iterable of str
        Search queries (Lucene-like syntax of searchPosts, e.g. ``"#pigeons"``);
        each is its own source and cursor.
    base_url : str
        AppView (or PDS proxying it) base URL.
    lang : str, optional
        Only posts in this language (``"fr"``).
    since, until : str or datetime, optional
        Time bounds (ISO 8601). ``since`` is a floor on the first run (later runs
        start from their cursor, never before ``since``); ``until`` caps every run.
    max_pages : int
        Most pages fetched per query and run.
    limit : int
        Posts per page (at most :data:`MAX_LIMIT`).
    access_token : str, optional
        Bearer token (a session's ``accessJwt``), for an AppView or PDS that does
        not serve search anonymously; then ``base_url`` is usually the PDS.
    client : HttpClient, optional
        HTTP policy (retries, backoff, rate-limit waits, injectable sleep); a
        default one is created and closed otherwise.
    settings : Settings, optional
        Chunk size and pseudonymisation key (default: from the environment).

    Returns
    -------
    list of IngestSummary
        One per query; ``status`` is ``done``, ``skipped`` or ``empty``.

    Raises
    ------
    SourceUnavailable
        When the AppView stays unreachable or refuses the request.
    ConfigError
        For a malformed URL, time, ``limit`` or ``max_pages``.
    """
    queries = [query] if isinstance(query, str) else list(query)
    if not queries or any(not q.strip() for q in queries):
        raise ConfigError("give a non-empty Bluesky search query")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not an AppView URL: {base_url!r}")
    if not 1 <= limit <= MAX_LIMIT or max_pages < 1:
        raise ConfigError(f"limit must be 1..{MAX_LIMIT} and max_pages >= 1")
    bounds = []
    for name, value in (("since", since), ("until", until)):
        moment = value if isinstance(value, datetime) or value is None else _parse(value)
        if value is not None and moment is None:
            raise ConfigError(f"{name} is not an ISO 8601 time: {value!r}")
        if isinstance(moment, datetime) and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        bounds.append(moment)
    settings = settings or get_settings()
    base = base_url.rstrip("/")
    own_client = client is None
    if client is None:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else None
        client = HttpClient(headers=headers)
    try:
        summaries = []
        for q in queries:
            summary = _collect_query(
                engine,
                client,
                base,
                q,
                lang=lang,
                since=bounds[0],
                until=bounds[1],
                max_pages=max_pages,
                limit=limit,
                settings=settings,
            )
            log.info("%s: %s", summary.source, summary)
            summaries.append(summary)
        return summaries
    finally:
        if own_client:
            client.close()
