"""Alert delivery: each alert episode reaches each destination once, retried when the
receiver fails transiently, never resent by a rerun of delivery or of detect."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
import threading
import time
from email import policy

import pandas as pd
import pytest
import sqlalchemy as sa

from pipeline.alerts import deliver_alerts, slack_payload
from pipeline.errors import ConfigError

pytestmark = pytest.mark.db

WINDOW = pd.Timestamp("2012-09-26T12:00:00Z")
ENV = (
    "PROTESTWATCH_WEBHOOKS",
    "PROTESTWATCH_WEBHOOK_FORMAT",
    "PROTESTWATCH_SMTP_HOST",
    "PROTESTWATCH_SMTP_PORT",
    "PROTESTWATCH_SMTP_FROM",
    "PROTESTWATCH_SMTP_TO",
)


@pytest.fixture(scope="module")
def models():
    from pipeline.detect import Models

    return Models.load()


@pytest.fixture(scope="module")
def detected(engine, scenario_dir, models):
    """The scenario loaded and one detect window run: at least one real alert."""
    from pipeline.detect import run_window
    from pipeline.ingest import ingest_paths

    ingest_paths(engine, [scenario_dir / "posts-*.jsonl"])
    result = run_window(engine, WINDOW, models=models)
    assert result.n_alerts >= 1
    return result


@pytest.fixture(autouse=True)
def clean(engine, detected, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE alert_deliveries")
    yield
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM alerts WHERE movement_id LIKE 'mv-test-%'"))
        conn.execute(sa.text("DELETE FROM movements WHERE movement_id LIKE 'mv-test-%'"))


def alert_keys(engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT movement_id, episode FROM alerts ORDER BY 1, 2"))
        return [f"{m}:{e}" for m, e in rows]


def deliveries(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT movement_id, episode, channel, status, attempts, last_error, "
                "attempted_at, delivered_at, next_attempt_at FROM alert_deliveries "
                "ORDER BY movement_id, episode, destination"
            )
        )
        return [dict(r) for r in rows.mappings()]


def add_alerts(engine, n: int, label: str = "#TestMovement", text: str = "a post") -> None:
    """Extra alerts of made-up movements (same evidence shape as detect writes)."""
    evidence = {
        "posts": 40, "authors": 30, "new_authors": 25, "growth": 8.0, "grassroots": 0.9,
        "coordination": 0.0, "coordinated_accounts": 0, "hashtags": ["TestMovement"],
        "stance": {"against": 30, "favour": 2, "none": 8},
        "sample_posts": [{"post_uid": "x:1", "text": text}],
        "communities": [{"community": 3, "share": 0.6}],
    }  # fmt: skip
    with engine.begin() as conn:
        for i in range(n):
            mid = f"mv-test-{i:03d}"
            conn.execute(
                sa.text(
                    "INSERT INTO movements (movement_id, label, first_seen, last_seen, status) "
                    "VALUES (:m, :l, :w, :w, 'emerging')"
                ),
                {"m": mid, "l": label, "w": WINDOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO alerts (movement_id, episode, fired_at, score, reason, evidence) "
                    "VALUES (:m, 1, :w, 0.5, :r, CAST(:e AS jsonb))"
                ),
                {"m": mid, "w": WINDOW, "r": f"score 0.50: test {i}", "e": json.dumps(evidence)},
            )


def unlocked(engine, seconds: float = 20) -> None:
    """Wait until the server has rolled back a killed client's transaction."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.begin() as conn:
            total = conn.scalar(sa.text("SELECT count(*) FROM alert_deliveries"))
            free = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM (SELECT 1 FROM alert_deliveries "
                    "FOR UPDATE SKIP LOCKED) AS s"
                )
            )
        if free == total:
            return
        time.sleep(0.05)
    raise AssertionError("a delivery row stayed locked")


def test_each_alert_is_posted_once_as_json_with_an_idempotency_key(engine, webhook):
    expected = alert_keys(engine)

    first = deliver_alerts(engine, webhooks=[webhook.url])
    again = deliver_alerts(engine, webhooks=[webhook.url])

    assert first["queued"] == first["delivered"] == len(expected)
    assert again["queued"] == again["delivered"] == 0
    assert sorted(webhook.keys()) == expected
    request = webhook.requests[0]
    assert request.path == "/hooks/T0KEN-secret"
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.body
    assert body["type"] == "protestwatch.alert"
    assert body["idempotency_key"] == request.headers["Idempotency-Key"]
    assert f"{body['movement_id']}:{body['episode']}" == body["idempotency_key"]
    assert body["reason"].startswith("score ") and body["evidence"]["hashtags"]
    assert pd.Timestamp(body["fired_at"]) == WINDOW
    rows = deliveries(engine)
    assert {(r["status"], r["attempts"], r["channel"]) for r in rows} == {
        ("delivered", 1, "webhook")
    }


