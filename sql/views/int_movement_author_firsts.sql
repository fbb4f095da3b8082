-- int_movement_author_firsts: each account kept among a movement's most active
-- authors in at least one window, with its earliest known post in the movement
-- (grain: movement_id, author_uid). movement_authors keeps the top authors of each
-- window (DetectParams.authors_kept, 50), so accounts never in a window's top are
-- absent and first_post_at is the earliest post seen in a window where it was kept.
CREATE VIEW int_movement_author_firsts AS
SELECT
    a.movement_id,
    a.author_uid,
    min(a.first_post_at) AS first_post_at,
    min(a.window_end) AS first_window_end,
    max(a.window_end) AS last_window_end,
    count(*)::integer AS windows,
    max(a.posts) AS max_window_posts,
    (array_agg(a.community ORDER BY a.window_end DESC))[1] AS latest_community
FROM movement_authors AS a
GROUP BY a.movement_id, a.author_uid;
