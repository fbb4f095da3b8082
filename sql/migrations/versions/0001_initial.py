"""Initial schema: raw posts (partitioned by month), ingest bookkeeping, results.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Ingest bookkeeping -------------------------------------------------------------
CREATE TABLE ingest_runs (
    ingest_run_id   bigserial PRIMARY KEY,
    source          text NOT NULL,
    format          text NOT NULL,
    checksum        text NOT NULL,
    bytes           bigint,
    status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    forced          boolean NOT NULL DEFAULT false,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    n_read          bigint NOT NULL DEFAULT 0,
    n_loaded        bigint NOT NULL DEFAULT 0,
    n_duplicate     bigint NOT NULL DEFAULT 0,
    n_rejected      bigint NOT NULL DEFAULT 0,
    n_hashtags      bigint NOT NULL DEFAULT 0,
    n_interactions  bigint NOT NULL DEFAULT 0,
    error           text,
    CONSTRAINT ingest_counts_reconcile
        CHECK (status <> 'done' OR n_read = n_loaded + n_duplicate + n_rejected)
);
CREATE INDEX ingest_runs_checksum_done ON ingest_runs (checksum) WHERE status = 'done';

CREATE TABLE rejected_records (
    rejected_id     bigserial PRIMARY KEY,
    ingest_run_id   bigint REFERENCES ingest_runs ON DELETE CASCADE,
    source          text NOT NULL,
    line            bigint NOT NULL,
    reason          text NOT NULL,
    raw             text,
    rejected_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_records_run ON rejected_records (ingest_run_id);

CREATE TABLE source_cursors (
    source          text PRIMARY KEY,
    cursor          jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Raw posts, partitioned by month of created_at ----------------------------------
CREATE TABLE posts (
    post_uid            text NOT NULL,
    platform            text NOT NULL,
    post_id             text NOT NULL,
    author_uid          text NOT NULL,
    author_handle       text,
    author_followers    integer,
    author_created_at   timestamptz,
    created_at          timestamptz NOT NULL,
    text                text NOT NULL,
    lang                text,
    reply_to_uid        text,
    repost_of_uid       text,
    quote_of_uid        text,
    conversation_uid    text,
    urls                text[] NOT NULL DEFAULT '{}',
    source              text NOT NULL,
    ingest_run_id       bigint NOT NULL,
    PRIMARY KEY (post_uid, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX posts_created_at ON posts (created_at);
CREATE INDEX posts_author ON posts (author_uid, created_at);

CREATE TABLE post_hashtags (
    post_uid    text NOT NULL,
    created_at  timestamptz NOT NULL,
    author_uid  text NOT NULL,
    tag         text NOT NULL,
    tag_norm    text NOT NULL,
    PRIMARY KEY (post_uid, tag_norm, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX post_hashtags_created_at ON post_hashtags (created_at);
CREATE INDEX post_hashtags_tag ON post_hashtags (tag_norm, created_at);

CREATE TABLE interactions (
    src_author_uid  text NOT NULL,
    dst_author_uid  text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('repost', 'quote', 'reply', 'mention')),
    post_uid        text NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (post_uid, kind, dst_author_uid, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX interactions_created_at ON interactions (created_at);

-- Monthly partitions, created on demand by the loader and ahead of time by the
-- maintenance job. Partition names: <table>_pYYYYMM.
CREATE FUNCTION protestwatch_ensure_partitions(lo timestamptz, hi timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month   timestamptz := date_trunc('month', lo AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    tbl     text;
    name    text;
    created integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('protestwatch_ensure_partitions'));
    WHILE month <= hi LOOP
        FOREACH tbl IN ARRAY ARRAY['posts', 'post_hashtags', 'interactions'] LOOP
            name := format('%s_p%s', tbl, to_char(month AT TIME ZONE 'UTC', 'YYYYMM'));
            IF to_regclass(name) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                    name, tbl, month,
                    (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
                created := created + 1;
            END IF;
        END LOOP;
        month := (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
    END LOOP;
    RETURN created;
END $$;

-- Results ---------------------------------------------------------------------
CREATE TABLE detect_runs (
    detect_run_id   bigserial PRIMARY KEY,
    window_end      timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    seconds         double precision,
    params          jsonb NOT NULL DEFAULT '{}',
    n_posts         bigint,
    n_clusters      integer,
    n_movements     integer,
    n_alerts        integer,
    error           text
);
CREATE INDEX detect_runs_window ON detect_runs (window_end);

CREATE TABLE movements (
    movement_id     text PRIMARY KEY,
    label           text NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    status          text NOT NULL,
    parent_ids      text[] NOT NULL DEFAULT '{}',
    peak_posts      integer NOT NULL DEFAULT 0,
    peak_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE movement_windows (
    window_end          timestamptz NOT NULL,
    movement_id         text NOT NULL REFERENCES movements ON DELETE CASCADE,
    status              text NOT NULL,
    posts               integer NOT NULL,
    authors             integer NOT NULL,
    new_authors         integer NOT NULL,
    expected            double precision,
    growth              double precision,
    surprise            double precision,
    acceleration        double precision,
    burst               double precision,
    new_author_share    double precision,
    emergence           double precision,
    n_against           integer NOT NULL DEFAULT 0,
    n_favour            integer NOT NULL DEFAULT 0,
    n_none              integer NOT NULL DEFAULT 0,
    opposition          double precision,
    institutional_share double precision,
    grassroots          double precision,
    coordination        double precision,
    score               double precision NOT NULL,
    rank                integer NOT NULL,
    PRIMARY KEY (window_end, movement_id)
);
CREATE INDEX movement_windows_movement ON movement_windows (movement_id, window_end);

CREATE TABLE movement_hashtags (
    window_end  timestamptz NOT NULL,
    movement_id text NOT NULL REFERENCES movements ON DELETE CASCADE,
    tag_norm    text NOT NULL,
    tag         text NOT NULL,
    posts       integer NOT NULL,
    authors     integer NOT NULL,
    PRIMARY KEY (window_end, movement_id, tag_norm)
);
CREATE INDEX movement_hashtags_movement ON movement_hashtags (movement_id, window_end);

CREATE TABLE movement_authors (
    window_end      timestamptz NOT NULL,
    movement_id     text NOT NULL REFERENCES movements ON DELETE CASCADE,
    author_uid      text NOT NULL,
    posts           integer NOT NULL,
    first_post_at   timestamptz NOT NULL,
    community       integer,
    PRIMARY KEY (window_end, movement_id, author_uid)
);

CREATE TABLE movement_communities (
    window_end  timestamptz NOT NULL,
    movement_id text NOT NULL REFERENCES movements ON DELETE CASCADE,
    community   integer NOT NULL,
    authors     integer NOT NULL,
    posts       integer NOT NULL,
    share       double precision NOT NULL,
    PRIMARY KEY (window_end, movement_id, community)
);

CREATE TABLE movement_lineage (
    window_end  timestamptz NOT NULL,
    movement_id text NOT NULL REFERENCES movements ON DELETE CASCADE,
    related_id  text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('merged_from', 'split_from')),
    similarity  double precision NOT NULL,
    PRIMARY KEY (window_end, movement_id, related_id, kind)
);

CREATE TABLE coordinated_accounts (
    window_end  timestamptz NOT NULL,
    movement_id text NOT NULL REFERENCES movements ON DELETE CASCADE,
    author_uid  text NOT NULL,
    grp         integer NOT NULL,
    reasons     text NOT NULL,
    score       double precision NOT NULL,
    PRIMARY KEY (window_end, movement_id, author_uid)
);

CREATE TABLE alerts (
    alert_id    bigserial PRIMARY KEY,
    movement_id text NOT NULL REFERENCES movements ON DELETE CASCADE,
    episode     integer NOT NULL,
    fired_at    timestamptz NOT NULL,
    score       double precision NOT NULL,
    reason      text NOT NULL,
    evidence    jsonb NOT NULL,
    UNIQUE (movement_id, episode)
);
CREATE INDEX alerts_fired_at ON alerts (fired_at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS alerts, coordinated_accounts, movement_lineage, movement_communities,
    movement_authors, movement_hashtags, movement_windows, movements, detect_runs,
    interactions, post_hashtags, posts, source_cursors, rejected_records, ingest_runs CASCADE;
DROP FUNCTION IF EXISTS protestwatch_ensure_partitions(timestamptz, timestamptz);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
