"""Issue 19: several themes per synpunkt (synpunkt_tema, filled from synpunkt.theme_id);
a risk's review date as its due date

Revision ID: f19b2c4d6e81
Revises: a7c2e4f81b36
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f19b2c4d6e81"
down_revision = "a7c2e4f81b36"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "synpunkt_tema",
        sa.Column("synpunkt_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["synpunkt_id"], ["synpunkt.id"], name=op.f("fk_synpunkt_tema_synpunkt_id_synpunkt")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["list_entry.id"], name=op.f("fk_synpunkt_tema_theme_id_list_entry")
        ),
        sa.PrimaryKeyConstraint("synpunkt_id", "theme_id", name=op.f("pk_synpunkt_tema")),
    )
    with op.batch_alter_table("synpunkt_tema", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_synpunkt_tema_theme_id"), ["theme_id"], unique=False)
    # The one theme each synpunkt had so far becomes its first.
    op.execute(
        "INSERT INTO synpunkt_tema (synpunkt_id, theme_id) "
        "SELECT id, theme_id FROM synpunkt WHERE theme_id IS NOT NULL"
    )
    # A risk's review date is its due date from now on; risks that exist get it too.
    op.execute(
        "UPDATE item SET due_date = (SELECT review_date FROM risk WHERE risk.id = item.id) "
        "WHERE kind = 'RSK' AND due_date IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("synpunkt_tema", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synpunkt_tema_theme_id"))
    op.drop_table("synpunkt_tema")
