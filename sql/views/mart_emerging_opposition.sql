-- mart_emerging_opposition: the ranked movements of the latest detect window
-- (grain: movement_id). What consumers read to know what is emerging right now.
CREATE VIEW mart_emerging_opposition AS
WITH latest AS (
    SELECT max(window_end) AS window_end FROM movement_windows
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
    a.fired_at AS alerted_at
FROM stg_movement_windows AS w
JOIN latest USING (window_end)
JOIN movements AS m USING (movement_id)
LEFT JOIN int_movement_hashtag_lists AS h USING (window_end, movement_id)
LEFT JOIN LATERAL (
    SELECT max(fired_at) AS fired_at FROM alerts WHERE alerts.movement_id = w.movement_id
) AS a ON true
ORDER BY w.rank;
