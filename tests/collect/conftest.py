"""Local stand-ins for the Mastodon and Bluesky APIs, replaying recorded payloads.

Each fake runs a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (port 0) in a
thread and serves the statuses / postViews of ``tests/fixtures/live`` with the
paging rules of the published APIs (Mastodon ``max_id``/``since_id``/``min_id``,
``limit`` and ``Link`` headers; Bluesky ``searchPosts`` ``cursor``, ``since``,
``until``, ``lang``). Tests add newer posts, script failures (``fail``) and extra
headers (``headers``), and read the request log (``requests``). Nothing leaves the
machine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import orjson
import pytest

from pipeline.collect import HttpClient
from tests.conftest import truncate_all

LIVE = Path(__file__).resolve().parent.parent / "fixtures" / "live"
#: Fixed "now" of the tests' client clock (epoch seconds).
NOW = 1_727_800_000.0


def load_fixture(name: str) -> list[dict[str, Any]]:
    """Decode a recorded payload of ``tests/fixtures/live``."""
    return orjson.loads((LIVE / name).read_bytes())


class FakeApi:
    """A tiny HTTP API; subclasses implement :meth:`route`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.headers: Callable[[int], dict[str, str]] = lambda n: {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                api.requests.append((unquote(parts.path), query))
                if api.failures:
                    status, headers = api.failures.pop(0)
                    body = b'{"error": "scripted failure"}'
                else:
                    status, headers, body = api.route(unquote(parts.path), query)
                headers = {**api.headers(len(api.requests)), **headers}
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        """Answer the next requests with these statuses, then behave normally."""
        self.failures.extend((status, headers or {}) for status in statuses)

    def route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _id_key(status_id: str) -> tuple[int, str]:
    return len(status_id), status_id


class FakeMastodon(FakeApi):
    """``/api/v1/timelines/tag/:hashtag`` and ``/api/v1/timelines/public``."""

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        super().__init__()
        self.statuses = list(statuses)

    def add(self, statuses: list[dict[str, Any]]) -> None:
        """New statuses arrive (kept newest first)."""
        self.statuses = sorted(
            [*self.statuses, *statuses], key=lambda s: _id_key(s["id"]), reverse=True
        )

    def route(self, path, query):
        if path.startswith("/api/v1/timelines/tag/"):
            tag = path.rsplit("/", 1)[1].lower()
            pool = [s for s in self.statuses if tag in {t["name"] for t in s["tags"]}]
        elif path == "/api/v1/timelines/public":
            pool = self.statuses
            if query.get("local") == "true":
                pool = [s for s in pool if "@" not in s["account"]["acct"]]
        else:
            return 404, {}, b'{"error": "Record not found"}'
        limit = min(int(query.get("limit", 20)), 40)
        if "max_id" in query:
            pool = [s for s in pool if _id_key(s["id"]) < _id_key(query["max_id"])]
        if "since_id" in query:
            pool = [s for s in pool if _id_key(s["id"]) > _id_key(query["since_id"])]
        if "min_id" in query:  # the statuses right after min_id, still newest first
            newer = [s for s in pool if _id_key(s["id"]) > _id_key(query["min_id"])]
            page = newer[-limit:]
        else:
            page = pool[:limit]
        headers = {}
        if page:
            keep = {k: v for k, v in query.items() if k not in ("max_id", "min_id", "since_id")}
            base = f"{self.url}{path}?"
            older = urlencode({**keep, "max_id": page[-1]["id"]})
            newer_link = urlencode({**keep, "min_id": page[0]["id"]})
            headers["Link"] = f'<{base}{older}>; rel="next", <{base}{newer_link}>; rel="prev"'
        return 200, headers, orjson.dumps(page)


def sort_at(post: dict[str, Any]) -> datetime:
    """searchPosts' sort time of a postView."""
    created = datetime.fromisoformat(post["record"]["createdAt"].replace("Z", "+00:00"))
    indexed = datetime.fromisoformat(post["indexedAt"].replace("Z", "+00:00"))
    return min(created, indexed)


class FakeBluesky(FakeApi):
    """``/xrpc/app.bsky.feed.searchPosts`` with cursor paging and time filters."""

    def __init__(self, posts: list[dict[str, Any]]) -> None:
        super().__init__()
        self.posts = list(posts)

    def add(self, posts: list[dict[str, Any]]) -> None:
        """New posts are indexed (kept newest first)."""
        self.posts = sorted([*self.posts, *posts], key=sort_at, reverse=True)

    def route(self, path, query):
        if path != "/xrpc/app.bsky.feed.searchPosts":
            return 404, {}, b'{"error": "MethodNotImplemented"}'
        if not query.get("q"):
            return 400, {}, b'{"error": "InvalidRequest", "message": "q is required"}'
        needle = query["q"].lower()
        pool = [p for p in self.posts if needle in p["record"]["text"].lower()]
        if "since" in query:
            since = datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
            pool = [p for p in pool if sort_at(p) >= since]
        if "until" in query:
            until = datetime.fromisoformat(query["until"].replace("Z", "+00:00"))
            pool = [p for p in pool if sort_at(p) < until]
        if "lang" in query:
            pool = [p for p in pool if query["lang"] in p["record"].get("langs", [])]
        limit = min(int(query.get("limit", 25)), 100)
        offset = int(query.get("cursor", 0))
        page = pool[offset : offset + limit]
        body: dict[str, Any] = {"posts": page, "hitsTotal": len(pool)}
        if offset + limit < len(pool):
            body["cursor"] = str(offset + limit)
        return 200, {}, orjson.dumps(body)


class Sleeper:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(autouse=True)
def _empty(engine):
    truncate_all(engine)


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


@pytest.fixture
def client(sleeper):
    """An HttpClient that never sleeps for real and whose clock is :data:`NOW`."""
    with HttpClient(retries=2, backoff=1.0, max_wait=600, timeout=5, sleep=sleeper,
                    clock=lambda: NOW) as http:  # fmt: skip
        yield http


@pytest.fixture
def mastodon_api():
    api = FakeMastodon(load_fixture("mastodon/tag_pigeons.json"))
    yield api
    api.close()


@pytest.fixture
def bluesky_api():
    api = FakeBluesky(load_fixture("bluesky/search_pigeons.json"))
    yield api
    api.close()


@pytest.fixture
def dead_url() -> str:
    """A URL nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
