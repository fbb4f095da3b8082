"""The protestwatch_reader role reads the mart views and nothing else, and writes nothing.

A LOGIN role made a member of ``protestwatch_reader`` (as an administrator would:
``CREATE ROLE analyst LOGIN IN ROLE protestwatch_reader``) connects to the module's
database; every other relation, every write and every CREATE fails with a
permission error (SQLSTATE 42501).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from pipeline.database import READER_ROLE, SQL_DIR, _alembic_config, apply_views, upgrade
from tests.conftest import _create_database, _drop_database, truncate_all
from tests.sql.rows import (
    T0,
    alert_row,
    author_row,
    ingest_run_row,
    insert,
    insert_posts,
    movement_row,
    post_row,
    select,
    window_row,
)

pytestmark = pytest.mark.db

MARTS = sorted(p.stem for p in (SQL_DIR / "views").glob("mart_*.sql"))
INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture(scope="module", autouse=True)
def populated(engine):
    truncate_all(engine)
    with engine.begin() as conn:
        insert(conn, "movements", [movement_row("mv-a", "#geonpi")])
        insert(conn, "movement_windows", [window_row("mv-a", T0, rank=1, score=0.5)])
        insert(conn, "movement_authors", [author_row("mv-a", T0, "x:1")])
        insert(conn, "alerts", [alert_row("mv-a", T0)])
        insert(conn, "detect_runs", [{"window_end": T0, "status": "done"}])
        insert(conn, "ingest_runs", [ingest_run_row("a.jsonl", T0)])
        insert_posts(conn, [post_row("x:1", T0, 1)])
        insert(
            conn,
            "post_hashtags",
            [{"post_uid": "x:1", "created_at": T0, "author_uid": "x:1001", "tag": "geonpi",
              "tag_norm": "geonpi"}],
        )  # fmt: skip
        insert(
            conn,
            "interactions",
            [{"src_author_uid": "x:1001", "dst_author_uid": "x:1002", "kind": "repost",
              "post_uid": "x:1", "created_at": T0}],
        )  # fmt: skip
    return engine


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def _denied(engine, statement: str) -> bool:
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            assert _sqlstate(exc) == INSUFFICIENT_PRIVILEGE, exc
            return True
        finally:
            conn.rollback()
    return False


@pytest.mark.parametrize("view", MARTS)
def test_reader_reads_every_mart_view(populated, analyst, view):
    with analyst.connect() as conn:
        as_reader = select(conn, f"SELECT * FROM {view}")
    with populated.connect() as conn:
        as_owner = select(conn, f"SELECT * FROM {view}")
    assert as_reader == as_owner


def test_reader_sees_the_movements_through_the_marts(analyst):
    with analyst.connect() as conn:
        rows = select(conn, "SELECT movement_id, label FROM mart_emerging_opposition")
    assert rows == [{"movement_id": "mv-a", "label": "#geonpi"}]


@pytest.mark.parametrize(
    "relation", ["posts", "interactions", "post_hashtags", "movement_authors", "rejected_records"]
)
def test_reader_cannot_read_raw_posts_or_authors(analyst, relation):
    assert _denied(analyst, f"SELECT * FROM {relation} LIMIT 1")


def test_reader_cannot_read_any_other_relation(populated, analyst):
    with populated.connect() as conn:
        relations = conn.scalars(
            sa.text(
                "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname NOT LIKE 'mart\\_%' "
                "ORDER BY 1"
            )
        ).all()
    assert {"posts", "posts_p201210", "stg_movement_windows", "alembic_version"} <= set(relations)
    readable = [r for r in relations if not _denied(analyst, f'SELECT * FROM "{r}" LIMIT 1')]
    assert readable == []


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO posts (post_uid, platform, post_id, author_uid, created_at, text, source, "
        "ingest_run_id) VALUES ('x:9', 'x', '9', 'x:9', '2012-10-01', 't', 's', 1)",
        "UPDATE movements SET label = 'x'",
        "DELETE FROM alerts",
        "TRUNCATE alerts",
        "INSERT INTO mart_detect_runs (window_end, status) VALUES (now(), 'done')",
        "UPDATE mart_detect_runs SET status = 'failed'",
        "DELETE FROM mart_detect_runs",
        "SELECT * FROM mart_movements FOR UPDATE",
        "CREATE TABLE scratch (x integer)",
        "CREATE VIEW scratch AS SELECT 1 AS x",
        "CREATE SCHEMA scratch",
        "CREATE FUNCTION scratch() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        "ALTER VIEW mart_alerts RENAME TO scratch",
        "DROP VIEW mart_alerts",
        "SELECT nextval('alerts_alert_id_seq')",
        "SELECT protestwatch_ensure_partitions('2030-01-01', '2030-01-02')",
        "SELECT protestwatch_drop_partitions_before(now())",
    ],
)
def test_reader_cannot_write_or_create(analyst, statement):
    assert _denied(analyst, statement)


def test_reader_cannot_pass_its_access_on(populated, analyst):
    with analyst.connect() as conn:
        conn.exec_driver_sql("GRANT SELECT ON mart_alerts TO PUBLIC")  # only a warning
        conn.commit()
    with populated.connect() as conn:
        granted = conn.scalar(
            sa.text(
                "SELECT count(*) FROM information_schema.role_table_grants "
                "WHERE grantee = 'PUBLIC' AND table_name = 'mart_alerts'"
            )
        )
    assert granted == 0


def test_grants_survive_views_being_recreated(populated, analyst):
    apply_views(populated)
    with analyst.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM mart_alerts")) == 1
    assert _denied(analyst, "SELECT * FROM stg_alerts")


def test_marts_expose_no_handles_texts_or_post_ids(populated):
    with populated.connect() as conn:
        columns = conn.scalars(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name LIKE 'mart\\_%'"
            )
        ).all()
        evidence = conn.scalar(sa.text("SELECT evidence FROM mart_alerts"))
    assert not {"author_handle", "handle", "text", "post_uid", "raw", "urls"} & set(columns)
    assert "sample_posts" not in evidence


def test_upgrading_another_database_with_the_existing_role_succeeds(admin_url, populated):
    other = _create_database(admin_url, "reader_other")  # the role exists already
    try:
        engine = sa.create_engine(other)
        with engine.connect() as conn:
            granted = conn.scalars(
                sa.text(
                    "SELECT table_name FROM information_schema.role_table_grants "
                    "WHERE grantee = :r ORDER BY 1"
                ),
                {"r": READER_ROLE},
            ).all()
        engine.dispose()
        assert granted == MARTS
    finally:
        _drop_database(admin_url, other)


def test_downgrade_revokes_this_database_and_keeps_the_role_others_use(admin_url, populated):
    other = _create_database(admin_url, "reader_keep")  # another database using the role
    try:
        command.downgrade(_alembic_config(populated), "0003")
        with populated.connect() as conn:
            role = conn.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": READER_ROLE}
            )
            granted = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = :r"
                ),
                {"r": READER_ROLE},
            )
        assert (role, granted) == (1, 0)
    finally:
        upgrade(populated)
        _drop_database(admin_url, other)
    with populated.connect() as conn:
        granted = conn.scalar(
            sa.text("SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = :r"),
            {"r": READER_ROLE},
        )
    assert granted == len(MARTS)
