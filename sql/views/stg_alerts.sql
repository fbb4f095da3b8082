-- stg_alerts: one row per alert (grain: alert_id), the figures of its evidence cast
-- out of the jsonb into typed columns. Evidence keys are written by
-- pipeline/detect.py::_alert_row; a missing key gives NULL, never an error.
CREATE VIEW stg_alerts AS
SELECT
    a.alert_id,
    a.movement_id,
    a.episode,
    a.fired_at,
    a.score,
    a.reason,
    a.evidence,
    ARRAY(
        SELECT t.tag
        FROM jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(a.evidence -> 'hashtags') = 'array'
                THEN a.evidence -> 'hashtags' ELSE '[]'::jsonb END
        ) WITH ORDINALITY AS t (tag, n)
        ORDER BY t.n
    ) AS hashtags,
    (a.evidence ->> 'posts')::integer AS posts,
    (a.evidence ->> 'authors')::integer AS authors,
    (a.evidence ->> 'new_authors')::integer AS new_authors,
    (a.evidence ->> 'expected')::double precision AS expected,
    (a.evidence ->> 'growth')::double precision AS growth,
    (a.evidence ->> 'surprise')::double precision AS surprise,
    (a.evidence ->> 'emergence')::double precision AS emergence,
    (a.evidence ->> 'opposition')::double precision AS opposition,
    (a.evidence ->> 'grassroots')::double precision AS grassroots,
    (a.evidence ->> 'coordination')::double precision AS coordination,
    (a.evidence -> 'stance' ->> 'against')::integer AS n_against,
    (a.evidence -> 'stance' ->> 'favour')::integer AS n_favour,
    (a.evidence -> 'stance' ->> 'none')::integer AS n_none,
    (a.evidence ->> 'coordinated')::boolean AS coordinated,
    (a.evidence ->> 'coordinated_accounts')::integer AS coordinated_accounts,
    CASE WHEN jsonb_typeof(a.evidence -> 'sample_posts') = 'array'
        THEN jsonb_array_length(a.evidence -> 'sample_posts') ELSE 0 END AS sample_posts
FROM alerts AS a;
