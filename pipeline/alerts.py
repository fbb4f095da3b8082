"""Alert delivery: webhooks (JSON or Slack/Mattermost) and e-mail, once per episode.

Detect writes one ``alerts`` row per movement *episode*; this module sends each one
to every configured destination and records the outcome in ``alert_deliveries``
(migration 0004), keyed by ``(movement_id, episode, destination)``. The key is the
episode, not ``alert_id``: re-running detect for a window deletes and rewrites that
window's alert rows (new ``alert_id``), and the rewritten alert must not be sent
again.

How a delivery run works (:func:`deliver_alerts`):

1. *Enqueue*: a ``pending`` row is inserted for every (alert, destination) pair
   that has none yet (``ON CONFLICT DO NOTHING``), so a rerun adds nothing.
2. *Claim and send*, one row per transaction: the next due ``pending`` row is
   locked with ``SELECT ... FOR UPDATE SKIP LOCKED`` (concurrent deliverers never
   pick the same row), the alert is sent while the lock is held, and the row is
   marked ``delivered`` in the same transaction, committed right after the receiver
   acknowledged (HTTP 2xx, SMTP ``250``).
3. *Retry*: on a timeout, a connection error, HTTP 408/425/429/5xx or an SMTP 4xx
   reply the row stays ``pending`` with ``next_attempt_at = now + backoff * 2**(n-1)``
   (capped at ``max_backoff``, at least ``Retry-After``); after ``max_attempts`` it
   becomes ``failed``. Other answers (HTTP 3xx/4xx, SMTP 5xx) fail at once: they
   need a fix, not a retry. ``retry_failed=True`` puts failed rows back in the queue.

Guarantee, stated honestly: *exactly once per episode and destination* as far as
this database can know, *at least once* on the wire. If the process dies, or the
database becomes unreachable, after the receiver acknowledged but before the commit,
the row is still ``pending`` and the alert is sent again on the next run. Every
webhook request therefore carries ``Idempotency-Key: <movement_id>:<episode>`` (also
in the JSON body) and every e-mail a stable ``Message-ID``, so receivers can drop
the duplicate.

Destinations are stored as non-secret keys (``webhook:<host>:<hash of the URL>``,
``email:<recipients>``): webhook URLs often embed tokens and never reach the
database or the logs in full.

Settings (read by :func:`delivery_settings` when not given explicitly):

=================================  ============================================  ========
variable                           meaning                                       default
=================================  ============================================  ========
``PROTESTWATCH_WEBHOOKS``          comma-separated http(s) URLs to POST to       unset
``PROTESTWATCH_WEBHOOK_FORMAT``    ``json`` (alert as JSON) or ``slack``         ``json``
                                   (Slack/Mattermost incoming-webhook payload)
``PROTESTWATCH_SMTP_HOST``         SMTP server; unset: no e-mail                 unset
``PROTESTWATCH_SMTP_PORT``         SMTP port                                     ``25``
``PROTESTWATCH_SMTP_FROM``         sender address                                required
``PROTESTWATCH_SMTP_TO``           comma-separated recipients                    required
``PROTESTWATCH_SMTP_STARTTLS``     ``1`` to upgrade the connection with STARTTLS ``0``
``PROTESTWATCH_SMTP_USER``         login (with ``PROTESTWATCH_SMTP_PASSWORD``)   unset
=================================  ============================================  ========
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import smtplib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.errors import ConfigError

__all__ = [
    "DeliverySettings",
    "Destination",
    "SmtpSettings",
    "alert_email",
    "alert_json",
    "deliver_alerts",
    "delivery_settings",
    "describe_delivery",
    "email_destination",
    "idempotency_key",
    "slack_payload",
    "webhook_destination",
]

log = logging.getLogger(__name__)

USER_AGENT = "protestwatch/0.1 (alert delivery)"
_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_ERROR = 500


# -- destinations ---------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send alert e-mails."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_mapping(cls, raw: Mapping) -> SmtpSettings:
        """Validate a dict with ``host``, ``port``, ``from``, ``to`` (list or comma
        string), ``starttls``, ``user``, ``password``.

        Raises
        ------
        ConfigError
            If the host, sender or recipients are missing or malformed.
        """
        host = str(raw.get("host") or "").strip()
        if not host or any(c.isspace() for c in host):
            raise ConfigError(f"SMTP host is missing or invalid: {host!r} (PROTESTWATCH_SMTP_HOST)")
        try:
            port = int(raw.get("port") or 25)
        except (TypeError, ValueError):
            raise ConfigError(
                f"SMTP port must be an integer, got {raw.get('port')!r} (PROTESTWATCH_SMTP_PORT)"
            ) from None
        if not 0 < port < 65536:
            raise ConfigError(f"SMTP port out of range: {port} (PROTESTWATCH_SMTP_PORT)")
        sender = str(raw.get("from") or raw.get("sender") or "").strip()
        if not _is_address(sender):
            raise ConfigError(
                f"SMTP sender is missing or not an e-mail address: {sender!r} "
                "(PROTESTWATCH_SMTP_FROM)"
            )
        to = raw.get("to") or raw.get("recipients") or ()
        recipients = tuple(
            r.strip() for r in (to.split(",") if isinstance(to, str) else to) if r.strip()
        )
        bad = [r for r in recipients if not _is_address(r)]
        if not recipients or bad:
            raise ConfigError(
                "SMTP recipients are missing or not e-mail addresses: "
                f"{', '.join(bad) or 'none given'} (PROTESTWATCH_SMTP_TO)"
            )
        return cls(
            host=host,
            sender=sender,
            recipients=recipients,
            port=port,
            starttls=_truthy(raw.get("starttls")),
            user=raw.get("user") or None,
            password=raw.get("password") or None,
        )


def _is_address(value: str) -> bool:
    _, address = parseaddr(value)
    return bool(re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+", address))


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"} if value else False


@dataclass(frozen=True)
class Destination:
    """One place alerts go to.

    ``key`` is what ``alert_deliveries.destination`` stores: stable for the same
    URL or recipients, and free of secrets.
    """

    key: str
    channel: str  # "webhook", "slack" or "email"
    url: str | None = field(default=None, repr=False)
    smtp: SmtpSettings | None = None

    def describe(self) -> str:
        """Human-readable name without secrets (no URL path or query)."""
        if self.url is not None:
            parts = urlsplit(self.url)
            return f"{self.channel} {parts.scheme}://{parts.hostname}/…"
        return self.key


def _redacted(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return repr(url[:24] + "…" if len(url) > 24 else url)
    if parts.scheme and parts.netloc:
        shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        return repr(shown + ("/…" if parts.path not in ("", "/") or parts.query else ""))
    return repr(url[:24] + "…" if len(url) > 24 else url)


def webhook_destination(url: str, fmt: str = "json") -> Destination:
    """Validate a webhook URL and build its destination.

    Raises
    ------
    ConfigError
        If ``url`` is not an ``http``/``https`` URL with a host, or ``fmt`` is unknown.
    """
    if fmt not in {"json", "slack"}:
        raise ConfigError(
            f"unknown webhook format {fmt!r}: use 'json' or 'slack' (PROTESTWATCH_WEBHOOK_FORMAT)"
        )
    url = url.strip()
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or not re.fullmatch(r"[\w.-]+|[0-9a-f:.]+", parts.hostname)
        or not port_ok
        or any(c.isspace() for c in url)
    ):
        raise ConfigError(
            f"bad webhook URL {_redacted(url)}: expected http(s)://host/path "
            "(PROTESTWATCH_WEBHOOKS is a comma-separated list of URLs)"
        )
    try:
        import httpx

        httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise ConfigError(f"bad webhook URL {_redacted(url)}: httpx cannot parse it") from None
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return Destination(
        key=f"webhook:{parts.hostname}:{digest}",
        channel="slack" if fmt == "slack" else "webhook",
        url=url,
    )


def email_destination(smtp: SmtpSettings | Mapping) -> Destination:
    """Build the e-mail destination (validates a mapping with :meth:`SmtpSettings.from_mapping`)."""
    settings = smtp if isinstance(smtp, SmtpSettings) else SmtpSettings.from_mapping(smtp)
    key = "email:" + ",".join(sorted(r.lower() for r in settings.recipients))
    return Destination(key=key[:200], channel="email", smtp=settings)


@dataclass(frozen=True)
class DeliverySettings:
    """Destinations configured in the environment."""

    webhooks: tuple[str, ...] = ()
    webhook_format: str = "json"
    smtp: dict | None = None


def delivery_settings(environ: Mapping[str, str] | None = None) -> DeliverySettings:
    """Read the delivery settings (see the module docstring) from the environment."""
    env = os.environ if environ is None else environ
    webhooks = tuple(
        u.strip() for u in env.get("PROTESTWATCH_WEBHOOKS", "").split(",") if u.strip()
    )
    fmt = (env.get("PROTESTWATCH_WEBHOOK_FORMAT") or "json").strip().lower()
    smtp = None
    if env.get("PROTESTWATCH_SMTP_HOST"):
        smtp = {
            "host": env.get("PROTESTWATCH_SMTP_HOST"),
            "port": env.get("PROTESTWATCH_SMTP_PORT") or 25,
            "from": env.get("PROTESTWATCH_SMTP_FROM"),
            "to": env.get("PROTESTWATCH_SMTP_TO"),
            "starttls": env.get("PROTESTWATCH_SMTP_STARTTLS"),
            "user": env.get("PROTESTWATCH_SMTP_USER"),
            "password": env.get("PROTESTWATCH_SMTP_PASSWORD"),
        }
    return DeliverySettings(webhooks=webhooks, webhook_format=fmt, smtp=smtp)


def _destinations(webhooks, slack, smtp) -> list[Destination]:
    settings = delivery_settings()
    if webhooks is None:
        webhooks = settings.webhooks
    fmt = settings.webhook_format if slack is None else ("slack" if slack else "json")
    if smtp is None:
        smtp = settings.smtp
    found = {}
    for url in webhooks:
        if url.strip():
            dest = webhook_destination(url, fmt)
            found.setdefault(dest.key, dest)
    if smtp:
        dest = email_destination(smtp)
        found[dest.key] = dest
    if not found:
        raise ConfigError(
            "no alert destination configured: set PROTESTWATCH_WEBHOOKS and/or "
            "PROTESTWATCH_SMTP_HOST (with PROTESTWATCH_SMTP_FROM and PROTESTWATCH_SMTP_TO)"
        )
    return list(found.values())


# -- messages -------------------------------------------------------------------------


def idempotency_key(movement_id: str, episode: int) -> str:
    """The key receivers can deduplicate on: ``<movement_id>:<episode>``."""
    return f"{movement_id}:{int(episode)}"


def _iso(value) -> str:
    return pd.Timestamp(value).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def _when(value) -> str:
    return f"{pd.Timestamp(value).tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"


def alert_json(alert: Mapping) -> dict:
    """The JSON body posted to ``json`` webhooks.

    Parameters
    ----------
    alert : mapping
        ``movement_id, episode, label, fired_at, score, reason, evidence``.

    Returns
    -------
    dict
        ``type`` (``"protestwatch.alert"``), ``idempotency_key``, the alert fields and
        its evidence (hashtags, stance, sample posts, communities, coordination).
    """
    return {
        "type": "protestwatch.alert",
        "idempotency_key": idempotency_key(alert["movement_id"], alert["episode"]),
        "movement_id": alert["movement_id"],
        "episode": int(alert["episode"]),
        "label": alert["label"],
        "fired_at": _iso(alert["fired_at"]),
        "score": round(float(alert["score"]), 4),
        "reason": alert["reason"],
        "evidence": alert["evidence"],
    }


def _slack_escape(text: str) -> str:
    """Untrusted text for Slack/Mattermost: no markup, links or @channel mentions."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", "@\u200b")


