-- mart_movements: every movement ever tracked, with its lifecycle and best figures
-- (grain: movement_id). Look movements up here by label or hashtag, then follow
-- movement_id into the other marts.
CREATE VIEW mart_movements AS
SELECT
    m.movement_id,
    m.label,
    m.status,
    m.first_seen,
    m.last_seen,
    m.peak_posts,
    m.peak_at,
    m.parent_ids,
    w.windows,
    w.best_rank,
    w.max_score,
    coalesce(a.alerts, 0) AS alerts,
    a.first_alert_at,
    a.last_alert_at
FROM movements AS m
LEFT JOIN (
    SELECT
        movement_id,
        count(*)::integer AS windows,
        min(rank) AS best_rank,
        max(score) AS max_score
    FROM movement_windows
    GROUP BY movement_id
) AS w USING (movement_id)
LEFT JOIN (
    SELECT
        movement_id,
        count(*)::integer AS alerts,
        min(fired_at) AS first_alert_at,
        max(fired_at) AS last_alert_at
    FROM alerts
    GROUP BY movement_id
) AS a USING (movement_id);
