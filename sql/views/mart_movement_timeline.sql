-- mart_movement_timeline: every movement at every detect window (grain: movement_id,
-- window_end); windows are hourly, each covering the trailing analysis window.
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
    ) AS alert_fired
FROM stg_movement_windows AS w
JOIN movements AS m USING (movement_id);