def _summary_lines(alert: Mapping) -> list[tuple[str, str]]:
    ev = alert["evidence"] or {}
    stance = ev.get("stance") or {}
    fields = [
        ("Score", f"{float(alert['score']):.2f}"),
        ("Window ending", _when(alert["fired_at"])),
        ("Posts", f"{ev.get('posts', '?')} ({ev.get('new_authors', '?')} new authors)"),
        (
            "Stance",
            f"{stance.get('against', 0)} against, {stance.get('favour', 0)} favour, "
            f"{stance.get('none', 0)} none",
        ),
        ("Grassroots", f"{ev.get('grassroots', float('nan')):.2f}"),
        (
            "Coordination",
            f"{ev.get('coordination', float('nan')):.2f} "
            f"({ev.get('coordinated_accounts', 0)} coordinated accounts)",
        ),
    ]
    tags = " ".join(f"#{t}" for t in ev.get("hashtags", [])[:8])
    if tags:
        fields.append(("Hashtags", tags))
    return fields


def slack_payload(alert: Mapping) -> dict:
    """A Slack/Mattermost incoming-webhook payload: ``text`` plus one attachment.

    ``text`` is a complete one-line summary (what notifications show); the attachment
    carries the reason, fields and the first sample post. Both Slack and Mattermost
    render ``attachments``. All user text is escaped (``&``, ``<``, ``>``) and
    ``@`` mentions are defused, so a post cannot ping a channel or inject links.
    """
    label = _slack_escape(alert["label"])
    text = (
        f"protestwatch alert: {label} is emerging opposition "
        f"(score {float(alert['score']):.2f}, window ending {_when(alert['fired_at'])})"
    )
    ev = alert["evidence"] or {}
    fields = [
        {"title": title, "value": _slack_escape(value), "short": title != "Hashtags"}
        for title, value in _summary_lines(alert)
    ]
    samples = ev.get("sample_posts") or []
    if samples:
        fields.append(
            {
                "title": "Sample post",
                "value": _slack_escape(samples[0].get("text", "")),
                "short": False,
            }
        )
    return {
        "text": text,
        "attachments": [
            {
                "fallback": text,
                "color": "#D55E00",
                "title": label,
                "text": _slack_escape(alert["reason"]),
                "fields": fields,
                "footer": _slack_escape(
                    f"protestwatch · {idempotency_key(alert['movement_id'], alert['episode'])}"
                ),
                "ts": int(pd.Timestamp(alert["fired_at"]).timestamp()),
            }
        ],
    }


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def alert_email(alert: Mapping, smtp: SmtpSettings) -> EmailMessage:
    """The plain-text e-mail of an alert, with a stable ``Message-ID``."""
    ev = alert["evidence"] or {}
    key = idempotency_key(alert["movement_id"], alert["episode"])
    msg = EmailMessage()
    msg["Subject"] = _one_line(
        f"protestwatch alert: {alert['label']}, emerging opposition "
        f"(score {float(alert['score']):.2f})"
    )[:200]
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Date"] = format_datetime(pd.Timestamp(alert["fired_at"]).to_pydatetime())
    msg["Message-ID"] = f"<{re.sub(r'[^A-Za-z0-9._-]', '_', key)}@protestwatch.alert>"
    msg["X-Protestwatch-Idempotency-Key"] = _one_line(key)
    lines = [
        f"Movement: {alert['label']} ({alert['movement_id']}, episode {int(alert['episode'])})",
        "",
        alert["reason"],
        "",
    ]
    lines += [f"{title}: {value}" for title, value in _summary_lines(alert)]
    samples = ev.get("sample_posts") or []
    if samples:
        lines += ["", "Sample posts (untrusted user content):"]
        lines += [f"  - {_one_line(p.get('text', ''))}" for p in samples]
    communities = ev.get("communities") or []
    if communities:
        lines += [
            "",
            "Communities carrying it: "
            + ", ".join(f"{c['community']} ({c['share']:.0%})" for c in communities),
        ]
    msg.set_content("\n".join(lines) + "\n")
    return msg


