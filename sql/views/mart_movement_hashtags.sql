-- mart_movement_hashtags: the hashtags of each movement at each detect window
-- (grain: movement_id, window_end, tag_norm). share = posts with the tag / posts of
-- the movement in the window (a post may carry several tags: shares need not sum
-- to 1). first_window_end: first window where the tag belonged to the movement.
CREATE VIEW mart_movement_hashtags AS
SELECT
    h.movement_id,
    h.window_end,
    h.tag_norm,
    h.tag,
    h.posts,
    h.authors,
    row_number() OVER (
        PARTITION BY h.movement_id, h.window_end ORDER BY h.posts DESC, h.tag_norm
    )::integer AS tag_rank,
    h.posts::double precision / nullif(w.posts, 0) AS share,
    min(h.window_end) OVER (PARTITION BY h.movement_id, h.tag_norm) AS first_window_end
FROM movement_hashtags AS h
LEFT JOIN movement_windows AS w USING (window_end, movement_id);
