"""protestwatch_detect: detect movements when new posts land, or for a given window end.

Scheduled on the ``postgres://protestwatch/posts`` asset (updated by
protestwatch_ingest). The window ends a run computes
(:func:`pipeline.operations.plan_windows`):

* the ``window_end`` param, if set (with ``window_end_to``: every hour from one to
  the other, in order -- a backfill in one run; Airflow's own backfill does not
  apply to asset-scheduled DAGs, manual runs with logical dates do);
* an asset-triggered run: the latest *full* hour of the posts just loaded
  (``floor_hour`` of the newest post in the triggering events, never after the run
  itself), preceded by the hours missed since the last computed window (at most
  ``max_catchup_windows`` windows);
* a manual or backfill run with a logical date: its ``data_interval_end`` (floored to
  the hour), so runs over consecutive logical dates give exactly the rows of one
  ``protestwatch detect --from --to`` over the same range.

Each window is written idempotently (rerun = same rows) under a Postgres advisory lock
keyed by its end; ``max_active_runs=1`` keeps windows in time order. The results
asset ``postgres://protestwatch/movement_windows`` is updated with the window ends.

Params other than ``window_end``/``max_catchup_windows`` are the fields of
:class:`pipeline.detect.DetectParams` with its defaults; ``window_hours`` and
``baseline_days`` default to ``PROTESTWATCH_WINDOW_HOURS`` (24) and
``PROTESTWATCH_BASELINE_DAYS`` (7).
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from pipeline.airflow_support import DEFAULT_ARGS

POSTS = Asset("postgres://protestwatch/posts")
RESULTS = Asset("postgres://protestwatch/movement_windows")

_INT = ["null", "integer"]
_CATCHUP = "asset-triggered runs: most windows computed (missed hours first)"


@dag(
    schedule=[POSTS],
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["protestwatch"],
    params={
        "window_end": Param(None, type=["null", "string"], description="explicit window end"),
        "window_end_to": Param(None, type=["null", "string"], description="last window end"),
        "max_catchup_windows": Param(24, type="integer", minimum=1, description=_CATCHUP),
        "window_hours": Param(None, type=_INT, description="trailing window; null: env or 24"),
        "baseline_days": Param(None, type=_INT, description="baseline; null: env or 7"),
        "min_movement_posts": Param(10, type="integer", minimum=1, description="cluster size"),
        "max_movements": Param(100, type="integer", minimum=1, description="kept per window"),
        "authors_kept": Param(50, type="integer", minimum=0, description="per movement"),
        "community_lookback_hours": Param(48, type="integer", minimum=1, description="graph"),
        "tracking_lookback_hours": Param(48, type="integer", minimum=1, description="ids"),
        "alert_on": Param(0.3, type="number", minimum=0, maximum=1, description="fire at"),
        "alert_off": Param(0.15, type="number", minimum=0, maximum=1, description="quiet below"),
        "alert_quiet_hours": Param(24, type="integer", minimum=0, description="episode end"),
        "alert_min_posts": Param(10, type="integer", minimum=0, description="posts to alert"),
        "alert_warmup_hours": Param(48, type="integer", minimum=0, description="history first"),
    },
    doc_md=__doc__,
)
def protestwatch_detect():
    @task(outlets=[RESULTS])
    def detect(
        params=None,
        dag_run=None,
        data_interval_end=None,
        triggering_asset_events=None,
        outlet_events=None,
    ) -> dict:
        from pipeline import operations as ops
        from pipeline.airflow_support import asset_event_extras, task_engine, task_errors

        with task_errors():
            engine = task_engine()
            window_ends = ops.plan_windows(
                engine,
                window_end=params["window_end"],
                window_end_to=params["window_end_to"],
                interval_end=data_interval_end,
                run_after=dag_run.run_after,
                events=asset_event_extras(triggering_asset_events),
                max_catchup=params["max_catchup_windows"],
            )
            summary = ops.detect_windows(engine, window_ends, ops.detect_params(params))
        outlet_events[RESULTS].extra = {"window_ends": summary["window_ends"]}
        return summary

    detect()


protestwatch_detect()