# -- sending --------------------------------------------------------------------------


class _Failure(Exception):
    """A failed attempt: ``retry`` tells whether another attempt may succeed."""

    def __init__(self, message: str, retry: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _send_webhook(client, dest: Destination, alert: Mapping) -> None:
    import httpx

    body = slack_payload(alert) if dest.channel == "slack" else alert_json(alert)
    key = idempotency_key(alert["movement_id"], alert["episode"])
    try:
        response = client.post(
            dest.url,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": key,
                "User-Agent": USER_AGENT,
            },
        )
    except httpx.InvalidURL as exc:
        raise _Failure(f"invalid URL: {exc}", retry=False) from None
    except httpx.TimeoutException as exc:
        raise _Failure(f"timeout: {type(exc).__name__}", retry=True) from None
    except httpx.TransportError as exc:
        raise _Failure(f"connection failed: {exc}", retry=True) from None
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = _one_line(response.text)[:200]
    message = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status >= 500 or status in _RETRY_STATUSES:
        raise _Failure(
            message, retry=True, retry_after=_retry_after(response.headers.get("Retry-After"))
        )
    if 300 <= status < 400:
        message += " (redirect: configure the final URL)"
    raise _Failure(message, retry=False)


def _send_email(dest: Destination, alert: Mapping, timeout: float) -> None:
    smtp = dest.smtp
    msg = alert_email(alert, smtp)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            refused = server.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise _Failure(
            f"SMTP recipients refused: {exc.recipients}", retry=all(400 <= c < 500 for c in codes)
        ) from None
    except smtplib.SMTPResponseException as exc:
        error = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        raise _Failure(
            f"SMTP {exc.smtp_code}: {_one_line(error)}", retry=400 <= exc.smtp_code < 500
        ) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise _Failure(f"SMTP connection failed: {exc or type(exc).__name__}", retry=True) from None
    except smtplib.SMTPException as exc:
        raise _Failure(f"SMTP error: {exc}", retry=False) from None
    if refused:
        # some recipients took it: retrying would duplicate it for them
        log.warning("alert %s: some recipients refused it: %s", msg["Message-ID"], refused)


