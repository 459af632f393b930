"""Lex Sarah's figures in the statistics summary (kinds LXS, LXS/B, LXS/D, LXS/I)

Revision ID: d7b3e5a1c9f4
Revises: c4e7a9d2f1b3
Create Date: 2026-12-02 02:40:00

No schema change: the rows go into stats_summary. A database that already has lex Sarah
cases has none of their buckets yet, so its marker row is removed: every statistic counts
the rows live (same figures) until `flask statistik-summering` has run, which writes the
buckets and the marker again.
"""

from alembic import op

revision = "d7b3e5a1c9f4"
down_revision = "c4e7a9d2f1b3"
branch_labels = None
depends_on = None

KINDS = "('LXS', 'LXS/B', 'LXS/D', 'LXS/I')"


def upgrade() -> None:
    op.execute(
        "DELETE FROM stats_summary WHERE kind = '*' AND EXISTS (SELECT 1 FROM lexsarah_arende)"
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM stats_summary WHERE kind IN {KINDS}")
