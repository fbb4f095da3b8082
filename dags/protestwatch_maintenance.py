"""protestwatch_maintenance: daily retention, partitions ahead, housekeeping, statistics.

* ``drop_expired_partitions``: raw posts (``posts``, ``post_hashtags``,
  ``interactions``) older than ``retention_days`` go by DROPPING whole monthly
  partitions (a month goes once it ended ``retention_days`` before the run's
  ``data_interval_end``); results and bookkeeping are kept;
* ``ensure_partitions_ahead``: monthly partitions up to ``months_ahead`` months on;
* ``purge_rejected``: quarantined records older than ``quarantine_days``;
* ``fail_stale_runs``: ingest/detect runs still ``running`` after ``stale_hours``
  (wall clock) are marked failed;
* ``vacuum_analyze``: ``VACUUM (ANALYZE)`` (or ``ANALYZE`` with ``vacuum`` off) of
  every table, last.

Ages are measured from the run's ``data_interval_end``, so a rerun or backfilled run
does the same work; every action is logged in ``maintenance_log``.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from pipeline.airflow_support import DEFAULT_ARGS


@dag(
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["protestwatch"],
    params={
        "retention_days": Param(90, type="integer", minimum=1, description="raw posts kept"),
        "months_ahead": Param(2, type="integer", minimum=0, description="partitions ahead"),
        "quarantine_days": Param(30, type="integer", minimum=0, description="rejected kept"),
        "stale_hours": Param(6, type="integer", minimum=1, description="running -> failed"),
        "vacuum": Param(True, type="boolean", description="VACUUM as well as ANALYZE"),
    },
    doc_md=__doc__,
)
def protestwatch_maintenance():
    @task
    def drop_expired_partitions(params=None, data_interval_end=None, run_id=None) -> dict:
        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        with task_errors():
            return operations.drop_expired_partitions(
                task_engine(), data_interval_end, params["retention_days"], run_id
            )

    @task
    def ensure_partitions_ahead(params=None, data_interval_end=None, run_id=None) -> dict:
        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        with task_errors():
            return operations.ensure_partitions_ahead(
                task_engine(), data_interval_end, params["months_ahead"], run_id
            )

    @task
    def purge_rejected(params=None, data_interval_end=None, run_id=None) -> dict:
        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        with task_errors():
            return operations.purge_rejected(
                task_engine(), data_interval_end, params["quarantine_days"], run_id
            )

    @task
    def fail_stale_runs(params=None, run_id=None) -> dict:
        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        with task_errors():
            return operations.fail_stale_runs(task_engine(), params["stale_hours"], run_id)

    @task
    def vacuum_analyze(params=None, run_id=None) -> dict:
        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        with task_errors():
            return operations.vacuum_analyze(task_engine(), params["vacuum"], run_id)

    housekeeping = [
        drop_expired_partitions(),
        ensure_partitions_ahead(),
        purge_rejected(),
        fail_stale_runs(),
    ]
    housekeeping >> vacuum_analyze()


protestwatch_maintenance()