# -- the queue ------------------------------------------------------------------------

_ENQUEUE = """
INSERT INTO alert_deliveries (movement_id, episode, destination, channel)
SELECT a.movement_id, a.episode, d.destination, d.channel
FROM alerts AS a
CROSS JOIN unnest(CAST(:keys AS text[]), CAST(:channels AS text[])) AS d(destination, channel)
WHERE CAST(:since AS timestamptz) IS NULL OR a.fired_at >= CAST(:since AS timestamptz)
ON CONFLICT DO NOTHING
"""

_CLAIM = """
SELECT d.movement_id, d.episode, d.destination, d.attempts,
       a.fired_at, a.score, a.reason, a.evidence, coalesce(m.label, d.movement_id) AS label
FROM alert_deliveries AS d
JOIN alerts AS a USING (movement_id, episode)
LEFT JOIN movements AS m USING (movement_id)
WHERE d.status = 'pending' AND d.destination = ANY(:keys)
  AND d.next_attempt_at <= clock_timestamp()
ORDER BY d.next_attempt_at, a.fired_at, d.movement_id, d.episode, d.destination
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""

_DELIVERED = """
UPDATE alert_deliveries
SET status = 'delivered', attempts = attempts + 1, attempted_at = clock_timestamp(),
    delivered_at = clock_timestamp(), next_attempt_at = NULL, last_error = NULL
