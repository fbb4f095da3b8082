"""Airflow glue for the DAGs: database connection, error classes, failure callbacks.

The DAG files import this module when Airflow parses them, so it imports only the
standard library and :mod:`pipeline.errors` at module level; Airflow, SQLAlchemy
and the rest of :mod:`pipeline` are imported inside the functions, when a task runs.

Database
    :func:`task_engine` is the one way tasks reach Postgres: the Airflow connection
    ``protestwatch_db`` (e.g. ``AIRFLOW_CONN_PROTESTWATCH_DB``, or any secrets
    backend), else ``DATABASE_URL``, else the embedded Postgres.

Retries
    :data:`DEFAULT_ARGS` retries every task 3 times with exponential backoff (1 min,
    then about 2, 4 ... at most 30 min). Inside :func:`task_errors`, bad data and
    bad settings (:class:`~pipeline.errors.InputError`,
    :class:`~pipeline.errors.ConfigError`, :class:`~pipeline.errors.SchemaOutOfDate`)
    become ``AirflowFailException``: the task fails at once, without retries.
    Transient errors (:func:`is_transient`: database or source unreachable,
    connection dropped, HTTP 5xx/429) and unknown errors keep Airflow's retries.

Failures
    :func:`record_failure` (``on_failure_callback``) and :func:`record_retry`
    (``on_retry_callback``) write one ``task_failures`` row per failed try; a final
    failure also POSTs a JSON message to ``PROTESTWATCH_FAILURE_WEBHOOK`` if set.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from pipeline.errors import (
    ConfigError,
    DatabaseUnavailable,
    InputError,
    SchemaOutOfDate,
    SourceUnavailable,
)

__all__ = [
    "CONN_ID",
    "DEFAULT_ARGS",
    "asset_event_extras",
    "connection_url",
    "is_bad_input",
    "is_transient",
    "record_failure",
    "record_retry",
    "task_engine",
    "task_errors",
    "task_settings",
]

log = logging.getLogger(__name__)

#: Airflow connection id of the protestwatch database.
CONN_ID = "protestwatch_db"

#: libpq parameters taken from a connection's extras (others are Airflow's own).
_LIBPQ_EXTRAS = frozenset(
    {
        "host",
        "hostaddr",
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslcrl",
        "application_name",
        "connect_timeout",
        "options",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "gssencmode",
        "channel_binding",
    }
)


# ----------------------------------------------------------------------- database


def _airflow_connection_url() -> str | None:
    """URL of the ``protestwatch_db`` Airflow connection, or None if undefined."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # Airflow not installed: the CLI and plain Python
        return None
    try:
        conn = Connection.get(CONN_ID)
    except AirflowNotFoundException:
        return None
    if conn.conn_type and conn.conn_type not in ("postgres", "postgresql"):
        raise ConfigError(
            f"Airflow connection {CONN_ID} must be a Postgres connection, got {conn.conn_type!r}"
        )
    from sqlalchemy.engine import URL

    extras = conn.extra_dejson or {}
    return URL.create(
        "postgresql",
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
        query={k: str(v) for k, v in extras.items() if k in _LIBPQ_EXTRAS},
    ).render_as_string(hide_password=False)


def connection_url() -> str | None:
    """The database URL of a task: ``protestwatch_db``, else ``DATABASE_URL``, else None.

    None means the embedded Postgres (see :func:`pipeline.database.database_url`).
    """
    from pipeline.config import get_settings

    url = _airflow_connection_url()
    if url:
        log.info("database: Airflow connection %s", CONN_ID)
        return url
    url = get_settings().database_url
    log.info("database: %s", "DATABASE_URL" if url else "embedded Postgres")
    return url


def task_settings():
    """:class:`~pipeline.config.Settings` with the database of :func:`connection_url`."""
    from dataclasses import replace

    from pipeline.config import get_settings

    return replace(get_settings(), database_url=connection_url())


def task_engine(settings=None):
    """A checked engine on the task's database with the schema up to date.

    The first task to see an old schema upgrades it, holding an advisory lock so
    that concurrent (mapped) tasks do not migrate at the same time.

    Raises
    ------
    DatabaseUnavailable
        The server cannot be reached (retried).
    """
    import sqlalchemy as sa

    from pipeline.database import current_revision, ensure_schema, get_engine, head_revision

    engine = get_engine(settings or task_settings())
    if current_revision(engine) != head_revision():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(hashtext('protestwatch.schema'))"))
            try:
                ensure_schema(engine)
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext('protestwatch.schema'))"))
    return engine


# ------------------------------------------------------------------------- errors


def _module(name: str):
    """An already imported module (an exception of a module never imported cannot occur)."""
    return sys.modules.get(name)


