"""Airflow fixtures: a throw-away Airflow home and metadata database per session.

Airflow's own metadata lives in SQLite inside the test home (that is Airflow's
business); protestwatch's data always goes to real Postgres via ``db_env``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory):
    """Airflow home with a migrated metadata database and protestwatch's dags folder."""
    home = tmp_path_factory.mktemp("airflow")
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    os.environ.update(env)
    subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
        check=True,
        capture_output=True,
        env={**os.environ, **env},
        timeout=300,
    )
    return home


@pytest.fixture(scope="session")
def dagbag(airflow_home):
    """DagBag of the project's dags folder."""
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS))