WHERE movement_id = :m AND episode = :e AND destination = :d
"""

_FAILED = """
UPDATE alert_deliveries
SET attempts = attempts + 1, attempted_at = clock_timestamp(), last_error = :error,
    status = CASE WHEN :retry AND attempts + 1 < :max_attempts THEN 'pending' ELSE 'failed' END,
    next_attempt_at = CASE WHEN :retry AND attempts + 1 < :max_attempts
                           THEN clock_timestamp() + make_interval(secs => :delay) END
WHERE movement_id = :m AND episode = :e AND destination = :d
"""

_NEXT_DUE = """
SELECT extract(epoch FROM min(next_attempt_at) - clock_timestamp())
FROM alert_deliveries WHERE status = 'pending' AND destination = ANY(:keys)
  AND EXISTS (SELECT 1 FROM alerts AS a
              WHERE a.movement_id = alert_deliveries.movement_id
                AND a.episode = alert_deliveries.episode)
"""


def deliver_alerts(
    engine: Engine,
    *,
    webhooks: list[str] | None = None,
    slack: bool | None = None,
    smtp: Mapping | SmtpSettings | None = None,
    max_attempts: int = 5,
    backoff: float = 30.0,
    max_backoff: float = 3600.0,
    timeout: float = 10.0,
    since: pd.Timestamp | None = None,
    max_wait: float = 0.0,
    retry_failed: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Send every alert not yet delivered to every destination, once per episode.

    Parameters
    ----------
    engine : Engine
        Database with ``alerts`` and ``alert_deliveries``.
    webhooks : list of str, optional
        URLs to POST alerts to; default ``PROTESTWATCH_WEBHOOKS``.
    slack : bool, optional
        Post Slack/Mattermost payloads instead of the alert JSON; default
        ``PROTESTWATCH_WEBHOOK_FORMAT == "slack"``.
    smtp : mapping or SmtpSettings, optional
        E-mail settings (``host, port, from, to, starttls, user, password``);
        default the ``PROTESTWATCH_SMTP_*`` variables, none if the host is unset.
    max_attempts : int
        Attempts per delivery before it is marked ``failed``.
    backoff, max_backoff : float
        Seconds before the first retry, doubled after each failure, capped.
    timeout : float
        Seconds allowed for one HTTP request or SMTP conversation.
    since : Timestamp, optional
        Only queue alerts fired at or after this time (use it when adding a
        destination to a database with old alerts). Alerts already queued are sent.
    max_wait : float
        Seconds this call may wait for retries that fall due; ``0`` sends what is due
        now and leaves later retries to the next call (cron, Airflow).
    retry_failed : bool
        Put ``failed`` deliveries of these destinations back in the queue first.
    sleep : callable
        Injected for tests.

    Returns
    -------
    dict
        ``destinations`` (descriptions without secrets), ``queued`` (new deliveries),
        ``delivered``, ``retried`` (failed attempts to be retried), ``failed`` (given up
        in this call), ``pending`` (still queued at the end).

    Raises
    ------
    ConfigError
        If no destination is configured, or a URL or the SMTP settings are malformed.
    """
    import httpx

    if max_attempts < 1:
        raise ConfigError(f"max_attempts must be at least 1, got {max_attempts}")
    dests = _destinations(webhooks, slack, smtp)
    by_key = {d.key: d for d in dests}
    keys = list(by_key)
    summary = {
        "destinations": [d.describe() for d in dests],
        "queued": 0,
        "delivered": 0,
        "retried": 0,
        "failed": 0,
        "pending": 0,
    }
    since_ts = None if since is None else pd.Timestamp(since).to_pydatetime()
    with engine.begin() as conn:
        if retry_failed:
            conn.execute(
                sa.text(
                    "UPDATE alert_deliveries SET status = 'pending', attempts = 0, "
                    "next_attempt_at = clock_timestamp() "
                    "WHERE status = 'failed' AND destination = ANY(:keys)"
                ),
                {"keys": keys},
            )
        summary["queued"] = conn.execute(
            sa.text(_ENQUEUE),
            {"keys": keys, "channels": [by_key[k].channel for k in keys], "since": since_ts},
        ).rowcount

    deadline = time.monotonic() + max_wait
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        while True:
            if _deliver_one(
                engine, client, by_key, keys, summary, max_attempts, backoff, max_backoff, timeout
            ):
                continue
            with engine.connect() as conn:
                wait = conn.scalar(sa.text(_NEXT_DUE), {"keys": keys})
            if wait is None:
                break
            # due now but not claimable: another deliverer holds it; poll briefly
            wait = max(float(wait), 0.0) or 0.1
            if time.monotonic() + wait > deadline:
                break
            sleep(wait + 0.01)
    with engine.connect() as conn:
        summary["pending"] = conn.scalar(
            sa.text(
                "SELECT count(*) FROM alert_deliveries WHERE status = 'pending' "
                "AND destination = ANY(:keys)"
            ),
            {"keys": keys},
        )
    log.info("alert delivery: %s", summary)
    return summary


