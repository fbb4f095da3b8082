-- int_alert_deliveries: delivery state of each alert (grain: alert_id).
-- The alert_deliveries table is optional (migration 0004's alert-delivery section
-- adds it), so this file picks one of two definitions with the same columns when the
-- views are (re)created: with the table, from its rows, matched to alerts by
-- (movement_id, episode) -- or by alert_id if the table has that column; without it,
-- every alert is 'not_tracked'. Only allow-listed delivery columns are exposed
-- (channel, status, attempts, created_at, attempted_at, next_attempt_at,
-- delivered_at, last_error, error): never destinations, URLs, recipients or secrets.
-- A delivery row is delivered when its status is 'delivered' or 'sent' (or, without
-- a status, it has a delivered_at), failed when its status is 'failed', 'error' or
-- 'abandoned'.
DO $$
DECLARE
    deliveries regclass := to_regclass('alert_deliveries');
    has_column text[];
    join_on text;
BEGIN
    SELECT array_agg(attname::text) INTO has_column
    FROM pg_attribute
    WHERE attrelid = deliveries AND attnum > 0 AND NOT attisdropped;
    IF 'alert_id' = ANY (has_column) THEN
        join_on := 'd.alert_id = a.alert_id';
    ELSIF has_column @> ARRAY['movement_id', 'episode'] THEN
        join_on := 'd.movement_id = a.movement_id AND d.episode = a.episode';
    END IF;

    IF join_on IS NOT NULL THEN
        EXECUTE replace($view$
        CREATE VIEW int_alert_deliveries AS
        WITH rows AS (
            SELECT
                a.alert_id,
                coalesce((
                    SELECT jsonb_object_agg(e.key, e.value)
                    FROM jsonb_each(to_jsonb(d)) AS e
                    WHERE e.key IN (
                        'channel', 'status', 'attempts', 'created_at', 'attempted_at',
                        'next_attempt_at', 'delivered_at', 'last_error', 'error'
                    )
                ), '{}'::jsonb) AS delivery
            FROM alert_deliveries AS d
            JOIN alerts AS a ON {join_on}
        ),
        classified AS (
            SELECT
                alert_id,
                delivery,
                coalesce(
                    delivery ->> 'status' IN ('delivered', 'sent'),
                    delivery ->> 'delivered_at' IS NOT NULL
                ) AS is_delivered,
                coalesce(delivery ->> 'status' IN ('failed', 'error', 'abandoned'), false)
                    AS is_failed
            FROM rows
        )
        SELECT
            a.alert_id,
            count(c.alert_id)::integer AS deliveries,
            CASE
                WHEN count(c.alert_id) = 0 THEN 'none'
                WHEN bool_and(c.is_delivered) THEN 'delivered'
                WHEN bool_or(c.is_delivered) THEN 'partial'
                WHEN bool_and(c.is_failed) THEN 'failed'
                ELSE 'pending'
            END AS delivery_state,
            max((c.delivery ->> 'delivered_at')::timestamptz) AS delivered_at,
            coalesce(
                jsonb_agg(
                    c.delivery
                    ORDER BY c.delivery ->> 'channel', c.delivery ->> 'created_at',
                        c.delivery::text
                ) FILTER (WHERE c.alert_id IS NOT NULL),
                '[]'::jsonb
            ) AS delivery_details
        FROM alerts AS a
        LEFT JOIN classified AS c ON c.alert_id = a.alert_id
        GROUP BY a.alert_id
        $view$, '{join_on}', join_on);
    ELSE
        EXECUTE $view$
        CREATE VIEW int_alert_deliveries AS
        SELECT
            a.alert_id,
            0 AS deliveries,
            'not_tracked'::text AS delivery_state,
            NULL::timestamptz AS delivered_at,
            '[]'::jsonb AS delivery_details
        FROM alerts AS a
        $view$;
    END IF;
END $$;
