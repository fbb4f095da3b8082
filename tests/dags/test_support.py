"""The glue the DAG tasks call: connection, error classes, window planning, params."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.dag

EMBEDDED_LIKE = "postgresql://pw:s%40cret@/protestwatch?host=%2Fsrv%2Fpgdata&sslmode=disable"


def test_the_airflow_connection_wins_over_database_url(monkeypatch):
    from pipeline.airflow_support import connection_url

    monkeypatch.setenv("DATABASE_URL", "postgresql://env@db.example:5432/env")
    monkeypatch.setenv("AIRFLOW_CONN_PROTESTWATCH_DB", EMBEDDED_LIKE)
    url = sa.make_url(connection_url())
    assert (url.username, url.password, url.database) == ("pw", "s@cret", "protestwatch")
    assert dict(url.query) == {"host": "/srv/pgdata", "sslmode": "disable"}
    monkeypatch.delenv("AIRFLOW_CONN_PROTESTWATCH_DB")
    assert connection_url() == "postgresql://env@db.example:5432/env"
    monkeypatch.delenv("DATABASE_URL")
    assert connection_url() is None  # the embedded Postgres


def test_a_non_postgres_connection_is_a_config_error(monkeypatch):
    from pipeline.airflow_support import connection_url
    from pipeline.errors import ConfigError

    monkeypatch.setenv("AIRFLOW_CONN_PROTESTWATCH_DB", "mysql://u@h/db")
    with pytest.raises(ConfigError, match="Postgres"):
        connection_url()


@pytest.mark.parametrize(
    ("error", "transient", "bad_input"),
    [
        ("DatabaseUnavailable", True, False),
        ("SourceUnavailable", True, False),
        ("OperationalError", True, False),
        ("ConnectionRefusedError", True, False),
        ("HTTP 503", True, False),
        ("HTTP 429", True, False),
        ("HTTP 404", False, True),
        ("InputError", False, True),
        ("ConfigError", False, True),
        ("SchemaOutOfDate", False, True),
        ("KeyError", False, False),
    ],
)
def test_errors_are_classified(error, transient, bad_input):
    import httpx

    from pipeline import errors
    from pipeline.airflow_support import is_bad_input, is_transient

    if error.startswith("HTTP"):
        request = httpx.Request("GET", "https://example.org")
        response = httpx.Response(int(error.split()[1]), request=request)
        exc = httpx.HTTPStatusError(error, request=request, response=response)
    elif error == "OperationalError":
        exc = sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    elif error == "ConnectionRefusedError":
        exc = ConnectionRefusedError(111, "refused")
    elif error == "KeyError":
        exc = KeyError("x")
    else:
        exc = getattr(errors, error)("boom")
    assert (is_transient(exc), is_bad_input(exc)) == (transient, bad_input)


def test_task_errors_turns_bad_input_into_airflow_fail_and_lets_the_rest_through():
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from pipeline.airflow_support import task_errors
    from pipeline.errors import DatabaseUnavailable, InputError

    with pytest.raises(AirflowFailException) as failed, task_errors():
        raise InputError("bad.jsonl: no such file or directory")
    assert isinstance(failed.value.__cause__, InputError)
    with pytest.raises(DatabaseUnavailable), task_errors():
        raise DatabaseUnavailable("down")
    with pytest.raises(AirflowSkipException), task_errors():
        raise AirflowSkipException("nothing new")


def test_detect_params_map_dag_params_to_detect_params(monkeypatch):
    from pipeline.detect import DetectParams
    from pipeline.errors import ConfigError
    from pipeline.operations import detect_params

    monkeypatch.setenv("PROTESTWATCH_WINDOW_HOURS", "12")
    params = detect_params({"window_hours": None, "alert_on": 0.5, "window_end": "x"})
    assert params == DetectParams(window_hours=12, alert_on=0.5)
    with pytest.raises(ConfigError, match="alert_off"):
        detect_params({"alert_on": 0.1, "alert_off": 0.2})


def test_sources_come_from_the_param_then_the_environment(monkeypatch):
    from pipeline.errors import ConfigError
    from pipeline.operations import configured_sources

    param = [{"kind": "bluesky", "query": "#pigeons"}]
    monkeypatch.setenv("PROTESTWATCH_SOURCES", '[{"kind": "files", "path": "/data/inbox"}]')
    assert configured_sources(param) == param
    assert configured_sources([]) == [{"kind": "files", "path": "/data/inbox"}]
    monkeypatch.delenv("PROTESTWATCH_SOURCES")
    monkeypatch.setenv("PROTESTWATCH_INBOX", "/srv/inbox")
    assert configured_sources(None) == [{"kind": "files", "path": "/srv/inbox"}]
    with pytest.raises(ConfigError, match="needs 'instance'"):
        configured_sources([{"kind": "mastodon", "hashtags": ["pigeons"]}])


def test_window_planning(engine):
    from pipeline.operations import plan_windows

    hour = pd.Timestamp("2012-09-28T12:00Z")
    plan = lambda **kw: [str(t) for t in plan_windows(engine, **kw)]  # noqa: E731
    assert plan(window_end="2012-09-28T12:34:00Z", interval_end=hour) == [str(hour)]
    assert len(plan(window_end=str(hour), window_end_to=str(hour + pd.Timedelta(hours=5)))) == 6
    assert plan(interval_end=hour + pd.Timedelta(minutes=59)) == [str(hour)]
    assert plan(run_after=hour + pd.Timedelta(minutes=5)) == [str(hour)]
    # asset-triggered: the latest full hour of the loaded posts ...
    events = [{"last_post_at": "2012-09-28T14:20:00+00:00"}, {"last_post_at": None}, {}]
    far_later = pd.Timestamp("2026-01-01T00:00Z")
    assert plan(events=events, run_after=far_later) == ["2012-09-28 14:00:00+00:00"]
    # ... never after the run itself ...
    assert plan(events=events, run_after=hour + pd.Timedelta(minutes=30)) == [str(hour)]
    # ... and the hours missed since the last done window, at most max_catchup
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO detect_runs (window_end, status) VALUES (:w, 'done')"),
            {"w": hour - pd.Timedelta(hours=1)},
        )
    assert plan(events=events, run_after=far_later) == [
        "2012-09-28 12:00:00+00:00",
        "2012-09-28 13:00:00+00:00",
        "2012-09-28 14:00:00+00:00",
    ]
    assert len(plan(events=events, run_after=far_later, max_catchup=2)) == 2


def test_asset_triggered_runs_read_the_ingest_events_extras():
    from airflow.sdk.execution_time.comms import AssetEventDagRunReferenceResult
    from airflow.sdk.execution_time.context import TriggeringAssetEventsAccessor

    from pipeline.airflow_support import asset_event_extras

    def event(task_map_index: int, last: str):
        return AssetEventDagRunReferenceResult(
            asset={"name": "postgres://protestwatch/posts", "uri": "postgres://protestwatch/posts",
                   "extra": {}},
            extra={"loaded": 10, "last_post_at": last},
            source_task_id="ingest_source", source_dag_id="protestwatch_ingest",
            source_run_id="scheduled__x", source_map_index=task_map_index, source_aliases=[],
            timestamp=pd.Timestamp("2026-01-01T00:00Z").to_pydatetime(),
        )  # fmt: skip

    accessor = TriggeringAssetEventsAccessor.build(
        [event(0, "2012-09-28T14:20:00+00:00"), event(1, "2012-09-28T15:05:00+00:00")]
    )
    extras = asset_event_extras(accessor)
    assert [e["last_post_at"] for e in extras] == [
        "2012-09-28T14:20:00+00:00",
        "2012-09-28T15:05:00+00:00",
    ]
    assert asset_event_extras(TriggeringAssetEventsAccessor.build([])) == []
