"""The search page across kinds, newest first: an index on item (created_at, id) with the
permission clause's columns, walked for a common word's matches

Revision ID: c3e9a7d15b42
Revises: c4f2a9d7e1b3
Create Date: 2026-12-01 23:45:00
"""

from alembic import op

revision = "c3e9a7d15b42"
down_revision = "c4f2a9d7e1b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: the 1,000,000-item benchmark database got it by hand first.
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_created_visible",
            [
                "created_at",
                "id",
                "kind",
                "unit_id",
                "owner_id",
                "reporter_id",
                "status",
                "cancelled_at",
            ],  # fmt: skip
            unique=False,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_created_visible")
