"""Full-text search index of items (tsvector 'swedish' + GIN on PostgreSQL, FTS5 on SQLite)

Revision ID: d19a5e7c3b10
Revises: d4e1a9b3c7f2
Create Date: 2026-12-01 12:50:00
"""

from alembic import op

from kvalitet.search import index


revision = "d19a5e7c3b10"
down_revision = "d4e1a9b3c7f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in index.create_statements(op.get_bind().dialect.name):
        op.execute(statement)
    # Items that exist already: index them once (the session hook keeps it from here on).
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO search_fts (item_id, body) "
            "SELECT id, concat_ws(' ', ref, title, description) FROM item"
        )
    else:
        op.execute(
            "INSERT INTO search_fts (rowid, body) "
            "SELECT id, ref || ' ' || coalesce(title, '') || ' ' || coalesce(description, '') "
            "FROM item"
        )


def downgrade() -> None:
    for statement in index.drop_statements():
        op.execute(statement)