def test_the_destination_key_holds_no_secret(engine, webhook):
    deliver_alerts(engine, webhooks=[webhook.url])
    with engine.connect() as conn:
        stored = conn.scalars(sa.text("SELECT DISTINCT destination FROM alert_deliveries")).all()
    assert len(stored) == 1
    assert stored[0].startswith("webhook:127.0.0.1:") and "T0KEN" not in stored[0]


def test_a_server_error_is_retried_after_a_backoff_then_delivered(engine, webhook):
    n = len(alert_keys(engine))
    webhook.script = [500]

    first = deliver_alerts(engine, webhooks=[webhook.url], backoff=0.3)
    waiting = [r for r in deliveries(engine) if r["status"] == "pending"]
    too_early = deliver_alerts(engine, webhooks=[webhook.url], backoff=0.3)
    time.sleep(0.4)
    later = deliver_alerts(engine, webhooks=[webhook.url], backoff=0.3)

    assert first["retried"] == 1 and first["delivered"] == n - 1 and first["pending"] == 1
    (row,) = waiting
    assert row["attempts"] == 1 and row["last_error"] == "HTTP 500: receiver error"
    delay = (row["next_attempt_at"] - row["attempted_at"]).total_seconds()
    assert 0.29 <= delay <= 0.5
    assert too_early["delivered"] == 0 and too_early["pending"] == 1
    assert later["delivered"] == 1 and later["pending"] == 0
    assert len(webhook.requests) == n + 1
    assert {(r["status"], r["last_error"]) for r in deliveries(engine)} == {("delivered", None)}


def test_retries_back_off_exponentially_within_max_wait(engine, webhook):
    deliver_alerts(engine, webhooks=[webhook.url])  # the real alerts, delivered
    webhook.requests.clear()
    add_alerts(engine, 1)
    webhook.script = [503, 503, 503]

    result = deliver_alerts(engine, webhooks=[webhook.url], backoff=0.1, max_wait=10)

    assert result["queued"] == 1 and result["delivered"] == 1 and result["retried"] == 3
    assert webhook.keys() == ["mv-test-000:1"] * 4
    gaps = [b.at - a.at for a, b in zip(webhook.requests, webhook.requests[1:], strict=False)]
    for gap, delay in zip(gaps, [0.1, 0.2, 0.4], strict=True):
        assert delay <= gap < delay + 0.5
    row = next(r for r in deliveries(engine) if r["movement_id"] == "mv-test-000")
    assert row["attempts"] == 4 and row["status"] == "delivered"


def test_a_timeout_is_retried(engine, webhook):
    n = len(alert_keys(engine))
    webhook.script = ["slow"]
    webhook.slow_seconds = 1.0

    result = deliver_alerts(engine, webhooks=[webhook.url], timeout=0.3, backoff=0, max_wait=5)

    assert result["delivered"] == n and result["retried"] == 1
    assert len(webhook.requests) == n + 1
    assert max(r["attempts"] for r in deliveries(engine)) == 2


def test_a_delivery_fails_after_max_attempts(engine, webhook):
    n = len(alert_keys(engine))
    webhook.script = [502] * (3 * n)

    result = deliver_alerts(engine, webhooks=[webhook.url], max_attempts=3, backoff=0)
    again = deliver_alerts(engine, webhooks=[webhook.url], max_attempts=3, backoff=0)

    assert result["failed"] == n and result["delivered"] == 0 and result["pending"] == 0
    assert again["queued"] == 0 and len(webhook.requests) == 3 * n
    assert {(r["status"], r["attempts"], r["next_attempt_at"]) for r in deliveries(engine)} == {
        ("failed", 3, None)
    }
    retried = deliver_alerts(engine, webhooks=[webhook.url], retry_failed=True)
    assert retried["delivered"] == n


