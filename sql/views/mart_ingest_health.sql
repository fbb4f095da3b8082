-- mart_ingest_health: what each source delivered, hour by hour (grain: source, hour).
-- hour: the UTC hour in which an ingest run finished (started, if unfinished); hours
-- without any run have no row. Counts add up the hour's done runs (a failed run
-- rolls back and loads nothing): n_read = n_loaded + n_duplicate + n_rejected.
-- newest_post_at: newest created_at among the posts loaded by the hour's done runs;
-- lag = last_load_at - newest_post_at, last_load_at being the latest finished_at
-- of a done run of the hour that loaded posts: how old the freshest post was when
-- it reached the database. max_run_lag: the largest lag of a single run.
CREATE VIEW mart_ingest_health AS
SELECT
    r.source,
    r.hour,
    (array_agg(r.format ORDER BY r.ingest_run_id DESC))[1] AS format,
    count(*)::integer AS runs,
    count(*) FILTER (WHERE r.status = 'done')::integer AS runs_done,
    count(*) FILTER (WHERE r.status = 'failed')::integer AS runs_failed,
    count(*) FILTER (WHERE r.status = 'running')::integer AS runs_running,
    coalesce(sum(r.n_read) FILTER (WHERE r.status = 'done'), 0)::bigint AS n_read,
    coalesce(sum(r.n_loaded) FILTER (WHERE r.status = 'done'), 0)::bigint AS n_loaded,
    coalesce(sum(r.n_duplicate) FILTER (WHERE r.status = 'done'), 0)::bigint AS n_duplicate,
    coalesce(sum(r.n_rejected) FILTER (WHERE r.status = 'done'), 0)::bigint AS n_rejected,
    sum(r.n_duplicate) FILTER (WHERE r.status = 'done')::double precision
        / nullif(sum(r.n_read) FILTER (WHERE r.status = 'done'), 0) AS duplicate_share,
    sum(r.n_rejected) FILTER (WHERE r.status = 'done')::double precision
        / nullif(sum(r.n_read) FILTER (WHERE r.status = 'done'), 0) AS rejected_share,
    coalesce(sum(r.n_hashtags) FILTER (WHERE r.status = 'done'), 0)::bigint AS n_hashtags,
    coalesce(sum(r.n_interactions) FILTER (WHERE r.status = 'done'), 0)::bigint
        AS n_interactions,
    sum(r.seconds) FILTER (WHERE r.status = 'done') AS load_seconds,
    max(r.newest_post_at) AS newest_post_at,
    max(r.finished_at) FILTER (WHERE r.newest_post_at IS NOT NULL) AS last_load_at,
    max(r.finished_at) FILTER (WHERE r.newest_post_at IS NOT NULL)
        - max(r.newest_post_at) AS lag,
    max(r.lag) AS max_run_lag,
    (array_agg(r.error ORDER BY r.ingest_run_id DESC) FILTER (WHERE r.status = 'failed'))[1]
        AS last_error
FROM int_ingest_run_freshness AS r
GROUP BY r.source, r.hour;
