-- mart_coordinated_accounts: accounts flagged as acting in concert within a movement
-- at a detect window (grain: movement_id, window_end, author_uid). Accounts are
-- identified by author_uid only (a keyed hash when pseudonymisation is on).
-- group_id numbers the groups of one movement and window; group_size counts the
-- group's flagged accounts in that movement and window.
CREATE VIEW mart_coordinated_accounts AS
SELECT
    ca.movement_id,
    m.label,
    ca.window_end,
    ca.author_uid,
    ca.grp AS group_id,
    count(*) OVER (PARTITION BY ca.movement_id, ca.window_end, ca.grp)::integer
        AS group_size,
    string_to_array(nullif(ca.reasons, ''), ',') AS reasons,
    ca.score,
    w.coordination AS movement_coordination
FROM coordinated_accounts AS ca
JOIN movements AS m USING (movement_id)
LEFT JOIN movement_windows AS w USING (window_end, movement_id);
