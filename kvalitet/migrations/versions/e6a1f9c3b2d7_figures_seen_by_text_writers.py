"""The key figures a kvalitetsberättelse text's writer saw (compared when freezing)

Revision ID: e6a1f9c3b2d7
Revises: c17f4a0d9e21
Create Date: 2026-12-01 12:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'e6a1f9c3b2d7'
down_revision = "c17f4a0d9e21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('berattelsetext', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures_seen', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('berattelsetext', schema=None) as batch_op:
        batch_op.drop_column('figures_seen')
