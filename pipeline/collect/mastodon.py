"""Collect public Mastodon timelines: hashtag timelines and the public timeline.

Endpoints (Mastodon REST API, no account needed on most instances):

* ``GET /api/v1/timelines/tag/:hashtag`` — public statuses with a hashtag;
* ``GET /api/v1/timelines/public`` (``local=true`` for the instance's own posts).

Each timeline is one source with its own cursor, named
``mastodon:<instance>/tag/<hashtag>``, ``mastodon:<instance>/public`` or
``mastodon:<instance>/public/local``. Paging follows the ``Link`` header:

* first run (no cursor): the newest page, then ``rel="next"`` (older, ``max_id``)
  up to ``max_pages`` pages — the history depth of a new source;
* later runs: ``min_id=<newest id stored>``, which returns the statuses right after
  it, then ``rel="prev"`` (newer, ``min_id``) until the timeline is exhausted or
  ``max_pages`` is reached. Nothing is skipped: when the page budget runs out, the
  next run continues from the newest status loaded.

The cursor (``{"newest_id": ..., "newest_at": ...}``) is stored in
``source_cursors`` in the same transaction as the statuses. Status ids are
instance-local and sortable; they are compared by length, then text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import Engine

from pipeline.collect._http import HttpClient
from pipeline.collect._load import load_batch
from pipeline.collect.cursors import load_cursor
from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigError, SourceUnavailable
from pipeline.sources import mastodon as reader
from pipeline.store import IngestSummary

__all__ = ["MAX_LIMIT", "collect_mastodon", "instance_url", "timeline_source"]

log = logging.getLogger(__name__)

#: Largest ``limit`` the timeline endpoints accept.
MAX_LIMIT = 40


def instance_url(instance: str) -> str:
    """Base URL of an instance: ``mastodon.social`` -> ``https://mastodon.social``.

    Raises
    ------
    ConfigError
        If ``instance`` is not a host name or an http(s) URL.
    """
    text = instance.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"not a Mastodon instance URL: {instance!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def timeline_source(base: str, hashtag: str | None = None, *, local: bool = False) -> str:
    """Source name (and cursor key) of a timeline of instance ``base``."""
    if hashtag is not None:
        return f"mastodon:{base}/tag/{hashtag.lstrip('#').lower()}"
    return f"mastodon:{base}/public" + ("/local" if local else "")


def _id_key(status_id: str) -> tuple[int, str]:
    return len(status_id), status_id


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _fetch_timeline(
    http: HttpClient,
    base: str,
    path: str,
    params: dict[str, Any],
    newest_id: str | None,
    max_pages: int,
) -> list[list[dict[str, Any]]]:
    """Fetch up to ``max_pages`` non-empty pages, forward from ``newest_id`` if given."""
    url = base + path
    query: dict[str, Any] | None = dict(params)
    if newest_id is not None:
        query["min_id"] = newest_id
        direction = "prev"
    else:
        direction = "next"
    pages = []
    for _ in range(max_pages):
        statuses, response = http.get_json(url, query)
        if type(statuses) is not list:
            raise SourceUnavailable(f"{url}: expected a JSON array of statuses")
        if not statuses:
            break
        pages.append(statuses)
        link = response.links.get(direction)
        if not link or not _same_origin(link["url"], base):
            break
        url, query = link["url"], None
    else:
        log.info("%s: stopped after max_pages=%d pages", base + path, max_pages)
    return pages


def _newest(pages: list[list[Any]], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    best = previous
    for page in pages:
        for status in page:
            if type(status) is not dict or type(status.get("id")) is not str:
                continue
            if best is None or _id_key(status["id"]) > _id_key(best["newest_id"]):
                best = {"newest_id": status["id"], "newest_at": status.get("created_at")}
    return best


def collect_mastodon(
    engine: Engine,
    instance: str,
    hashtags: Iterable[str] = (),
    *,
    public: bool = False,
    local: bool = False,
    max_pages: int = 10,
    limit: int = MAX_LIMIT,
    access_token: str | None = None,
    client: HttpClient | None = None,
    settings: Settings | None = None,
) -> list[IngestSummary]:
    """Fetch new public statuses of an instance's timelines and load them.

    Parameters
    ----------
    engine : Engine
        Target database with the current schema.
    instance : str
        Instance host or base URL (``"mastodon.social"``, ``"https://piaille.fr"``).
    hashtags : iterable of str
        Hashtag timelines to collect (with or without ``#``).
    public : bool
        Also collect the public timeline.
    local : bool
        With ``public``, only the instance's own posts (``local=true``).
    max_pages : int
        Most pages fetched per timeline and run.
    limit : int
        Statuses per page (at most :data:`MAX_LIMIT`).
    access_token : str, optional
        Bearer token, for instances that close their timelines to anonymous reads.
    client : HttpClient, optional
        HTTP policy (retries, backoff, rate-limit waits, injectable sleep); a
        default one is created and closed otherwise.
    settings : Settings, optional
        Chunk size and pseudonymisation key (default: from the environment).

    Returns
    -------
    list of IngestSummary
        One per timeline, in order (hashtags, then public); ``status`` is ``done``,
        ``skipped`` (same content loaded before) or ``empty`` (nothing new).

    Raises
    ------
    SourceUnavailable
        When the instance stays unreachable or refuses the request; timelines
        loaded before the failure stay loaded with their cursors.
    ConfigError
        For a malformed instance, no timeline, or a bad ``limit``/``max_pages``.
    """
    base = instance_url(instance)
    host = urlsplit(base).hostname
    tags = [tag.lstrip("#").strip() for tag in hashtags]
    if any(not tag for tag in tags):
        raise ConfigError("empty hashtag given to collect from Mastodon")
    if not tags and not public:
        raise ConfigError("nothing to collect: give hashtags or public=True")
    if not 1 <= limit <= MAX_LIMIT or max_pages < 1:
        raise ConfigError(f"limit must be 1..{MAX_LIMIT} and max_pages >= 1")
    settings = settings or get_settings()
    timelines = [
        (timeline_source(base, tag), f"/api/v1/timelines/tag/{quote(tag, safe='')}", {})
        for tag in tags
    ]
    if public:
        timelines.append(
            (
                timeline_source(base, local=local),
                "/api/v1/timelines/public",
                {"local": "true"} if local else {},
            )
        )
    own_client = client is None
    if client is None:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else None
        client = HttpClient(headers=headers)
    try:
        summaries = []
        for source, path, params in timelines:
            previous = load_cursor(engine, source)
            newest_id = previous.get("newest_id") if previous else None
            pages = _fetch_timeline(
                client, base, path, {**params, "limit": limit}, newest_id, max_pages
            )
            cursor = _newest(pages, previous)

            def read(lines, name, _host=host):
                return reader.read(lines, name, instance=_host)

            summary = load_batch(engine, source, "mastodon", pages, read, cursor, settings)
            log.info("%s: %s", source, summary)
            summaries.append(summary)
        return summaries
    finally:
        if own_client:
            client.close()
