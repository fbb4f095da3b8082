-- mart_movement_timeline: every movement at every detect window (grain: movement_id,
-- window_end); windows are hourly, each covering the trailing analysis window.
-- Columns are stable; new columns are appended at the end.
CREATE VIEW mart_movement_timeline AS
SELECT
    w.movement_id,
    m.label,
    w.window_end,
    w.posts,
    w.authors,
    w.new_authors,
    w.score,
    w.rank,
    w.status,
    w.growth,
    w.emergence,
    w.opposition,
    w.grassroots,
    w.coordination,
    EXISTS (
        SELECT 1 FROM alerts AS a
        WHERE a.movement_id = w.movement_id AND a.fired_at = w.window_end
    ) AS alert_fired,
    w.expected,
    w.surprise,
    w.acceleration,
    w.burst,
    w.new_author_share,
    w.n_against,
    w.n_favour,
    w.n_none,
    w.institutional_share,
    w.coordination >= 0.5 AS coordinated,
    w.grassroots >= 0.5 AS grassroots_led
FROM stg_movement_windows AS w
JOIN movements AS m USING (movement_id);
