"""The statistics summary: counters per kind, unit and local month (kvalitet.core.summary)

Revision ID: c4f2a9d7e1b3
Revises: b8d3f1a2c9e4
Create Date: 2026-12-01 23:00:00

On a database with no items the summary is complete as it stands (empty) and is marked
built; otherwise statistics count the rows live until `flask statistik-summering` has run.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "c4f2a9d7e1b3"
down_revision = "b8d3f1a2c9e4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "stats_summary",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "unit_id", "month", name=op.f("pk_stats_summary")),
    )
    items = op.get_bind().execute(sa.text("SELECT count(*) FROM item")).scalar()
    if not items:
        op.bulk_insert(
            table,
            [{"kind": "*", "unit_id": 0, "month": date(1900, 1, 1), "counts": {}, "samples": {}}],
        )


def downgrade() -> None:
    op.drop_table("stats_summary")
