"""HTTP for the live collectors: retries with backoff, rate-limit headers, one clear error.

:class:`HttpClient` wraps an :class:`httpx.Client`. Every GET is retried on
connection errors, timeouts, ``429`` and ``5xx`` with exponential backoff
(``backoff * 2**attempt`` seconds, or what ``Retry-After`` / a rate-limit reset
asks for); when the source stays down it raises
:class:`~pipeline.errors.SourceUnavailable` with one line naming the URL and the
last failure. Other ``4xx`` statuses are not retried.

Rate limits are read from the headers both platforms send:

* Mastodon: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``
  (an ISO 8601 time);
* Bluesky (and the IETF draft): ``RateLimit-Limit``, ``RateLimit-Remaining``,
  ``RateLimit-Reset`` (epoch seconds, or seconds from now when small).

When a response says no request is left, the next request first sleeps until the
reset time, at most ``max_wait`` seconds. ``sleep`` and ``clock`` are injectable so
tests never wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipeline.errors import SourceUnavailable

__all__ = ["USER_AGENT", "HttpClient", "rate_limit_wait"]

log = logging.getLogger(__name__)

USER_AGENT = "protestwatch/0.1 (+https://github.com/protestwatch/protestwatch)"
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def _reset_epoch(value: str, now: float) -> float | None:
    """Parse a rate-limit reset header: ISO time, epoch seconds or delta seconds."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return number if number > 1e9 else now + number


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            return value
    return None


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait before the next request, from a response's rate-limit headers.

    Parameters
    ----------
    headers : mapping
        Response headers (case-insensitive mapping, as httpx gives).
    now : float
        Current epoch time.

    Returns
    -------
    float or None
        ``None`` when requests remain (or no header says otherwise); else the
        seconds until the reset (``0`` if the reset time has passed).
    """
    remaining = _header(headers, "x-ratelimit-remaining", "ratelimit-remaining")
    if remaining is None:
        return None
    try:
        if float(remaining) > 0:
            return None
    except ValueError:
        return None
    reset = _header(headers, "x-ratelimit-reset", "ratelimit-reset")
    epoch = _reset_epoch(reset, now) if reset else None
    return None if epoch is None else max(0.0, epoch - now)


def _retry_after(headers: Mapping[str, str], now: float) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return rate_limit_wait(headers, now)
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            return rate_limit_wait(headers, now)


class HttpClient:
    """GET JSON from a public API politely: retries, backoff and rate limits.

    Parameters
    ----------
    retries : int, default 4
        Attempts after the first one for transient failures.
    backoff : float, default 1.0
        First backoff in seconds; doubles on every retry.
    max_wait : float, default 900.0
        Longest single sleep, for a rate-limit reset or a ``Retry-After``.
    timeout : float, default 30.0
        Connect and read timeout of one request, in seconds.
    headers : mapping, optional
        Extra request headers (e.g. ``Authorization``).
    sleep : callable, default time.sleep
        Called with the seconds to wait; tests pass a recorder.
    clock : callable, default time.time
        Current epoch time, for rate-limit resets.
    transport : httpx.BaseTransport, optional
        Custom transport (tests).
    """

    def __init__(
        self,
        *,
        retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 900.0,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            transport=transport,
            follow_redirects=True,
        )
        self._wait_until: float | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _pause(self, seconds: float, why: str) -> None:
        seconds = min(max(0.0, seconds), self.max_wait)
        if seconds > 0:
            log.info("sleeping %.1fs: %s", seconds, why)
            self.sleep(seconds)

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        """GET ``url`` and return the successful (2xx) response.

        Raises
        ------
        SourceUnavailable
            After ``retries`` retries of transient failures, or at once for a
            non-retryable client error (``4xx`` other than ``408/425/429``).
        """
        target = _display(url)
        failure = "no attempt"
        for attempt in range(self.retries + 1):
            if self._wait_until is not None:
                self._pause(self._wait_until - self.clock(), f"rate limit of {target}")
                self._wait_until = None
            try:
                response = self._client.get(url, params=params)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                delay = self.backoff * 2**attempt
            else:
                now = self.clock()
                wait = rate_limit_wait(response.headers, now)
                if wait is not None:
                    self._wait_until = now + wait
                if response.is_success:
                    return response
                failure = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code not in _RETRY_STATUSES:
                    raise SourceUnavailable(f"{target}: {failure}{_hint(response)}")
                delay = self.backoff * 2**attempt
                asked = _retry_after(response.headers, now)
                if asked is not None:
                    delay = max(delay, asked)
                    self._wait_until = None  # the pause below covers it
            if attempt < self.retries:
                log.warning("%s: %s, retry %d/%d", target, failure, attempt + 1, self.retries)
                self._pause(delay, f"backoff after {failure}")
        raise SourceUnavailable(
            f"{target} unavailable after {self.retries + 1} attempts: {failure}"
        )

    def get_json(
        self, url: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, httpx.Response]:
        """GET ``url`` and decode its JSON body; see :meth:`get`.

        Raises
        ------
        SourceUnavailable
            Also when the body is not JSON (a captive portal, an HTML error page).
        """
        import orjson

        response = self.get(url, params)
        try:
            return orjson.loads(response.content), response
        except orjson.JSONDecodeError as exc:
            raise SourceUnavailable(f"{_display(url)}: response is not JSON ({exc})") from None


def _display(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _hint(response: httpx.Response) -> str:
    if response.status_code in (401, 403):
        return " (this endpoint may need an access token)"
    if response.status_code == 404:
        return " (wrong instance URL or endpoint?)"
    return ""
