"""Failures: bad input fails at once; a database outage is retried; both are recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.dags.support import FlakyPostgres, ingest_glob, run_dag, task_instances

pytestmark = pytest.mark.dag


def _failures(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT dag_id, task_id, map_index, try_number, state, error_type, error, "
                "notified FROM task_failures ORDER BY failure_id"
            )
        ).all()


@pytest.fixture
def clean(engine):
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE task_failures, ingest_runs CASCADE")
    yield


def test_bad_input_fails_without_retry_records_the_failure_and_calls_the_webhook(
    dagbag, db_env, engine, clean, webhook, monkeypatch, tmp_path
):
    url, received = webhook
    monkeypatch.setenv("PROTESTWATCH_FAILURE_WEBHOOK", url)
    missing = str(tmp_path / "no-such-inbox")
    run = run_dag(
        dagbag,
        "protestwatch_ingest",
        "2012-10-04T00:00Z",
        {"sources": [{"kind": "files", "path": missing}]},
    )
    assert run.state == "failed"
    # retries=3, yet one try: InputError became AirflowFailException
    assert task_instances(run)[("ingest_source", 0)] == ("failed", 1)
    (failure,) = _failures(engine)
    assert failure.dag_id == "protestwatch_ingest" and failure.task_id == "ingest_source"
    assert (failure.map_index, failure.try_number, failure.state) == (0, 1, "failed")
    assert failure.error_type == "InputError" and missing in failure.error
    assert failure.notified
    (message,) = received
    assert message["dag_id"] == "protestwatch_ingest" and message["state"] == "failed"
    assert message["run_id"] == run.run_id and missing in message["text"]


def test_bad_settings_fail_without_retry(dagbag, db_env, engine, clean):
    run = run_dag(
        dagbag, "protestwatch_ingest", "2012-10-04T00:00Z", {"sources": [{"kind": "fax"}]}
    )
    assert run.state == "failed"
    assert task_instances(run)[("list_sources", -1)] == ("failed", 1)
    (failure,) = _failures(engine)
    assert (failure.task_id, failure.error_type, failure.notified) == (
        "list_sources",
        "ConfigError",
        False,  # no webhook configured
    )


def test_database_outage_mid_load_is_retried_and_leaves_no_duplicates(
    dagbag, database_url, engine, clean, dag_scenario, monkeypatch
):
    from pipeline.database import libpq_url

    # the task reaches Postgres through a proxy that drops every connection once
    # 300 kB went to the server: in the middle of the first files' COPY
    proxy = FlakyPostgres(database_url, cut_after=300_000)
    monkeypatch.setenv("AIRFLOW_CONN_PROTESTWATCH_DB", libpq_url(proxy.url))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unreachable")
    task = dagbag.get_dag("protestwatch_ingest").get_task("ingest_source")
    monkeypatch.setattr(task, "retry_delay", timedelta(seconds=1))
    try:
        run = run_dag(
            dagbag,
            "protestwatch_ingest",
            "2012-10-04T00:00Z",
            {"sources": [{"kind": "files", "path": ingest_glob(dag_scenario)}]},
        )
    finally:
        proxy.close()
    assert proxy.cut.is_set()
    assert run.state == "success"
    assert task_instances(run)[("ingest_source", 0)] == ("success", 2)
    (failure,) = _failures(engine)  # written by the retry callback, through the proxy
    assert (failure.task_id, failure.try_number, failure.state) == (
        "ingest_source",
        1,
        "up_for_retry",
    )
    assert failure.error_type == "OperationalError"
    files = len(list(dag_scenario.glob("posts-*.jsonl")))
    with engine.connect() as conn:
        runs = conn.execute(
            sa.text(
                "SELECT count(*) FILTER (WHERE status = 'done') AS done, "
                "count(DISTINCT checksum) FILTER (WHERE status = 'done') AS files, "
                "count(*) FILTER (WHERE status = 'failed') AS failed, "
                "sum(n_loaded) FILTER (WHERE status = 'done') AS loaded FROM ingest_runs"
            )
        ).one()
        posts = conn.execute(
            sa.text("SELECT count(*) AS n, count(DISTINCT post_uid) AS uids FROM posts")
        ).one()
        tags = conn.execute(
            sa.text("SELECT count(*) = count(DISTINCT (post_uid, tag_norm)) FROM post_hashtags")
        ).scalar()
    assert runs.done == runs.files == files  # each file loaded exactly once
    assert runs.failed >= 1  # the interrupted file, rolled back
    assert posts.n == posts.uids == runs.loaded > 0
    assert tags
