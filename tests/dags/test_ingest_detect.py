"""protestwatch_ingest -> protestwatch_detect on real Postgres with a generated scenario.

One module fixture runs the DAGs once (ingest twice, detect for three consecutive
window ends) and keeps what the tests assert on; the tests then check the rows, the
asset events, that the DAG runs equal one ``run_range`` over the same windows in
another database, and that rerunning gives the same rows.
"""

from __future__ import annotations

import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import _create_database, _drop_database
from tests.dags.support import (
    assert_same_tables,
    asset_events,
    ingest_glob,
    run_dag,
    snapshot,
    task_instances,
)

pytestmark = pytest.mark.dag

UNREACHABLE = "postgresql://nobody@127.0.0.1:9/unreachable"


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql), params)


@pytest.fixture(scope="module")
def windows(scenario_peak) -> list[pd.Timestamp]:
    """Three consecutive window ends around the first movement's peak."""
    return list(pd.date_range(scenario_peak - pd.Timedelta(hours=2), periods=3, freq="h"))


@pytest.fixture(scope="module")
def runs(dagbag, database_url, engine, dag_scenario, protestwatch_home, windows):
    """Ingest (twice) and detect (three windows) with dag.test(); what they left."""
    from pipeline.database import libpq_url

    sources = {"sources": [{"kind": "files", "path": ingest_glob(dag_scenario)}]}
    out = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PROTESTWATCH_HOME", str(protestwatch_home))
        env.setenv("DATABASE_URL", libpq_url(database_url))
        out["ingest"] = run_dag(dagbag, "protestwatch_ingest", "2012-10-04T00:00Z", sources)
        out["posts"] = _scalar(engine, "SELECT count(*) FROM posts")
        out["ingest_again"] = run_dag(dagbag, "protestwatch_ingest", "2012-10-04T01:00Z", sources)
        out["posts_again"] = _scalar(engine, "SELECT count(*) FROM posts")
        # the first detect run reaches Postgres only through the Airflow connection
        env.setenv("AIRFLOW_CONN_PROTESTWATCH_DB", libpq_url(database_url))
        env.setenv("DATABASE_URL", UNREACHABLE)
        out["detect"] = [run_dag(dagbag, "protestwatch_detect", windows[0])]
        env.delenv("AIRFLOW_CONN_PROTESTWATCH_DB")
        env.setenv("DATABASE_URL", libpq_url(database_url))
        out["detect"] += [run_dag(dagbag, "protestwatch_detect", w) for w in windows[1:]]
    out["snapshot"] = snapshot(engine)
    return out


def test_ingest_loads_every_file_once_and_updates_the_posts_asset(runs, engine, dag_scenario):
    run = runs["ingest"]
    assert run.state == "success"
    assert task_instances(run) == {
        ("list_sources", -1): ("success", 1),
        ("ingest_source", 0): ("success", 1),
    }
    files = len(list(dag_scenario.glob("posts-*.jsonl")))
    with engine.connect() as conn:
        done = conn.execute(
            sa.text(
                "SELECT count(*) AS runs, count(DISTINCT checksum) AS files, sum(n_loaded) AS "
                "loaded, sum(n_read - n_loaded - n_duplicate - n_rejected) AS unreconciled, "
                "min(p.first) AS first, max(p.last) AS last FROM ingest_runs "
                "CROSS JOIN (SELECT min(created_at) AS first, max(created_at) AS last "
                "FROM posts) AS p WHERE status = 'done'"
            )
        ).one()
    assert done.runs == done.files == files
    assert done.loaded == runs["posts"] > 0 and done.unreconciled == 0
    (event,) = asset_events(run)
    assert event["uri"] == "postgres://protestwatch/posts"
    assert event["extra"]["loaded"] == runs["posts"]
    assert pd.Timestamp(event["extra"]["last_post_at"]) == pd.Timestamp(done.last)
    assert pd.Timestamp(event["extra"]["first_post_at"]) == pd.Timestamp(done.first)