def _deliver_one(
    engine, client, by_key, keys, summary, max_attempts, backoff, max_backoff, timeout
) -> bool:
    """Claim one due delivery, send it and record the outcome; False if none is due."""
    with engine.begin() as conn:
        row = conn.execute(sa.text(_CLAIM), {"keys": keys}).mappings().first()
        if row is None:
            return False
        alert = dict(row)
        if isinstance(alert["evidence"], str):
            alert["evidence"] = json.loads(alert["evidence"])
        dest = by_key[alert["destination"]]
        where = {"m": alert["movement_id"], "e": alert["episode"], "d": alert["destination"]}
        name = f"{idempotency_key(alert['movement_id'], alert['episode'])} -> {dest.describe()}"
        try:
            if dest.channel == "email":
                _send_email(dest, alert, timeout)
            else:
                _send_webhook(client, dest, alert)
        except _Failure as failure:
            attempt = alert["attempts"] + 1
            retry = failure.retry and attempt < max_attempts
            delay = min(max_backoff, backoff * 2 ** (attempt - 1))
            if failure.retry_after is not None:
                delay = max(delay, min(max_backoff, failure.retry_after))
            conn.execute(
                sa.text(_FAILED),
                {
                    **where,
                    "error": str(failure)[:_MAX_ERROR],
                    "retry": failure.retry,
                    "max_attempts": max_attempts,
                    "delay": delay,
                },
            )
            if retry:
                summary["retried"] += 1
                log.warning(
                    "alert %s: attempt %d failed (%s); retry in %.0f s",
                    name,
                    attempt,
                    failure,
                    delay,
                )
            else:
                summary["failed"] += 1
                log.error(
                    "alert %s: delivery failed after %d attempt(s): %s", name, attempt, failure
                )
            return True
        # The receiver acknowledged: record it in the same transaction, committed on
        # leaving the block. A crash before this commit means one more send next run
        # (at least once); the Idempotency-Key lets the receiver drop it.
        conn.execute(sa.text(_DELIVERED), where)
    summary["delivered"] += 1
    log.info("alert %s: delivered", name)
    return True


def describe_delivery(summary: dict) -> str:
    """One line for the CLI."""
    return (
        f"{len(summary['destinations'])} destination(s): {summary['queued']} queued, "
        f"{summary['delivered']} delivered, {summary['retried']} to retry, "
        f"{summary['failed']} failed, {summary['pending']} pending"
    )
