"""Hälso- och sjukvård on item as well: MAS's branch of the policy reads small partial indexes
instead of the ids of every health-care avvikelse

Revision ID: a6d9c3f1b7e2
Revises: f2b8d4a6c1e9
Create Date: 2026-12-03 18:40:00

The avvikelse's and the synpunkt's own `health_care` stay; their models write item's column
as well (one attribute, two columns). The upgrade copies the flag of the existing rows
(55,000 avvikelser of a 1,000,000-item city: about 15 s on PostgreSQL, through item's
indexes), makes two partial indexes of the health-care items alone, and drops
ix_avvikelse_health_care_id, which nothing asks any more. On PostgreSQL run VACUUM ANALYZE
item afterwards, so the new index is read from the index alone.
"""

import sqlalchemy as sa
from alembic import op

revision = "a6d9c3f1b7e2"
down_revision = "f2b8d4a6c1e9"
branch_labels = None
depends_on = None

# As models.HEALTH_CARE_INDEXES at this revision.
INDEXES = {
    "ix_item_health_care_status": [
        "kind", "status", "unit_id", "owner_id", "reporter_id", "due_date", "cancelled_at", "id",
    ],
    "ix_item_health_care_unit": [
        "kind", "unit_id", "created_at", "id", "owner_id", "reporter_id", "status", "cancelled_at",
    ],
}  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "item",
        sa.Column("health_care", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for table in ("avvikelse", "synpunkt"):
        op.execute(
            sa.text(
                f"UPDATE item SET health_care = :yes WHERE id IN "  # noqa: S608
                f"(SELECT id FROM {table} WHERE health_care = :yes)"
            ).bindparams(yes=True)
        )
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "item",
            columns,
            postgresql_where=sa.text("health_care"),
            sqlite_where=sa.text("health_care = 1"),
        )
    op.drop_index("ix_avvikelse_health_care_id", table_name="avvikelse")


def downgrade() -> None:
    op.create_index("ix_avvikelse_health_care_id", "avvikelse", ["health_care", "id"])
    for name in INDEXES:
        op.drop_index(name, table_name="item")
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_column("health_care")