def test_rerunning_ingest_loads_nothing_and_emits_no_asset_event(runs):
    run = runs["ingest_again"]
    assert run.state == "success"
    assert task_instances(run)[("ingest_source", 0)] == ("skipped", 1)
    assert runs["posts_again"] == runs["posts"]
    assert asset_events(run) == []


def test_detect_writes_the_window_of_its_data_interval(runs, engine, windows):
    for run, window_end in zip(runs["detect"], windows, strict=True):
        assert run.state == "success"
        (event,) = asset_events(run)
        assert event["uri"] == "postgres://protestwatch/movement_windows"
        assert event["extra"] == {"window_ends": [window_end.isoformat()]}
    with engine.connect() as conn:
        ends = conn.scalars(
            sa.text("SELECT DISTINCT window_end FROM movement_windows ORDER BY 1")
        ).all()
        ranked = conn.scalar(sa.text("SELECT count(*) FROM mart_emerging_opposition"))
    assert [pd.Timestamp(w) for w in ends] == windows
    assert ranked > 0


def test_detect_reaches_postgres_through_the_airflow_connection(runs):
    # DATABASE_URL pointed at nothing during the first detect run
    assert runs["detect"][0].state == "success"
    assert task_instances(runs["detect"][0]) == {("detect", -1): ("success", 1)}


def test_backfill_by_dag_runs_equals_one_run_range(runs, admin_url, dag_scenario, windows):
    from pipeline.detect import run_range
    from pipeline.ingest import ingest_paths

    url = _create_database(admin_url, "dag_run_range")
    other = sa.create_engine(url)
    try:
        ingest_paths(other, [ingest_glob(dag_scenario)])
        run_range(other, windows[0], windows[-1])
        assert_same_tables(runs["snapshot"], snapshot(other))
        sizes = {table: len(frame) for table, frame in runs["snapshot"].items()}
        assert sizes["detect_runs"] == 3
        assert sizes["movement_windows"] > 0 and sizes["movement_hashtags"] > 0
    finally:
        other.dispose()
        _drop_database(admin_url, url)


def test_rerunning_detect_rewrites_the_same_rows(runs, dagbag, db_env, engine, windows):
    for window_end in (windows[1], windows[2]):  # a middle window, then the last one
        assert run_dag(dagbag, "protestwatch_detect", window_end).state == "success"
    assert_same_tables(runs["snapshot"], snapshot(engine))


def test_explicit_window_end_param_wins_over_the_data_interval(runs, dagbag, db_env, windows):
    run = run_dag(
        dagbag,
        "protestwatch_detect",
        windows[2] + pd.Timedelta(hours=5),
        {"window_end": windows[2].isoformat()},
    )
    assert run.state == "success"
    (event,) = asset_events(run)
    assert event["extra"] == {"window_ends": [windows[2].isoformat()]}


def test_a_window_range_param_runs_every_window_in_one_run(runs, dagbag, db_env, engine, windows):
    conf = {"window_end": windows[0].isoformat(), "window_end_to": windows[-1].isoformat()}
    run = run_dag(dagbag, "protestwatch_detect", windows[0] + pd.Timedelta(days=3), conf)
    assert run.state == "success"
    (event,) = asset_events(run)
    assert event["extra"] == {"window_ends": [w.isoformat() for w in windows]}
    assert_same_tables(runs["snapshot"], snapshot(engine))


def test_a_second_writer_of_a_window_waits_for_the_first(runs, db_env, engine, windows):
    from pipeline.detect import lock_window, run_window

    done = threading.Event()
    failed = []

    def second_writer():
        try:
            run_window(engine, windows[0])
        except Exception as exc:  # reported below
            failed.append(exc)
        done.set()

    with engine.begin() as first:  # a writer of windows[0] holding its lock
        lock_window(first, windows[0])
        thread = threading.Thread(target=second_writer)
        thread.start()
        assert not done.wait(3)  # blocked on the advisory lock
        running = first.scalar(
            sa.text(
                "SELECT count(*) FROM detect_runs WHERE status = 'running' AND window_end = :w"
            ),
            {"w": windows[0]},
        )
        assert running == 1
    thread.join(60)
    assert done.is_set() and not failed
    assert_same_tables(runs["snapshot"], snapshot(engine))
