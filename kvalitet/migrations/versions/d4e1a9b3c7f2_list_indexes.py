"""Indexes for each list's filter and sort (kind + created_at, + unit, + status; owner + kind + status)

Revision ID: d4e1a9b3c7f2
Revises: e5a7c3b91d20
Create Date: 2026-12-01 12:45:00
"""

from alembic import op

revision = "d4e1a9b3c7f2"
down_revision = "e5a7c3b91d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_kind_created", ["kind", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_item_kind_unit_created", ["kind", "unit_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_item_kind_status_created", ["kind", "status", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_item_owner_kind_status", ["owner_id", "kind", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_owner_kind_status")
        batch_op.drop_index("ix_item_kind_status_created")
        batch_op.drop_index("ix_item_kind_unit_created")
        batch_op.drop_index("ix_item_kind_created")
