"""Read-only role and alert delivery.

Two independent sections, each with its own SQL:

* **Reader role** -- the ``protestwatch_reader`` group role that may read the
  ``mart_*`` views and nothing else, and the indexes the marts filter on. SELECT on
  the views themselves is granted by ``pipeline.database.apply_views``, because the
  views are dropped and recreated on every upgrade.
* **Alert delivery** -- the ``alert_deliveries`` table (written by the alert-delivery
  work; ``mart_alerts`` shows its state when the table exists).

Roles are cluster-wide: the role may already exist because another database of the
same server was upgraded first, or is being upgraded right now. Creating it is
therefore conditional and tolerant of a concurrent creation; the grants are
per-database. Downgrading revokes this database's grants and drops the role only
when no other database still uses it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# --- Reader role -------------------------------------------------------------------

READER_UPGRADE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'protestwatch_reader') THEN
        CREATE ROLE protestwatch_reader NOLOGIN;
        COMMENT ON ROLE protestwatch_reader IS
            'protestwatch: read-only access to the mart_* views (docs/schema.md); '
            'CREATE ROLE analyst LOGIN IN ROLE protestwatch_reader';
    END IF;
EXCEPTION
    -- another database of the same cluster created it concurrently
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'cannot create the role protestwatch_reader: the migrating user '
            'lacks CREATEROLE; ask an administrator to run '
            '"CREATE ROLE protestwatch_reader NOLOGIN" once for the server, then upgrade again';
END $$;

-- CONNECT is granted to PUBLIC by default; grant it explicitly for servers where
-- an administrator revoked it. USAGE on the schema only lets the role resolve names:
-- without SELECT on a relation it still cannot read it. No CREATE anywhere.
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO protestwatch_reader', current_database());
END $$;
GRANT USAGE ON SCHEMA public TO protestwatch_reader;

-- Indexes the marts filter and group on ---------------------------------------------
-- (mart_ingest_health probes posts by ingest_run_id through 0003's posts_ingest_run.)
-- mart_movement_authors, mart_coordinated_accounts: one movement's accounts.
CREATE INDEX movement_authors_movement ON movement_authors (movement_id, author_uid);
CREATE INDEX coordinated_accounts_movement ON coordinated_accounts (movement_id, author_uid);
-- mart_movement_communities, mart_movement_lineage: one movement's windows.
CREATE INDEX movement_communities_movement ON movement_communities (movement_id, window_end);
CREATE INDEX movement_lineage_movement ON movement_lineage (movement_id, window_end);
"""

READER_DOWNGRADE = r"""
DROP INDEX IF EXISTS movement_lineage_movement;
DROP INDEX IF EXISTS movement_communities_movement;
DROP INDEX IF EXISTS coordinated_accounts_movement;
DROP INDEX IF EXISTS movement_authors_movement;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'protestwatch_reader') THEN
        -- this database's grants only (DROP OWNED would also revoke CONNECT on the
        -- other databases of the cluster)
        EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM protestwatch_reader';
        EXECUTE 'REVOKE ALL ON SCHEMA public FROM protestwatch_reader';
        EXECUTE format(
            'REVOKE CONNECT ON DATABASE %I FROM protestwatch_reader', current_database());
        BEGIN
            DROP ROLE protestwatch_reader;
        EXCEPTION
            -- still granted something in another database of the cluster: keep it
            WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'protestwatch_reader is still used in another database; kept';
        END;
    END IF;
END $$;
"""

# --- Alert delivery ----------------------------------------------------------------
# The outbox of pipeline/alerts.py: one row per (alert episode, destination).
# Keyed by (movement_id, episode), not alert_id: re-running detect for a window
# rewrites its alerts rows with new alert_ids, and an episode must not be sent twice.
# No foreign key to alerts for the same reason (a cascade would erase the delivery
# state on every rerun). ``destination`` is a secret-free key (webhook host + hash of
# the URL, or the e-mail recipients); ``channel`` is webhook, slack or email.
# Constraint and index names avoid the implicit ``alert_deliveries_pkey`` so the
# table can be renamed aside next to a stand-in (tests/sql/test_marts.py).

DELIVERY_UPGRADE = r"""
CREATE TABLE alert_deliveries (
    movement_id     text NOT NULL,
    episode         integer NOT NULL,
    destination     text NOT NULL,
    channel         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempted_at    timestamptz,
    delivered_at    timestamptz,
    next_attempt_at timestamptz DEFAULT now(),
    CONSTRAINT alert_delivery_key PRIMARY KEY (movement_id, episode, destination),
    CONSTRAINT alert_delivery_status CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT alert_delivery_channel CHECK (channel IN ('webhook', 'slack', 'email')),
    CONSTRAINT alert_delivery_done CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT alert_delivery_due CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX alert_delivery_pending ON alert_deliveries (next_attempt_at)
    WHERE status = 'pending';
COMMENT ON TABLE alert_deliveries IS
    'protestwatch: delivery state of each alert episode per destination (pipeline/alerts.py)';
"""

# CASCADE: the views int_alert_deliveries and mart_alerts read the table; the next
# ``protestwatch db upgrade`` recreates them (without delivery state if it is gone).
DELIVERY_DOWNGRADE = "DROP TABLE IF EXISTS alert_deliveries CASCADE"


def upgrade() -> None:
    op.execute(READER_UPGRADE)
    if DELIVERY_UPGRADE.strip():
        op.execute(DELIVERY_UPGRADE)


def downgrade() -> None:
    if DELIVERY_DOWNGRADE.strip():
        op.execute(DELIVERY_DOWNGRADE)
    op.execute(READER_DOWNGRADE)
