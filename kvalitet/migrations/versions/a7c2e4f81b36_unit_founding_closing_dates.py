"""Units' life: founding and closing dates (history must fall inside them)

Revision ID: a7c2e4f81b36
Revises: d19a5e7c3b10
Create Date: 2026-12-01 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c2e4f81b36"
down_revision = "d19a5e7c3b10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("founded_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("closed_on")
        batch.drop_column("founded_on")
