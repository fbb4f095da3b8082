"""The environment `make airflow` gives Airflow: DAGs, connection, port, overrides."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.airflow_local import CONN_ENV, DAGS_FOLDER, airflow_env, logins, password_file

pytestmark = pytest.mark.db

SOCKET_URL = "postgresql://postgres@/protestwatch?host=%2Fsrv%2Fpw%2Fpgdata"


def test_env_serves_the_project_dags_with_the_database_as_a_connection(tmp_path):
    env = airflow_env(SOCKET_URL, home=tmp_path, environ={"PATH": "/usr/bin"})
    assert env["AIRFLOW_HOME"] == str(tmp_path / "airflow")
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(DAGS_FOLDER)
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env[CONN_ENV] == env["DATABASE_URL"] == SOCKET_URL
    assert env["PROTESTWATCH_INBOX"] == str(tmp_path / "inbox")
    assert env["AIRFLOW__API__PORT"] == "8080"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    # standalone starts its components as `airflow` from PATH: the venv's must come first
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)


def test_airflow_settings_in_the_environment_win(tmp_path):
    base = {
        "AIRFLOW__API__PORT": "9191",
        "AIRFLOW_HOME": "/opt/airflow",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "True",
        "PROTESTWATCH_INBOX": "/data/inbox",
    }
    env = airflow_env(SOCKET_URL, home=tmp_path, environ=base)
    assert env["AIRFLOW__API__PORT"] == "9191"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:9191/execution/"
    assert env["AIRFLOW_HOME"] == "/opt/airflow"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "True"
    assert env["PROTESTWATCH_INBOX"] == "/data/inbox"
    assert (
        airflow_env(SOCKET_URL, home=tmp_path, port=7070, environ=base)["AIRFLOW__API__PORT"]
        == "7070"
    )


def test_login_is_read_from_the_generated_password_file(tmp_path):
    env = airflow_env(SOCKET_URL, home=tmp_path, environ={})
    assert logins(env) == {}
    password_file(env).parent.mkdir(parents=True)
    password_file(env).write_text('{"admin": "s3cret"}\n')
    assert logins(env) == {"admin": "s3cret"}


def test_the_connection_uri_reaches_the_database_through_airflow(database_url, monkeypatch):
    """The URL (a unix-socket URL with the embedded server) parses as an Airflow
    connection and comes back as a URL that connects to the same database."""
    from pipeline.airflow_support import connection_url
    from pipeline.database import libpq_url, resolve_url

    env = airflow_env(libpq_url(database_url), home=Path("/unused"), environ={})
    monkeypatch.setenv(CONN_ENV, env[CONN_ENV])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = sa.create_engine(resolve_url(connection_url()))
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT current_database()")) == database_url.database
    finally:
        engine.dispose()
