"""Airflow fixtures: a throw-away Airflow home and metadata database per session.

Airflow's own metadata lives in SQLite inside the test home (that is Airflow's
business); protestwatch's data always goes to real Postgres via ``db_env`` or the
``protestwatch_db`` connection. DAGs run with ``dag.test()`` on DAGs loaded from the
dags folder (Airflow 3.3 only runs those), in this process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"


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


@pytest.fixture(scope="session")
def protestwatch_home(tmp_path_factory):
    """A private ``PROTESTWATCH_HOME`` (no promoted model of a developer's runs leaks
    in), seeded with the cached default stance model when there is one."""
    home = tmp_path_factory.mktemp("pwhome")
    cached = ROOT / ".protestwatch" / "models"
    (home / "models").mkdir()
    for name in ("stance-default.joblib", "stance-default.json"):
        if (cached / name).is_file():
            shutil.copy(cached / name, home / "models" / name)
    return home


@pytest.fixture(autouse=True)
def _isolated_settings(protestwatch_home, monkeypatch):
    monkeypatch.setenv("PROTESTWATCH_HOME", str(protestwatch_home))
    for name in (
        "PROTESTWATCH_STANCE_MODEL",
        "PROTESTWATCH_SOURCES",
        "PROTESTWATCH_INBOX",
        "PROTESTWATCH_FAILURE_WEBHOOK",
        "AIRFLOW_CONN_PROTESTWATCH_DB",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def dag_scenario(tmp_path_factory) -> Path:
    """A small generated scenario across a month boundary (Sept/Oct 2012)."""
    from pipeline.simulate import simulate

    out = tmp_path_factory.mktemp("dag_scenario")
    simulate(out, seed=11, posts=6_000, days=12, start="2012-09-22T00:00:00Z")
    return out


@pytest.fixture(scope="session")
def scenario_peak(dag_scenario) -> pd.Timestamp:
    """The hour after the peak of the scenario's first grassroots movement."""
    truth = json.loads((dag_scenario / "truth.json").read_text())
    peaks = [c["peak"] for c in truth["components"] if c["kind"] == "grassroots_opposition"]
    return pd.Timestamp(min(peaks)).ceil("h")


@pytest.fixture
def webhook():
    """A local HTTP endpoint recording the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
