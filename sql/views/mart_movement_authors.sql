-- mart_movement_authors: the accounts of each movement in order of arrival, to find
-- its earliest accounts (grain: movement_id, author_uid). Accounts are identified by
-- author_uid only (a keyed hash when pseudonymisation is on), never by handle.
-- Only accounts kept among a window's most active authors appear (see
-- int_movement_author_firsts). arrival_rank 1 = earliest first post, ties by
-- author_uid; since_first_post = first_post_at - the movement's earliest first_post_at.
CREATE VIEW mart_movement_authors AS
SELECT
    f.movement_id,
    m.label,
    f.author_uid,
    row_number() OVER (
        PARTITION BY f.movement_id ORDER BY f.first_post_at, f.author_uid
    )::integer AS arrival_rank,
    f.first_post_at,
    f.first_post_at - min(f.first_post_at) OVER (PARTITION BY f.movement_id)
        AS since_first_post,
    f.first_window_end,
    f.last_window_end,
    f.windows,
    f.max_window_posts,
    f.latest_community,
    c.author_uid IS NOT NULL AS coordinated,
    string_to_array(nullif(c.reasons, ''), ',') AS coordination_reasons
FROM int_movement_author_firsts AS f
JOIN movements AS m USING (movement_id)
LEFT JOIN LATERAL (
    SELECT ca.author_uid, ca.reasons
    FROM coordinated_accounts AS ca
    WHERE ca.movement_id = f.movement_id AND ca.author_uid = f.author_uid
    ORDER BY ca.window_end DESC
    LIMIT 1
) AS c ON true;
