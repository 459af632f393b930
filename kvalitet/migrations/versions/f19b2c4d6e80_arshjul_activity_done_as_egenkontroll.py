"""Årshjul activity done as an egenkontroll (arshjul_aktivitet.egk_metod)

Revision ID: f19b2c4d6e80
Revises: f19b2c4d6e81
Create Date: 2026-12-01 15:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f19b2c4d6e80"
down_revision = "f19b2c4d6e81"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("arshjul_aktivitet") as batch:
        batch.add_column(sa.Column("egk_metod", sa.String(length=20), nullable=True))
    # The typical year's loggkontroll (kvalitet/arshjul/reference.py) is done in the
    # egenkontroll plan where the plan has a loggkontroll.
    op.execute(
        "UPDATE arshjul_aktivitet SET egk_metod = 'loggkontroll' "
        "WHERE title = 'Loggkontroll skyddade personuppgifter'"
    )


def downgrade() -> None:
    with op.batch_alter_table("arshjul_aktivitet") as batch:
        batch.drop_column("egk_metod")
