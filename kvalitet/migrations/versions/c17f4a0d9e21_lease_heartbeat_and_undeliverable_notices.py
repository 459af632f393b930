"""Scheduler lease heartbeat and the admins' list of undeliverable notices

Revision ID: c17f4a0d9e21
Revises: 8436c3a0da32
Create Date: 2026-12-01 09:40:00
"""

from alembic import op
import sqlalchemy as sa
import kvalitet.core.base


revision = 'c17f4a0d9e21'
down_revision = "8436c3a0da32"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scheduler_lease', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', kvalitet.core.base.UTCDateTime(), nullable=True))
    op.create_table('undeliverable_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', kvalitet.core.base.UTCDateTime(), nullable=False),
    sa.Column('handled_at', kvalitet.core.base.UTCDateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'], name=op.f('fk_undeliverable_notice_handled_by_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_undeliverable_notice_item_id_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_undeliverable_notice'))
    )
    with op.batch_alter_table('undeliverable_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undeliverable_notice_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_undeliverable_notice_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('undeliverable_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undeliverable_notice_item_id'))
        batch_op.drop_index(batch_op.f('ix_undeliverable_notice_created_at'))
    op.drop_table('undeliverable_notice')
    with op.batch_alter_table('scheduler_lease', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
