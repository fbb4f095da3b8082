"""`make airflow` brings up Airflow standalone serving the protestwatch DAGs.

Runs ``python -m pipeline.airflow_local`` (what ``make airflow`` runs) as a real
subprocess on a free port with a throw-away ``PROTESTWATCH_HOME``, waits for the
banner, then talks HTTP to it the way a user or a script would: health, login
through Airflow 3's auth manager (``POST /auth/token``), the DAG list.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

from tests.integration.conftest import Api, free_port, protestwatch_dag_ids, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

#: Seconds allowed for standalone to come up (a cold start on 2 cores takes 60-120 s).
STARTUP = 150


def test_make_airflow_serves_the_dags_with_a_printed_login(processes, database_url, tmp_path):
    from pipeline.database import libpq_url

    port = free_port()
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        "DATABASE_URL": libpq_url(database_url),
        "PROTESTWATCH_HOME": str(home),
        "NO_COLOR": "1",
        "AIRFLOW__API__PORT": str(port),
    }
    started = time.monotonic()
    processes.start("airflow_local", [sys.executable, "-m", "pipeline.airflow_local"], env)

    banner = wait_for(
        lambda: re.search(
            r"protestwatch Airflow is up: (\S+).*\n\s+login:\s+admin / (\S+)",
            processes.tail("airflow_local", 200_000),
        ),
        STARTUP,
        "the banner with the UI address and the login",
        check=processes.check_alive,
    )
    ready_after = time.monotonic() - started
    url, password = banner.group(1), banner.group(2)
    assert url == f"http://127.0.0.1:{port}"
    generated = home / "airflow" / "simple_auth_manager_passwords.json.generated"
    assert f'"admin": "{password}"' in generated.read_text()

    api = Api(url)
    health = api.health()
    assert {health[part]["status"] for part in ("metadatabase", "scheduler", "dag_processor")} == {
        "healthy"
    }
    api.login("admin", password)

    expected = protestwatch_dag_ids()
    listed = wait_for(
        lambda: (
            expected
            <= (ids := {d["dag_id"] for d in api.get("/api/v2/dags?tags=protestwatch")["dags"]})
            and ids
        ),
        max(10.0, STARTUP - ready_after),
        f"the DAGs {sorted(expected)} in /api/v2/dags",
        check=processes.check_alive,
    )
    assert listed == expected
    errors = api.get("/api/v2/importErrors")
    assert errors["total_entries"] == 0, errors

    processes.stop()
    assert processes.running() == []
    print(
        f"standalone ready in {ready_after:.0f} s, DAGs listed after "
        f"{time.monotonic() - started:.0f} s"
    )
