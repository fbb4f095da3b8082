"""The DAGs on Airflow's CeleryExecutor give the same rows as one process.

A real distributed deployment on one machine: Postgres metadata database (a fresh
database on the test server), Redis broker (127.0.0.1:6379, a dedicated db number
and a private queue), scheduler, dag-processor, API server (the workers' tasks talk
to its execution API) and two ``airflow celery worker`` processes with distinct
``--celery-hostname``. The ingest and detect DAGs run over a small generated
scenario; every protestwatch table must then equal, row for row, what a
single-process run (``ingest_paths`` + ``run_window`` in this process) wrote into
another database; and tasks must have run on both workers (Celery's result backend
records the worker of every Celery task, joined to Airflow's ``task_instance`` by
``external_executor_id``).

Skips, with the reason, only when Redis is not reachable
(``PROTESTWATCH_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/13``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.conftest import _create_database, _drop_database
from tests.integration.conftest import ROOT, Api, free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

#: Broker: a Redis database reserved for this test (flushed before and after).
REDIS_URL = os.environ.get("PROTESTWATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
WORKERS = ("pw-worker-a", "pw-worker-b")
#: Window ends detected, in order (movement tracking reads the previous windows).
WINDOWS = pd.date_range("2012-09-24T12:00Z", "2012-09-25T00:00Z", freq="6h")
#: Seconds for the five Airflow processes to come up together on 2 cores.
STARTUP = 180
#: Tables Airflow's callbacks or other DAGs write; not part of the ingest/detect result.
NOT_COMPARED = {"alembic_version", "task_failures", "maintenance_log", "model_promotions"}
#: Surrogate keys and wall-clock columns, different in any two runs by construction.
VOLATILE = {
    "ingest_run_id",
    "detect_run_id",
    "alert_id",
    "finished_at",
    "seconds",
    "attempted_at",
    "delivered_at",
    "next_attempt_at",
}
#: Columns that depend on the order parallel ingest tasks commit in. The scenario
#: repeats some posts in the next day's file (a collector re-fetching an overlap):
#: whichever file commits first loads the post, the other counts it as a duplicate.
#: Totals over all files are compared instead (see ``_ingest_totals``).
LOAD_ORDER = {
    "ingest_runs": {"n_loaded", "n_duplicate", "n_hashtags", "n_interactions"},
    "posts": {"source"},
}


@pytest.fixture(scope="module")
def broker_url():
    """``redis://`` URL of a dedicated, empty Redis database; skip if Redis is absent."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(
            f"Redis is not reachable at {REDIS_URL} ({exc}): the CeleryExecutor test needs "
            "a Redis broker (start one, or set PROTESTWATCH_TEST_REDIS_URL)"
        )
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """A small scenario: 6,000 posts over 8 days, one file per day (8 ingest sources)."""
    from pipeline.simulate import simulate

    out = tmp_path_factory.mktemp("celery-scenario")
    simulate(out, seed=11, posts=6_000, days=8)
    return out


@pytest.fixture
def metadata_url(admin_url):
    """A fresh, empty database for Airflow's metadata (and Celery's results)."""
    name = f"pwtest_airflow_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def private_home(tmp_path, monkeypatch):
    """A private ``PROTESTWATCH_HOME`` for the workers and the reference (no promoted
    model of a developer's runs leaks in), seeded with the cached default stance model."""
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    cached = ROOT / ".protestwatch" / "models"
    for name in ("stance-default.joblib", "stance-default.json"):
        if (cached / name).is_file():
            shutil.copy(cached / name, home / "models" / name)
    monkeypatch.setenv("PROTESTWATCH_HOME", str(home))
    for name in ("PROTESTWATCH_STANCE_MODEL", "PROTESTWATCH_SOURCES", "PROTESTWATCH_INBOX"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def reference_url(admin_url):
    """A second protestwatch database, for the single-process run."""
    url = _create_database(admin_url, "celery_reference")
    yield url
    _drop_database(admin_url, url)


def _sqlalchemy(url: sa.URL, driver: str = "psycopg2") -> str:
    return url.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def _airflow_env(tmp_path, database_url, metadata_url, broker_url, port, inbox, queue):
    from pipeline.airflow_local import airflow_env
    from pipeline.database import libpq_url

    base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env = airflow_env(
        libpq_url(database_url),
        home=Path(os.environ["PROTESTWATCH_HOME"]),
        airflow_home=tmp_path / "airflow",
        port=port,
        inbox=inbox,
        environ=base,
    )
    passwords = tmp_path / "passwords.json"
    password = secrets.token_urlsafe(12)
    passwords.write_text(f'{{"admin": "{password}"}}')
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _sqlalchemy(metadata_url),
            # Airflow 3 also opens an async engine; psycopg 3 serves both (no asyncpg)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": _sqlalchemy(metadata_url, "psycopg"),
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + _sqlalchemy(metadata_url),
            # record the worker of each Celery task in celery_taskmeta.worker
            "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": '{"result_extended": true}',
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(16),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            # runs only when triggered: no hourly or asset-triggered runs behind our back
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "NO_COLOR": "1",
        }
    )
    # tasks must find the database through the Airflow connection alone
    del env["DATABASE_URL"]
    return env, password


