"""Operations of the Airflow DAGs: task failures, model promotions, maintenance log,
retention of raw posts by whole monthly partitions.

* ``task_failures`` -- one row per failed task try (``state`` ``up_for_retry`` or
  ``failed``), written by the DAGs' failure and retry callbacks;
* ``model_promotions`` -- one decision per retrain run: the candidate's and the
  current model's macro-F on the same held-out split, and whether it was promoted;
* ``maintenance_log`` -- what the maintenance DAG did (partitions dropped or
  created, rows purged, runs marked failed, tables analysed);
* ``protestwatch_drop_partitions_before(cutoff)`` -- drops every monthly partition
  of ``posts``, ``post_hashtags`` and ``interactions`` whose upper bound is at or
  before ``cutoff`` and returns their names (DDL lives here, not in Python);
* an index on ``posts (ingest_run_id)``: "what did this ingest run load" (the
  time range an ingest task reports with its asset event, reprocessing a run).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE task_failures (
    failure_id      bigserial PRIMARY KEY,
    dag_id          text NOT NULL,
    task_id         text NOT NULL,
    map_index       integer NOT NULL DEFAULT -1,
    run_id          text NOT NULL,
    try_number      integer NOT NULL,
    state           text NOT NULL CHECK (state IN ('up_for_retry', 'failed')),
    logical_date    timestamptz,
    failed_at       timestamptz NOT NULL DEFAULT now(),
    error_type      text,
    error           text,
    notified        boolean NOT NULL DEFAULT false,
    UNIQUE (dag_id, task_id, map_index, run_id, try_number)
);
CREATE INDEX task_failures_failed_at ON task_failures (failed_at);

CREATE TABLE model_promotions (
    decision_id         bigserial PRIMARY KEY,
    model               text NOT NULL DEFAULT 'stance',
    run_id              text NOT NULL,
    decided_at          timestamptz NOT NULL DEFAULT now(),
    promoted            boolean NOT NULL,
    candidate_macro_f   double precision NOT NULL,
    current_macro_f     double precision NOT NULL,
    current_model       text NOT NULL,
    model_path          text NOT NULL,
    candidate_path      text NOT NULL,
    corpus              text NOT NULL,
    corpus_sha256       text NOT NULL,
    n_train             integer NOT NULL,
    n_heldout           integer NOT NULL,
    reason              text NOT NULL,
    evaluation          jsonb NOT NULL DEFAULT '{}',
    UNIQUE (model, run_id)
);

CREATE TABLE maintenance_log (
    action_id   bigserial PRIMARY KEY,
    run_id      text,
    action      text NOT NULL CHECK (action IN (
                    'drop_partition', 'create_partitions', 'purge_stance_cache',
                    'purge_rejected', 'fail_stale_runs', 'vacuum', 'analyze')),
    target      text,
    n_rows      bigint,
    detail      jsonb NOT NULL DEFAULT '{}',
    done_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_log_done_at ON maintenance_log (done_at);

CREATE INDEX posts_ingest_run ON posts (ingest_run_id, created_at);

-- Retention by whole months: a partition <table>_pYYYYMM (see
-- protestwatch_ensure_partitions) holds [month, month + 1 month) in UTC; it is
-- dropped when month + 1 month <= cutoff. Other tables (results, bookkeeping) are
-- never touched. Serialised with partition creation by the same advisory lock.
CREATE FUNCTION protestwatch_drop_partitions_before(cutoff timestamptz)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    part record;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('protestwatch_ensure_partitions'));
    FOR part IN
        SELECT c.relname AS name
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        JOIN pg_class AS p ON p.oid = i.inhparent
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE p.relname IN ('posts', 'post_hashtags', 'interactions')
          AND n.nspname = current_schema()
          AND c.relname = p.relname || '_p' || right(c.relname, 6)
          AND right(c.relname, 6) ~ '^[0-9]{6}$'
          AND ((to_date(right(c.relname, 6), 'YYYYMM')::timestamp + interval '1 month')
               AT TIME ZONE 'UTC') <= cutoff
        ORDER BY right(c.relname, 6), p.relname
    LOOP
        EXECUTE format('DROP TABLE %I', part.name);
        RETURN NEXT part.name;
    END LOOP;
END $$;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS protestwatch_drop_partitions_before(timestamptz);
DROP INDEX IF EXISTS posts_ingest_run;
DROP TABLE IF EXISTS maintenance_log, model_promotions, task_failures;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
