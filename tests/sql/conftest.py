"""Fixtures of the SQL view tests: a LOGIN member of the reader role."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from pipeline.database import READER_ROLE


@pytest.fixture(scope="module")
def analyst(engine, database_url):
    """Engine connected as a fresh LOGIN role that is a member of protestwatch_reader,
    created the way docs/schema.md tells administrators to."""
    name = f"pw_analyst_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE {READER_ROLE}"
        )
    reader = sa.create_engine(database_url.set(username=name, password=password))
    yield reader
    reader.dispose()
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP ROLE {name}")