def _start_airflow(processes, env, tmp_path, queue):
    airflow = str(Path(sys.executable).parent / "airflow")
    migrate = subprocess.run(
        [airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=180
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    processes.start("api-server", [airflow, "api-server"], env)
    processes.start("scheduler", [airflow, "scheduler"], env)
    processes.start("dag-processor", [airflow, "dag-processor"], env)
    for name in WORKERS:
        processes.start(
            name,
            [
                airflow,
                "celery",
                "worker",
                "--celery-hostname",
                f"{name}@%h",
                "--queues",
                queue,
                "--concurrency",
                "2",
                "--pid",
                str(tmp_path / f"{name}.pid"),
                "--skip-serve-logs",
            ],
            env,
        )


def _single_process_run(reference_url, inbox) -> float:
    """Ingest the inbox and detect every window in this process; returns seconds."""
    from pipeline.detect import Models, run_window
    from pipeline.ingest import ingest_paths

    started = time.perf_counter()
    engine = sa.create_engine(reference_url)
    try:
        ingest_paths(engine, [inbox])
        models = Models.load()  # also warms the shared model cache for the workers
        for window_end in WINDOWS:
            run_window(engine, window_end, models=models)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _snapshot(url) -> dict[str, list[tuple]]:
    """Every protestwatch table's rows (volatile columns left out), sorted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            columns = conn.execute(
                sa.text(
                    "SELECT c.table_name, c.column_name, coalesce(c.column_default, '') "
                    "FROM information_schema.columns c JOIN pg_class k "
                    "ON k.relname = c.table_name AND k.relkind IN ('r', 'p') "
                    "AND NOT k.relispartition "
                    "JOIN pg_namespace n ON n.oid = k.relnamespace AND n.nspname = 'public' "
                    "WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position"
                )
            ).all()
            tables: dict[str, list[str]] = {}
            for table, column, default in columns:
                if table in NOT_COMPARED or table.startswith("celery_"):
                    continue
                keep = (
                    column not in VOLATILE
                    and column not in LOAD_ORDER.get(table, ())
                    and not default.startswith(("nextval", "now()"))
                )
                tables.setdefault(table, [])
                if keep:
                    tables[table].append(f'"{column}"')
            rows = {}
            for table, cols in tables.items():
                listed = ", ".join(cols)
                rows[table] = [
                    tuple(r)
                    for r in conn.execute(
                        sa.text(f'SELECT {listed} FROM "{table}" ORDER BY {listed}')
                    )
                ]
            return rows
    finally:
        engine.dispose()


def _differences(left: dict, right: dict) -> dict:
    """Per differing table: row counts and a few rows found on one side only."""
    found = {}
    for table in sorted(set(left) | set(right)):
        a = {repr(r) for r in left.get(table, [])}
        b = {repr(r) for r in right.get(table, [])}
        if left.get(table) != right.get(table):
            found[table] = {
                "rows": (len(left.get(table, [])), len(right.get(table, []))),
                "only_left": sorted(a - b)[:3],
                "only_right": sorted(b - a)[:3],
            }
    return found


def _ingest_totals(url) -> tuple:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    sa.text(
                        "SELECT count(*), sum(n_read), sum(n_loaded), sum(n_duplicate), "
                        "sum(n_rejected), sum(n_hashtags), sum(n_interactions) "
                        "FROM ingest_runs WHERE status = 'done'"
                    )
                ).one()
            )
    finally:
        engine.dispose()


def _wait_run(api, dag_id, run_id, timeout, processes) -> dict:
    def finished():
        run = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None

    run = wait_for(finished, timeout, f"{dag_id} run {run_id}", check=processes.check_alive)
    if run["state"] != "success":
        tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        pytest.fail(f"{dag_id} run {run_id} failed: {tis}")
    return run


def _trigger(api, dag_id, logical_date=None, conf=None) -> str:
    body = {"logical_date": None if logical_date is None else logical_date.isoformat()}
    if conf:
        body["conf"] = conf
    return api.post(f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]


def _run_dags(api, sources, processes) -> None:
    """Trigger the ingest of every source, then the detection of each window in turn."""
    run_id = _trigger(api, "protestwatch_ingest", conf={"sources": sources})
    _wait_run(api, "protestwatch_ingest", run_id, 150, processes)
    for window_end in WINDOWS:
        run_id = _trigger(api, "protestwatch_detect", conf={"window_end": window_end.isoformat()})
        _wait_run(api, "protestwatch_detect", run_id, 90, processes)


def test_the_celery_provider_imports_with_the_installed_celery():
    """apache-airflow-providers-celery 3.26 imports ``celery.backends.database.retry``,
    which celery 5.7 removed: every ``airflow celery`` command then fails."""
    import celery

    try:
        from airflow.providers.celery.executors import celery_executor  # noqa: F401
    except ImportError as exc:
        pytest.fail(
            f"the Celery provider does not import with celery {celery.__version__} ({exc}): "
            "pin celery<5.7 (celery==5.6.3) in constraints.txt"
        )


def test_celery_executor_with_two_workers_matches_a_single_process_run(
    processes,
    broker_url,
    scenario,
    private_home,
    database_url,
    metadata_url,
    reference_url,
    tmp_path,
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in sorted(scenario.glob("posts-*.jsonl")):
        shutil.copy(path, inbox / path.name)
    # one files source per daily file: one mapped ingest task each
    sources = [{"kind": "files", "path": str(p)} for p in sorted(inbox.glob("*.jsonl"))]
    port = free_port()
    queue = f"protestwatch-test-{uuid.uuid4().hex[:8]}"
    env, password = _airflow_env(
        tmp_path, database_url, metadata_url, broker_url, port, inbox, queue
    )

    started = time.monotonic()
    _start_airflow(processes, env, tmp_path, queue)
    migrated = time.monotonic() - started
    reference_seconds = _single_process_run(reference_url, inbox)  # while Airflow boots

    api = Api(f"http://127.0.0.1:{port}")
    healthy = ("metadatabase", "scheduler", "dag_processor")
    wait_for(
        lambda: (h := api.health()) and all(h[p]["status"] == "healthy" for p in healthy),
        STARTUP,
        "the API server, scheduler and dag-processor",
        check=processes.check_alive,
    )
    for name in WORKERS:
        wait_for(
            lambda name=name: re.search(rf"{name}@\S+ ready", processes.tail(name, 100_000)),
            STARTUP,
            f"Celery worker {name}",
            check=processes.check_alive,
        )
    api.login("admin", password)
    dag_ids = {"protestwatch_ingest", "protestwatch_detect"}
    wait_for(
        lambda: dag_ids <= {d["dag_id"] for d in api.get("/api/v2/dags?tags=protestwatch")["dags"]},
        60,
        f"the DAGs {sorted(dag_ids)} to be parsed",
        check=processes.check_alive,
    )
    ready = time.monotonic() - started

    _run_dags(api, sources, processes)
    ran = time.monotonic() - started

    distributed = _snapshot(database_url)
    reference = _snapshot(reference_url)
    assert sum(len(r) for r in distributed.values()) > 0
    assert distributed["movement_windows"], "no movement detected: the scenario is too small"
    assert _differences(distributed, reference) == {}
    assert _ingest_totals(database_url) == _ingest_totals(reference_url)

    meta = sa.create_engine(metadata_url)
    with meta.connect() as conn:
        placed = conn.execute(
            sa.text(
                "SELECT ti.dag_id, ti.task_id, ti.map_index, ti.state, m.worker "
                "FROM task_instance ti JOIN celery_taskmeta m "
                "ON m.task_id = ti.external_executor_id ORDER BY ti.start_date"
            )
        ).all()
        tasks = conn.scalar(sa.text("SELECT count(*) FROM task_instance"))
    meta.dispose()
    processes.stop()
    assert processes.running() == []
    assert len(placed) == tasks and {row.state for row in placed} == {"success"}
    workers = {row.worker.split("@")[0] for row in placed}
    assert workers == set(WORKERS), placed
    print(
        f"\nmigrate+start {migrated:.0f} s, ready {ready:.0f} s, all runs done {ran:.0f} s; "
        f"single-process reference {reference_seconds:.0f} s; {tasks} task instances on "
        + ", ".join(f"{w}: {sum(r.worker.startswith(w) for r in placed)}" for w in WORKERS)
    )
