"""protestwatch_hourly runs ingest then detect for its data interval on real Postgres."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pendulum
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.dag

DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_every_dag_file_imports_without_errors_quickly(dagbag):
    assert dagbag.import_errors == {}
    for path in DAGS.glob("*.py"):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(path)], check=True, capture_output=True, timeout=60)
        # the process includes interpreter + airflow import; the DAG file itself adds little
        assert time.perf_counter() - started < 30
        assert path.stem in dagbag.dag_ids


def test_hourly_dag_ingests_and_detects_its_window(dagbag, db_env, engine, scenario_dir, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for path in sorted(scenario_dir.glob("posts-*.jsonl")):
        shutil.copy(path, inbox / path.name)
    truth_peak = pd.Timestamp("2012-09-28T12:00:00Z")
    dag = dagbag.get_dag("protestwatch_hourly")
    run = dag.test(
        logical_date=pendulum.instance(truth_peak.to_pydatetime()),
        run_conf={"inbox": str(inbox)},
    )
    assert run.state == "success"
    with engine.connect() as conn:
        loaded = conn.scalar(sa.text("SELECT sum(n_loaded) FROM ingest_runs WHERE status = 'done'"))
        windows = conn.scalars(sa.text("SELECT DISTINCT window_end FROM movement_windows")).all()
        ranked = conn.scalar(sa.text("SELECT count(*) FROM mart_emerging_opposition"))
    assert loaded > 0
    assert len(windows) == 1 and ranked > 0
