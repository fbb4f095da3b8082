-- mart_emerging_opposition: the ranked movements of the latest detect window
-- (grain: movement_id). What consumers read to know what is emerging right now.
-- The latest window is the newest window_end of a finished detect run (or of
-- movement_windows, if newer): a finished window without movements empties the
-- mart instead of showing the previous window's movements as current.
-- Columns are stable; new columns are appended at the end.
CREATE VIEW mart_emerging_opposition AS
WITH latest AS (
    SELECT greatest(
        (SELECT max(window_end) FROM detect_runs WHERE status = 'done'),
        (SELECT max(window_end) FROM movement_windows)
    ) AS window_end
)
SELECT
    w.window_end,
    w.rank,
    w.movement_id,
    m.label,
    h.hashtags,
    w.score,
    w.status,
    m.first_seen,
    w.posts,
    w.authors,
    w.new_authors,
    w.growth,
    w.surprise,
    w.emergence,
    w.opposition,
    w.n_against,
    w.n_favour,
    w.n_none,
    w.grassroots,
    w.coordination,
    w.coordination >= 0.5 AS coordinated,
    a.fired_at AS alerted_at,
    w.expected,
    w.acceleration,
    w.burst,
    w.new_author_share,
    w.institutional_share,
    w.grassroots >= 0.5 AS grassroots_led,
    m.parent_ids,
    m.peak_posts,
    m.peak_at,
    a.alerts
FROM stg_movement_windows AS w
JOIN latest USING (window_end)
JOIN movements AS m USING (movement_id)
LEFT JOIN int_movement_hashtag_lists AS h USING (window_end, movement_id)
LEFT JOIN LATERAL (
    SELECT max(alerts.fired_at) AS fired_at, count(*)::integer AS alerts
    FROM alerts
    WHERE alerts.movement_id = w.movement_id
) AS a ON true
ORDER BY w.rank;
