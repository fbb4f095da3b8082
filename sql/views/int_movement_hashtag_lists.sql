-- int_movement_hashtag_lists: a movement's hashtags in one window, most used first
-- (grain: window_end, movement_id).
CREATE VIEW int_movement_hashtag_lists AS
SELECT
    window_end,
    movement_id,
    array_agg(tag ORDER BY posts DESC, tag_norm) AS hashtags,
    sum(posts)::bigint AS hashtag_uses
FROM movement_hashtags
GROUP BY window_end, movement_id;
