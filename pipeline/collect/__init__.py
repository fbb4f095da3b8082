"""Live collectors: public Mastodon timelines and Bluesky search, resumable.

Each collector fetches what is new since its stored cursor
(:mod:`pipeline.collect.cursors`), passes the pages through the same platform
reader as files (:mod:`pipeline.sources.mastodon`, :mod:`pipeline.sources.bluesky`)
and loads them with :func:`pipeline.store.ingest_records`: one ingest run per
timeline or query and call, the cursor advancing in the same transaction as the
posts. HTTP goes through :class:`~pipeline.collect._http.HttpClient` (retries with
backoff, rate-limit headers, :class:`~pipeline.errors.SourceUnavailable` when a
source stays down).

=============================  ==================================================
:func:`collect_mastodon`       hashtag and public timelines of an instance
:func:`collect_bluesky`        ``app.bsky.feed.searchPosts`` on an AppView
=============================  ==================================================
"""

from pipeline.collect._http import HttpClient
from pipeline.collect.bluesky import PUBLIC_APPVIEW, collect_bluesky
from pipeline.collect.cursors import load_cursor, save_cursor
from pipeline.collect.mastodon import collect_mastodon

__all__ = [
    "PUBLIC_APPVIEW",
    "HttpClient",
    "collect_bluesky",
    "collect_mastodon",
    "load_cursor",
    "save_cursor",
]
