"""Helpers of the DAG tests: run a DAG, read its task instances and asset events,
snapshot result tables, and a Postgres proxy that goes down mid-task."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

#: Result tables compared row for row (columns that differ between runs dropped).
RESULT_TABLES = {
    "movements": ["updated_at"],
    "movement_windows": [],
    "movement_hashtags": [],
    "movement_authors": [],
    "movement_communities": [],
    "movement_lineage": [],
    "coordinated_accounts": [],
    "alerts": ["alert_id"],
    "post_stance": [],
}


def run_dag(dagbag, dag_id: str, logical_date, conf: dict | None = None):
    """``dag.test()`` one run of a DAG of the dags folder; returns the DagRun."""
    dag = dagbag.get_dag(dag_id)
    when = None if logical_date is None else pd.Timestamp(logical_date).to_pydatetime()
    return dag.test(logical_date=when, run_conf=conf)


def task_instances(run) -> dict:
    """``{(task_id, map_index): (state, try_number)}`` of a DagRun."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            sa.select(
                TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state,
                TaskInstance.try_number,
            ).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()  # fmt: skip
    return {(r.task_id, r.map_index): (str(r.state), r.try_number) for r in rows}


def asset_events(run) -> list[dict]:
    """``{"uri", "extra"}`` of the asset events a DagRun emitted."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            sa.select(AssetModel.uri, AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id)
        ).all()
    return [{"uri": r.uri, "extra": r.extra} for r in rows]


def ingest_glob(scenario: Path) -> str:
    return str(scenario / "posts-*.jsonl")


def snapshot(engine) -> dict[str, pd.DataFrame]:
    """Every result table, sorted, without run-specific columns."""
    tables = {}
    with engine.connect() as conn:
        for table, dropped in RESULT_TABLES.items():
            frame = pd.read_sql_query(sa.text(f"SELECT * FROM {table}"), conn)
            frame = frame.drop(columns=dropped)
            for column in frame.columns:
                if frame[column].map(lambda v: isinstance(v, list | dict)).any():
                    frame[column] = frame[column].map(lambda v: json.dumps(v, sort_keys=True))
            tables[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        runs = pd.read_sql_query(
            sa.text(
                "SELECT window_end, status, n_posts, n_clusters, n_movements, n_alerts, params "
                "FROM detect_runs WHERE status = 'done' ORDER BY window_end"
            ),
            conn,
        )
    runs["params"] = runs["params"].map(lambda v: json.dumps(v, sort_keys=True))
    tables["detect_runs"] = runs.drop_duplicates().reset_index(drop=True)
    return tables


def assert_same_tables(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for table in left:
        pd.testing.assert_frame_equal(left[table], right[table], obj=table)


# ------------------------------------------------------------------------ outage


def _target(url: sa.URL):
    host = url.query.get("host") or url.host or "localhost"
    port = url.port or 5432
    if str(host).startswith("/"):
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


class FlakyPostgres:
    """A TCP proxy to the test Postgres that goes down once, mid-task.

    Connections are forwarded until ``cut_after`` bytes went from clients to the
    server; then every open connection is dropped at once (like a server crash or a
    network cut in the middle of a COPY). Later connections are forwarded normally.
    """

    def __init__(self, url: sa.URL, cut_after: int):
        self.family, self.address = _target(url)
        self.cut_after = cut_after
        self.sent = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = sa.URL.create(
            "postgresql",
            username=url.username,
            password=url.password,
            host="127.0.0.1",
            port=self._listener.getsockname()[1],
            database=url.database,
        )
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.socket(self.family, socket.SOCK_STREAM)
            server.connect(self.address)
            with self._lock:
                self._open += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                if upstream and not self.cut.is_set():
                    with self._lock:
                        self.sent += len(data)
                        if self.sent > self.cut_after:
                            self.cut.set()
                            self._drop_all()
                            return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.close()

    def _drop_all(self) -> None:
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._open.clear()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            self._drop_all()
