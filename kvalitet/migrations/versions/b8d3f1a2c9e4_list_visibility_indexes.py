"""Indexes for the lists at 1,000,000 items: a kind's counts from one covering index
(kind, status, unit, owner, reporter, due date, cancelled, id) and its due-date order; on
PostgreSQL statistics of (kind, status) together

Revision ID: b8d3f1a2c9e4
Revises: f19b2c4d6e80
Create Date: 2026-12-01 19:20:00
"""

from alembic import op

revision = "b8d3f1a2c9e4"
down_revision = "f19b2c4d6e80"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: the 1,000,000-item benchmark database got these by hand first.
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_item_kind_status_visible",
            ["kind", "status", "unit_id", "owner_id", "reporter_id", "due_date", "cancelled_at", "id"],
            unique=False,
            if_not_exists=True,
        )
        batch_op.create_index(
            "ix_item_kind_due", ["kind", "due_date", "id"], unique=False, if_not_exists=True
        )
    if op.get_bind().dialect.name == "postgresql":
        # kvalitet.items.models.ITEM_KIND_STATUS_STATISTICS, as it is today.
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_item_kind_status (mcv) ON kind, status FROM item"
        )
        op.execute("ANALYZE item")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_item_kind_status")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_kind_due")
        batch_op.drop_index("ix_item_kind_status_visible")
