-- mart_movement_communities: which author communities carry each movement at each
-- detect window (grain: movement_id, window_end, community). Community numbers are
-- assigned afresh in every window (0 = largest); -1 gathers authors outside the
-- interaction graph or in communities too small to count.
CREATE VIEW mart_movement_communities AS
SELECT
    c.movement_id,
    c.window_end,
    c.community,
    c.authors,
    c.posts,
    c.share,
    row_number() OVER (
        PARTITION BY c.movement_id, c.window_end ORDER BY c.posts DESC, c.community
    )::integer AS community_rank
FROM movement_communities AS c;
