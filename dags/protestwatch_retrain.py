"""protestwatch_retrain: weekly, retrain the stance model and promote it if not worse.

1. ``train``: fit a candidate on the training rows of the labeled data (the ``corpus``
   param, else ``PROTESTWATCH_STANCE_CORPUS``, else the shipped corpus); held-out rows
   come from the ``heldout`` param (a CSV), else the corpus's ``split`` column, else a
   hash of the text. The candidate is saved under
   ``$PROTESTWATCH_HOME/models/candidates/`` (shared storage with several workers).
2. ``evaluate``: macro-F (SemEval: mean F1 of against and favour) of the candidate and
   of the current model (the one detect loads) on the same held-out rows.
3. ``promote``: if the candidate's macro-F is at least the current one's plus
   ``min_gain``, write it to the file detect loads (``PROTESTWATCH_STANCE_MODEL``, else
   ``$PROTESTWATCH_HOME/models/stance-promoted.joblib``); record the decision in
   ``model_promotions`` either way (once per run: a rerun returns the same decision).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from pipeline.airflow_support import DEFAULT_ARGS


@dag(
    schedule="@weekly",
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["protestwatch"],
    params={
        "corpus": Param(None, type=["null", "string"], description="labeled CSV (text, label)"),
        "heldout": Param(None, type=["null", "string"], description="held-out labeled CSV"),
        "min_gain": Param(0.0, type="number", description="macro-F margin over the current"),
    },
    doc_md=__doc__,
)
def protestwatch_retrain():
    @task
    def train(params=None, run_id=None) -> dict:
        from pipeline.airflow_support import task_errors
        from pipeline.operations import train_candidate

        with task_errors():
            return train_candidate(run_id, corpus=params["corpus"], heldout=params["heldout"])

    @task
    def evaluate(candidate: dict) -> dict:
        from pipeline.airflow_support import task_errors
        from pipeline.operations import evaluate_candidate

        with task_errors():
            return evaluate_candidate(candidate)

    @task
    def promote(evaluation: dict, params=None, run_id=None) -> dict:
        from pipeline.airflow_support import task_engine, task_errors
        from pipeline.operations import promote_if_not_worse

        with task_errors():
            return promote_if_not_worse(task_engine(), evaluation, run_id, params["min_gain"])

    promote(evaluate(train()))


protestwatch_retrain()
