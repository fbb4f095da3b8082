-- int_ingest_run_freshness: how fresh the posts of each ingest run were (grain:
-- ingest_run_id). newest_post_at is the newest created_at among the posts the run
-- loaded (duplicates it skipped do not count); lag = finished_at - newest_post_at.
-- Both are NULL for runs that loaded no post or did not finish. One probe of the
-- index posts_ingest_run (migration 0003) per run: filter on hour or source first.
CREATE VIEW int_ingest_run_freshness AS
SELECT
    r.ingest_run_id,
    r.source,
    r.format,
    r.status,
    r.hour,
    r.started_at,
    r.finished_at,
    r.seconds,
    r.n_read,
    r.n_loaded,
    r.n_duplicate,
    r.n_rejected,
    r.n_hashtags,
    r.n_interactions,
    r.error,
    newest.created_at AS newest_post_at,
    r.finished_at - newest.created_at AS lag
FROM stg_ingest_runs AS r
LEFT JOIN LATERAL (
    SELECT p.created_at
    FROM posts AS p
    WHERE p.ingest_run_id = r.ingest_run_id
        AND r.status = 'done'
        AND r.n_loaded > 0
    ORDER BY p.created_at DESC
    LIMIT 1
) AS newest ON true;
