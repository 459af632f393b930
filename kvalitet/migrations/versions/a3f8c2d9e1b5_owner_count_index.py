"""The owner's items of a kind with the columns a list's count asks (status, unit,
cancellation, due date): the owner's branch of a count read from the index alone

Revision ID: a3f8c2d9e1b5
Revises: d7b3e5a1c9f4
Create Date: 2026-12-02 14:00:00

Replaces ix_item_owner_kind_status (owner_id, kind, status), a prefix of the new index,
which serves the inbox's "mine" as it did.
"""

from alembic import op

revision = "a3f8c2d9e1b5"
down_revision = "d7b3e5a1c9f4"
branch_labels = None
depends_on = None

COLUMNS = ["owner_id", "kind", "status", "unit_id", "cancelled_at", "due_date"]


def upgrade() -> None:
    op.create_index("ix_item_owner_kind_visible", "item", COLUMNS, unique=False)
    op.drop_index("ix_item_owner_kind_status", table_name="item")


def downgrade() -> None:
    op.create_index(
        "ix_item_owner_kind_status", "item", ["owner_id", "kind", "status"], unique=False
    )
    op.drop_index("ix_item_owner_kind_visible", table_name="item")
