"""Statistics read a kind's items of a period through an index on (kind, created_at, unit_id)

Revision ID: e5a7c3b91d20
Revises: 1c5f9d4ab4a5
Create Date: 2026-12-01 12:35:00
"""

from alembic import op


revision = 'e5a7c3b91d20'
down_revision = "1c5f9d4ab4a5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(
            'ix_item_stats_kind_created', ['kind', 'created_at', 'unit_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_stats_kind_created')
