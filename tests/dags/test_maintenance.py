"""protestwatch_maintenance: retention drops whole old partitions and keeps results."""

from __future__ import annotations

import time

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.dags.support import ingest_glob, run_dag, snapshot, task_instances

pytestmark = pytest.mark.dag

PARAMS = {"retention_days": 15, "months_ahead": 2, "quarantine_days": 30, "stale_hours": 6}
RUN_AT = "2012-10-20T00:00Z"  # cutoff 2012-10-05: September ended before it, October not


def _partitions(engine) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.scalars(
                sa.text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent "
                    "WHERE p.relname IN ('posts', 'post_hashtags', 'interactions')"
                )
            )
        )


@pytest.fixture(scope="module")
def loaded(database_url, engine, dag_scenario, protestwatch_home):
    """The scenario loaded, one detect window, stale runs and old quarantined records."""
    from pipeline.detect import run_window
    from pipeline.ingest import ingest_paths

    with pytest.MonkeyPatch.context() as env:
        env.setenv("PROTESTWATCH_HOME", str(protestwatch_home))
        ingest_paths(engine, [ingest_glob(dag_scenario)])
        run_window(engine, pd.Timestamp("2012-09-30T12:00Z"))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO detect_runs (window_end, status, started_at) VALUES "
            "('2012-10-01', 'running', now() - interval '10 hours'), "
            "('2012-10-02', 'running', now() - interval '1 hour');"
            "INSERT INTO ingest_runs (source, format, checksum, status, started_at) VALUES "
            "('killed.jsonl', 'x_v2', 'abc', 'running', now() - interval '2 days');"
            "INSERT INTO rejected_records (source, line, reason, rejected_at) VALUES "
            "('old.jsonl', 1, 'invalid JSON', '2012-08-01'), "
            "('recent.jsonl', 1, 'invalid JSON', '2012-10-19')"
        )
    return snapshot(engine)


def test_retention_drops_whole_old_months_and_keeps_results(dagbag, db_env, engine, loaded):
    with engine.connect() as conn:
        october = conn.scalar(
            sa.text("SELECT count(*) FROM posts WHERE created_at >= '2012-10-01'")
        )
        september = conn.scalar(
            sa.text("SELECT count(*) FROM posts WHERE created_at < '2012-10-01'")
        )
    assert september > 0 and october > 0
    assert {"posts_p201209", "posts_p201210"} <= _partitions(engine)

    run = run_dag(dagbag, "protestwatch_maintenance", RUN_AT, PARAMS)
    assert run.state == "success"
    assert {state for state, _ in task_instances(run).values()} == {"success"}

    partitions = _partitions(engine)
    assert not {p for p in partitions if p.endswith("_p201209")}
    for table in ("posts", "post_hashtags", "interactions"):
        assert {f"{table}_p201210", f"{table}_p201211", f"{table}_p201212"} <= partitions
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM posts")) == october
        stance_left = conn.scalar(
            sa.text("SELECT count(*) FROM post_stance WHERE created_at < '2012-10-01'")
        )
        dropped = conn.scalars(
            sa.text("SELECT target FROM maintenance_log WHERE action = 'drop_partition'")
        ).all()
    assert stance_left == 0
    assert sorted(dropped) == ["interactions_p201209", "post_hashtags_p201209", "posts_p201209"]
    after = snapshot(engine)
    for table, frame in loaded.items():
        if table != "post_stance":  # the cache of dropped posts goes with them
            pd.testing.assert_frame_equal(frame, after[table], obj=table)
    assert len(after["movement_windows"]) > 0


def test_housekeeping_purges_old_quarantine_and_fails_stale_runs(engine, loaded):
    # runs after the maintenance run of the previous test (same module database)
    with engine.connect() as conn:
        sources = conn.scalars(
            sa.text("SELECT source FROM rejected_records WHERE rejected_at < '2013-01-01'")
        ).all()
        detect = conn.execute(
            sa.text(
                "SELECT window_end, status FROM detect_runs "
                "WHERE window_end IN ('2012-10-01T00:00Z', '2012-10-02T00:00Z') ORDER BY 1"
            )
        ).all()
        ingest = conn.scalar(sa.text("SELECT status FROM ingest_runs WHERE checksum = 'abc'"))
    assert sources == ["recent.jsonl"]
    assert [status for _, status in detect] == ["failed", "running"]
    assert ingest == "failed"


def test_statistics_are_refreshed(engine, loaded):
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
                    "WHERE relname = 'posts_p201210'"
                )
            ).one()
        if (row.last_vacuum and row.last_analyze) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert row.last_vacuum is not None and row.last_analyze is not None


def test_rerunning_maintenance_changes_nothing_more(dagbag, db_env, engine, loaded):
    before = _partitions(engine), snapshot(engine)
    run = run_dag(dagbag, "protestwatch_maintenance", RUN_AT, PARAMS)
    assert run.state == "success"
    assert _partitions(engine) == before[0]
    for table, frame in before[1].items():
        pd.testing.assert_frame_equal(frame, snapshot(engine)[table], obj=table)
