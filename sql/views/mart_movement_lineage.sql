-- mart_movement_lineage: merges and splits between movements (grain: movement_id,
-- window_end, related_id, kind): at window_end, movement_id was merged from or split
-- from related_id, whose windows overlapped it by the given similarity.
CREATE VIEW mart_movement_lineage AS
SELECT
    l.movement_id,
    m.label,
    l.window_end,
    l.kind,
    l.related_id,
    r.label AS related_label,
    l.similarity
FROM movement_lineage AS l
JOIN movements AS m USING (movement_id)
LEFT JOIN movements AS r ON r.movement_id = l.related_id;