def is_transient(exc: BaseException) -> bool:
    """True for errors that a later try can get past: something was unreachable.

    Database or source unavailable, a dropped or refused connection (SQLAlchemy
    ``OperationalError``/``InterfaceError``, invalidated connections, the drivers'
    own ``OperationalError``), timeouts, HTTP transport errors and HTTP 5xx/429.
    """
    if isinstance(exc, DatabaseUnavailable | SourceUnavailable | ConnectionError | TimeoutError):
        return True
    if (sa_exc := _module("sqlalchemy.exc")) is not None:
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
    for driver in ("psycopg", "psycopg2"):
        if (module := _module(driver)) is not None and isinstance(exc, module.OperationalError):
            return True
    if (httpx := _module("httpx")) is not None:
        if isinstance(exc, httpx.TransportError):
            return True
        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            return status >= 500 or status == 429
    return False


def is_bad_input(exc: BaseException) -> bool:
    """True for errors no retry can fix: bad input data, settings or schema state."""
    if is_transient(exc):
        return False
    if isinstance(exc, InputError | ConfigError | SchemaOutOfDate):
        return True
    httpx = _module("httpx")
    return httpx is not None and isinstance(exc, httpx.HTTPStatusError)  # other 4xx


@contextlib.contextmanager
def task_errors() -> Iterator[None]:
    """Run a task body; bad input fails the task without retries.

    Errors for which :func:`is_bad_input` holds are raised again as
    ``AirflowFailException`` (chained to the original); everything else (transient
    errors, unknown errors, Airflow's own skip/fail exceptions) passes unchanged,
    so Airflow retries it with backoff.
    """
    try:
        yield
    except Exception as exc:
        if is_bad_input(exc):
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(
                f"{type(exc).__name__}: {exc} (not retried: fix the input or the settings)"
            ) from exc
        if is_transient(exc):
            log.warning("transient error, Airflow will retry: %s: %s", type(exc).__name__, exc)
        raise


# ---------------------------------------------------------------------- callbacks


def _failure(context: Mapping[str, Any], state: str) -> dict:
    ti = context["ti"]
    exc = context.get("exception")
    cause = exc.__cause__ if exc is not None and exc.__cause__ is not None else exc
    logical_date = context.get("logical_date")
    return {
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "map_index": -1 if getattr(ti, "map_index", None) is None else ti.map_index,
        "run_id": ti.run_id,
        "try_number": getattr(ti, "try_number", 0) or 0,
        "state": state,
        "logical_date": logical_date.isoformat() if logical_date is not None else None,
        "error_type": type(cause).__name__ if cause is not None else None,
        "error": str(exc)[:4000] if exc is not None else None,
        "notified": False,
    }


def _record(context: Mapping[str, Any], state: str) -> dict:
    """Record a failed try and notify on final failure; never raises."""
    from pipeline.config import get_settings
    from pipeline.operations import notify_webhook, record_task_failure

    failure = _failure(context, state)
    try:
        webhook = get_settings().failure_webhook
    except ConfigError as exc:
        log.warning("cannot read the settings in the failure callback: %s", exc)
        webhook = None
    if state == "failed" and webhook:
        where = f"{failure['dag_id']}.{failure['task_id']}"
        if failure["map_index"] >= 0:
            where += f"[{failure['map_index']}]"
        text = (
            f"protestwatch: task {where} failed (try {failure['try_number']}) in run "
            f"{failure['run_id']}: {failure['error_type']}: {failure['error']}"
        )
        failure["notified"] = notify_webhook(webhook, {"text": text[:2000], **failure})
    try:
        from pipeline.database import get_engine

        record_task_failure(get_engine(task_settings()), failure)
    except Exception as exc:  # the callback must not hide the task's own error
        log.warning("could not record the failure of %s: %s", failure["task_id"], exc)
    return failure


def record_failure(context: Mapping[str, Any]) -> None:
    """``on_failure_callback``: record the final failure and notify the webhook."""
    _record(context, "failed")


def record_retry(context: Mapping[str, Any]) -> None:
    """``on_retry_callback``: record a failed try that Airflow will retry."""
    _record(context, "up_for_retry")


#: Defaults of every protestwatch task (see the module docstring).
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "protestwatch",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": record_failure,
    "on_retry_callback": record_retry,
}


# ------------------------------------------------------------------------- assets


def asset_event_extras(triggering_asset_events: Mapping | None) -> list[dict]:
    """The ``extra`` dicts of the asset events that triggered a run (any asset)."""
    if not triggering_asset_events:
        return []
    return [
        dict(event.extra or {}) for events in triggering_asset_events.values() for event in events
    ]
