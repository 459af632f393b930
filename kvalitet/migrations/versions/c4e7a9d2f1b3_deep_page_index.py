"""A covering index for a list's deep pages: a kind's items newest first with the
permission clause's columns, the status and cancellation (kind, created_at, id, unit,
owner, reporter, status, cancelled), so that a numbered page's ids are an index-only walk

Revision ID: c4e7a9d2f1b3
Revises: b8d3f1a2c9e4
Create Date: 2026-12-01 23:00:00
"""

from alembic import op

revision = "c4e7a9d2f1b3"
down_revision = "b8d3f1a2c9e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: the 1,000,000-item benchmark database got it by hand first.
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_kind_created_visible",
            [
                "kind",
                "created_at",
                "id",
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
        batch_op.drop_index("ix_item_kind_created_visible")
