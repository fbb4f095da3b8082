-- mart_alerts: every alert with why it fired and whether it was delivered (grain:
-- alert_id). evidence is the alert's jsonb evidence without its sample posts (post
-- ids and texts identify authors, even when pseudonymised); sample_posts counts
-- them. rank/window figures are those of the movement at fired_at.
-- Delivery columns come from int_alert_deliveries ('not_tracked' without the
-- alert_deliveries table).
CREATE VIEW mart_alerts AS
SELECT
    a.alert_id,
    a.movement_id,
    m.label,
    a.episode,
    a.fired_at,
    a.score,
    w.rank,
    a.reason,
    a.hashtags,
    a.posts,
    a.authors,
    a.new_authors,
    a.expected,
    a.growth,
    a.surprise,
    a.emergence,
    a.opposition,
    a.grassroots,
    a.coordination,
    a.n_against,
    a.n_favour,
    a.n_none,
    a.coordinated,
    a.coordinated_accounts,
    a.sample_posts,
    a.evidence - 'sample_posts' AS evidence,
    d.delivery_state,
    d.deliveries,
    d.delivered_at,
    d.delivery_details
FROM stg_alerts AS a
JOIN movements AS m USING (movement_id)
LEFT JOIN stg_movement_windows AS w
    ON w.movement_id = a.movement_id AND w.window_end = a.fired_at
LEFT JOIN int_alert_deliveries AS d USING (alert_id);
