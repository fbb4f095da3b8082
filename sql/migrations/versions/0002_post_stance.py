"""Cache of per-post stance labels, keyed by the model that produced them.

Hourly windows overlap by 23 hours; classifying each post once per model instead of
once per window makes detect runs several times faster.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE post_stance (
            model       text NOT NULL,
            post_uid    text NOT NULL,
            created_at  timestamptz NOT NULL,
            stance      text NOT NULL CHECK (stance IN ('against', 'favour', 'none')),
            PRIMARY KEY (model, post_uid)
        );
        CREATE INDEX post_stance_created_at ON post_stance (created_at);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE post_stance")
