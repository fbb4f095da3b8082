-- mart_detect_runs: every detect run, to check the analysis keeps up (grain:
-- detect_run_id). A window may have several runs (reruns, backfills); the marts show
-- the results of its last finished run.
CREATE VIEW mart_detect_runs AS
SELECT
    r.detect_run_id,
    r.window_end,
    r.status,
    r.started_at,
    r.finished_at,
    r.seconds,
    r.n_posts,
    r.n_clusters,
    r.n_movements,
    r.n_alerts,
    r.error,
    r.params
FROM detect_runs AS r;
