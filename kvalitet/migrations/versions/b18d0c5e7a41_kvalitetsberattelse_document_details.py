"""Kvalitetsberättelse: diarienummer, decision date, numbered headings, appendix switch

Revision ID: b18d0c5e7a41
Revises: bfcd5193cc1e
Create Date: 2026-12-01 09:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = 'b18d0c5e7a41'
down_revision = "bfcd5193cc1e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy: on SQLite that would drop a referenced table).
    op.add_column('kvalitetsberattelse', sa.Column('diarienummer', sa.String(length=60), nullable=False, server_default=''))
    op.add_column('kvalitetsberattelse', sa.Column('beslutsdatum', sa.Date(), nullable=True))
    op.add_column('kvalitetsberattelse', sa.Column('numrerade_rubriker', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('kvalitetsberattelse', sa.Column('bilaga_statistik', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('kvalitetsberattelse', schema=None) as batch_op:
        batch_op.drop_column('bilaga_statistik')
        batch_op.drop_column('numrerade_rubriker')
        batch_op.drop_column('beslutsdatum')
        batch_op.drop_column('diarienummer')
