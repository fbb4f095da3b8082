"""The DAG files: import cleanly and fast, one DAG per file, the documented shape."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from tests.dags.conftest import DAGS

pytestmark = pytest.mark.dag

DAG_IDS = {
    "protestwatch_ingest",
    "protestwatch_detect",
    "protestwatch_retrain",
    "protestwatch_maintenance",
}

# Imports every DAG file as a module, in one process that has Airflow loaded (as the
# dag-processor has), timing the file itself; pipeline modules are dropped first so
# each file pays for what it imports.
_IMPORT_TIMER = r"""
import importlib.util, json, sys, time
from pathlib import Path
import airflow.sdk
from airflow.sdk import Asset, Param, dag, task
loaded = set(sys.modules)
seconds = {}
for path in sys.argv[1:]:
    for name in [m for m in sys.modules if m == "pipeline" or m.startswith("pipeline.")]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location("dagfile_" + Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    started = time.perf_counter()
    spec.loader.exec_module(module)
    seconds[Path(path).stem] = time.perf_counter() - started
new = sorted({m.split(".")[0] for m in set(sys.modules) - loaded} | {
    m for m in set(sys.modules) - loaded if m.startswith("pipeline.")})
print(json.dumps({"seconds": seconds, "new_modules": new}))
"""

HEAVY = {"pandas", "numpy", "sklearn", "joblib", "scipy", "igraph", "psycopg", "httpx", "models"}


def test_dagbag_has_one_dag_per_file_named_like_it(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS
    for dag_id in DAG_IDS:
        assert dagbag.get_dag(dag_id).fileloc == str(DAGS / f"{dag_id}.py")


def test_every_dag_file_imports_in_under_a_second_without_heavy_imports(airflow_home):
    files = sorted(str(p) for p in DAGS.glob("*.py"))
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/unreachable"}
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_TIMER, *files],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result["seconds"]) == DAG_IDS
    slow = {name: s for name, s in result["seconds"].items() if s >= 1.0}
    assert not slow, f"DAG files slower than 1 s to import: {slow}"
    new = set(result["new_modules"])
    assert not new & HEAVY, f"DAG files import heavy modules at parse time: {new & HEAVY}"
    pipeline_modules = {m for m in new if m.startswith("pipeline.")}
    assert pipeline_modules <= {"pipeline.airflow_support", "pipeline.errors"}


def _as_list(callbacks) -> list:
    return list(callbacks) if isinstance(callbacks, list | tuple) else [callbacks]


def test_every_task_retries_with_backoff_and_records_failures(dagbag):
    from pipeline.airflow_support import record_failure, record_retry

    for dag_id in DAG_IDS:
        dag = dagbag.get_dag(dag_id)
        assert dag.max_active_runs == 1 and not dag.catchup
        for task in dag.tasks:
            assert task.retries == 3, task
            assert task.retry_exponential_backoff, task
            assert task.retry_delay == timedelta(minutes=1)
            assert task.max_retry_delay == timedelta(minutes=30)
            assert record_failure in _as_list(task.on_failure_callback)
            assert record_retry in _as_list(task.on_retry_callback)


def test_ingest_maps_over_sources_and_updates_the_posts_asset(dagbag):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.get_dag("protestwatch_ingest")
    assert dag.timetable.expression == "0 * * * *"
    ingest = dag.get_task("ingest_source")
    assert isinstance(ingest, MappedOperator)
    assert [a.uri for a in ingest.outlets] == ["postgres://protestwatch/posts"]
    assert dag.params["sources"] == []


def test_detect_runs_on_the_posts_asset_and_updates_the_results_asset(dagbag):
    dag = dagbag.get_dag("protestwatch_detect")
    assert [a.uri for a in dag.timetable.asset_condition.objects] == [
        "postgres://protestwatch/posts"
    ]
    outlets = dag.get_task("detect").outlets
    assert [a.uri for a in outlets] == ["postgres://protestwatch/movement_windows"]


def test_detect_params_default_to_detect_params_defaults(dagbag):
    from pipeline.detect import DetectParams

    params = dagbag.get_dag("protestwatch_detect").params.dump()
    for field in dataclasses.fields(DetectParams):
        assert field.name in params, f"DetectParams.{field.name} is not a DAG param"
        if field.name in ("window_hours", "baseline_days"):  # from the settings
            assert params[field.name] is None
        else:
            assert params[field.name] == field.default, field.name


def test_maintenance_and_retrain_schedules(dagbag):
    maintenance = dagbag.get_dag("protestwatch_maintenance")
    assert maintenance.timetable.expression == "0 0 * * *"
    assert list(maintenance.get_task("vacuum_analyze").upstream_task_ids) != []
    retrain = dagbag.get_dag("protestwatch_retrain")
    assert retrain.timetable.expression == "0 0 * * 0"
    assert retrain.get_task("promote").upstream_task_ids == {"evaluate"}