def test_a_client_error_is_not_retried(engine, webhook):
    n = len(alert_keys(engine))
    webhook.script = [404] * n

    result = deliver_alerts(engine, webhooks=[webhook.url], backoff=0)

    assert result["failed"] == n and result["retried"] == 0
    assert len(webhook.requests) == n
    assert {(r["status"], r["last_error"]) for r in deliveries(engine)} == {
        ("failed", "HTTP 404: receiver error")
    }


def test_rerunning_detect_for_the_window_rewrites_the_alert_but_does_not_resend(
    engine, webhook, models
):
    from pipeline.detect import run_window

    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT alert_id, movement_id, episode FROM alerts")).all()
    deliver_alerts(engine, webhooks=[webhook.url])

    run_window(engine, WINDOW, models=models)
    result = deliver_alerts(engine, webhooks=[webhook.url])

    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT alert_id, movement_id, episode FROM alerts")).all()
    assert {(m, e) for _, m, e in after} == {(m, e) for _, m, e in before}
    assert not {a for a, _, _ in after} & {a for a, _, _ in before}  # rows were rewritten
    assert result["queued"] == result["delivered"] == 0
    assert len(webhook.requests) == len(before)


def test_concurrent_deliverers_send_each_alert_once(engine, webhook):
    add_alerts(engine, 8)
    expected = alert_keys(engine)
    webhook.script = ["slow"] * len(expected)
    webhook.slow_seconds = 0.1
    results = []

    def run():
        results.append(deliver_alerts(engine, webhooks=[webhook.url]))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(webhook.keys()) == expected
    assert sum(r["delivered"] for r in results) == len(expected)
    assert sum(r["queued"] for r in results) == len(expected)


def test_a_crash_before_the_commit_resends_with_the_same_idempotency_key(
    engine, webhook, database_url
):
    """The documented at-least-once window: the receiver got the alert, the sender died
    before recording it, the next run sends it again and the receiver can deduplicate."""
    from pipeline.database import libpq_url

    expected = alert_keys(engine)
    webhook.script = ["hang"]
    code = (
        "from pipeline.alerts import deliver_alerts\n"
        "from pipeline.database import get_engine\n"
        "deliver_alerts(get_engine())\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": libpq_url(database_url),
        "PROTESTWATCH_WEBHOOKS": webhook.url,
    }
    process = subprocess.Popen([sys.executable, "-c", code], env=env)
    try:
        deadline = time.monotonic() + 60
        while not webhook.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert webhook.requests, "the deliverer never reached the receiver"
        process.kill()  # dies while the receiver holds the request
    finally:
        process.kill()
        process.wait(30)
    webhook.release.set()
    unlocked(engine)

    result = deliver_alerts(engine, webhooks=[webhook.url])

    keys = webhook.keys()
    assert result["delivered"] == len(expected)
    assert sorted(set(keys)) == expected
    assert keys.count(keys[0]) == 2 and len(keys) == len(expected) + 1


def test_slack_format_posts_text_and_attachments_with_user_text_escaped(engine, webhook):
    add_alerts(engine, 1, label="#Soda <!channel>", text="<script>x</script> @here & <http://x|y>")

    deliver_alerts(engine, webhooks=[webhook.url], slack=True)

    payloads = {r.headers["Idempotency-Key"]: r.body for r in webhook.requests}
    for payload in payloads.values():
        assert set(payload) == {"text", "attachments"}
        assert isinstance(payload["text"], str) and "score" in payload["text"]
        (attachment,) = payload["attachments"]
        assert {"fallback", "color", "title", "text", "fields", "footer", "ts"} <= set(attachment)
        assert all({"title", "value", "short"} == set(f) for f in attachment["fields"])
    hostile = payloads["mv-test-000:1"]
    dumped = json.dumps(hostile, ensure_ascii=False)
    assert "&lt;!channel&gt;" in hostile["text"] and "<!channel>" not in dumped
    assert "&lt;script&gt;" in dumped and "<script>" not in dumped
    assert "@\u200bhere" in dumped and "&lt;http://x|y&gt;" in dumped
    assert {r["channel"] for r in deliveries(engine)} == {"slack"}


