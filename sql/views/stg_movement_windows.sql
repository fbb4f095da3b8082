-- stg_movement_windows: one row per movement per detect window (grain: window_end, movement_id).
-- Renames nothing yet; the stable entry point for the int_/mart_ layers.
CREATE VIEW stg_movement_windows AS
SELECT
    w.window_end,
    w.movement_id,
    w.rank,
    w.score,
    w.status,
    w.posts,
    w.authors,
    w.new_authors,
    w.expected,
    w.growth,
    w.surprise,
    w.acceleration,
    w.burst,
    w.new_author_share,
    w.emergence,
    w.opposition,
    w.n_against,
    w.n_favour,
    w.n_none,
    w.institutional_share,
    w.grassroots,
    w.coordination
FROM movement_windows AS w;
