"""protestwatch_hourly: ingest the inbox, then detect movements for the data interval.

Thin tasks calling :mod:`pipeline`; nothing runs at import time. The inbox is the
``inbox`` param (a directory or glob of post files; default ``$PROTESTWATCH_INBOX``);
files already loaded are skipped by checksum, so every run is idempotent.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["protestwatch"],
    params={
        "inbox": Param(
            os.environ.get("PROTESTWATCH_INBOX", ""),
            type="string",
            description="directory or glob of post files to ingest (empty: skip ingest)",
        ),
    },
)
def protestwatch_hourly():
    """Hourly ingest of new post files and detection for the hour that ended."""

    @task(retries=3, retry_exponential_backoff=True)
    def ingest(params=None) -> dict:
        from pipeline.ingest import ingest_inbox

        return ingest_inbox(params["inbox"])

    @task(retries=3, retry_exponential_backoff=True)
    def detect(data_interval_end=None) -> dict:
        from pipeline.detect import run_window
        from pipeline.database import ensure_schema, get_engine

        engine = get_engine()
        ensure_schema(engine)
        return run_window(engine, data_interval_end).summary()

    ingest() >> detect()


protestwatch_hourly()
