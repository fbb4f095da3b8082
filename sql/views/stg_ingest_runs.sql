-- stg_ingest_runs: one row per ingest run (grain: ingest_run_id), with the UTC hour
-- it belongs to: the hour it finished in, or started in while it has not finished.
CREATE VIEW stg_ingest_runs AS
SELECT
    r.ingest_run_id,
    r.source,
    r.format,
    r.status,
    r.forced,
    r.started_at,
    r.finished_at,
    date_trunc('hour', coalesce(r.finished_at, r.started_at), 'UTC') AS hour,
    extract(EPOCH FROM r.finished_at - r.started_at)::double precision AS seconds,
    r.n_read,
    r.n_loaded,
    r.n_duplicate,
    r.n_rejected,
    r.n_hashtags,
    r.n_interactions,
    r.error
FROM ingest_runs AS r;