def test_slack_payload_summarises_the_evidence():
    alert = {
        "movement_id": "mv-1", "episode": 2, "label": "#GEONPI", "score": 0.62,
        "fired_at": WINDOW, "reason": "score 0.62: 142 posts",
        "evidence": {"posts": 142, "new_authors": 82, "grassroots": 0.97, "coordination": 0.0,
                     "coordinated_accounts": 0, "hashtags": ["GEONPI", "PLF2013"],
                     "stance": {"against": 100, "favour": 17, "none": 25}, "sample_posts": []},
    }  # fmt: skip
    payload = slack_payload(alert)
    fields = {f["title"]: f["value"] for f in payload["attachments"][0]["fields"]}
    assert payload["text"].startswith("protestwatch alert: #GEONPI")
    assert fields["Stance"] == "100 against, 17 favour, 25 none"
    assert fields["Hashtags"] == "#GEONPI #PLF2013"
    assert payload["attachments"][0]["footer"].endswith("mv-1:2")


def test_webhooks_and_format_come_from_the_environment(engine, webhook, monkeypatch):
    n = len(alert_keys(engine))
    monkeypatch.setenv("PROTESTWATCH_WEBHOOKS", f" {webhook.url} , {webhook.url}?second=1 ,")
    monkeypatch.setenv("PROTESTWATCH_WEBHOOK_FORMAT", "slack")

    result = deliver_alerts(engine)

    assert len(result["destinations"]) == 2 and result["delivered"] == 2 * n
    assert all("attachments" in r.body for r in webhook.requests)
    assert not any("T0KEN" in d for d in result["destinations"])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "example.org/hook", "http://", "https://host:99999/x",
     "htps://hooks.example/T0KEN", "http://exa mple.org/", "http://exa%mple.org/"],
)  # fmt: skip
def test_a_bad_url_is_one_clear_config_error(engine, url):
    with pytest.raises(ConfigError) as raised:
        deliver_alerts(engine, webhooks=[url])
    message = str(raised.value)
    assert message.startswith("bad webhook URL") and "\n" not in message
    assert "T0KEN" not in message
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM alert_deliveries")) == 0


def test_no_destination_and_bad_settings_are_config_errors(engine, monkeypatch):
    with pytest.raises(ConfigError, match="no alert destination configured"):
        deliver_alerts(engine)
    monkeypatch.setenv("PROTESTWATCH_WEBHOOKS", "http://127.0.0.1:9/x")
    monkeypatch.setenv("PROTESTWATCH_WEBHOOK_FORMAT", "teams")
    with pytest.raises(ConfigError, match="unknown webhook format 'teams'"):
        deliver_alerts(engine)
    with pytest.raises(ConfigError, match="SMTP recipients"):
        deliver_alerts(engine, webhooks=[], smtp={"host": "localhost", "from": "a@b.org"})


def test_alerts_are_emailed_once_through_smtp(engine, smtp_sink):
    expected = alert_keys(engine)
    smtp = {"host": "127.0.0.1", "port": smtp_sink.port, "from": "pw@example.org",
            "to": "desk@example.org, editor@example.org"}  # fmt: skip
    smtp_sink.script = ["451 4.3.0 try again later"]

    first = deliver_alerts(engine, smtp=smtp, backoff=0, max_wait=5)
    again = deliver_alerts(engine, smtp=smtp)

    assert first["delivered"] == len(expected) and first["retried"] == 1
    assert again["queued"] == again["delivered"] == 0
    assert len(smtp_sink.messages) == len(expected)
    message = smtp_sink.messages[0]
    assert message["to"] == ["<desk@example.org>", "<editor@example.org>"]
    parsed = email.message_from_bytes(message["data"], policy=policy.default)
    assert parsed["Subject"].startswith("protestwatch alert: ") and "score" in parsed["Subject"]
    key = parsed["X-Protestwatch-Idempotency-Key"]
    assert key in expected
    assert parsed["Message-ID"] == f"<{key.replace(':', '_')}@protestwatch.alert>"
    body = parsed.get_content()
    assert "Stance:" in body and "Sample posts (untrusted user content):" in body
    assert {r["channel"] for r in deliveries(engine)} == {"email"}


def test_smtp_settings_come_from_the_environment(engine, smtp_sink, monkeypatch):
    monkeypatch.setenv("PROTESTWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PROTESTWATCH_SMTP_PORT", str(smtp_sink.port))
    monkeypatch.setenv("PROTESTWATCH_SMTP_FROM", "pw@example.org")
    monkeypatch.setenv("PROTESTWATCH_SMTP_TO", "desk@example.org")

    result = deliver_alerts(engine)

    assert result["destinations"] == ["email:desk@example.org"]
    assert len(smtp_sink.messages) == result["delivered"] == len(alert_keys(engine))
