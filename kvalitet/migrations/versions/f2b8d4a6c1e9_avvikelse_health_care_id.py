"""The health-care flag of avvikelser is indexed with the id: MAS's branch of the policy reads
every health-care avvikelse's id from the index alone

Revision ID: f2b8d4a6c1e9
Revises: e4a7c1f9d3b2
Create Date: 2026-12-02 21:40:00

Replaces ix_avvikelse_health_care (health_care), of which the new index's first column is
the whole. On PostgreSQL run VACUUM ANALYZE avvikelse afterwards, so the index-only scan
finds the table's pages marked all-visible.
"""

from alembic import op

revision = "f2b8d4a6c1e9"
down_revision = "e4a7c1f9d3b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_avvikelse_health_care_id", "avvikelse", ["health_care", "id"])
    op.drop_index("ix_avvikelse_health_care", table_name="avvikelse")


def downgrade() -> None:
    op.create_index("ix_avvikelse_health_care", "avvikelse", ["health_care"])
    op.drop_index("ix_avvikelse_health_care_id", table_name="avvikelse")
