"""Full-text search index of items (tsvector 'swedish' + GIN on PostgreSQL, FTS5 on SQLite)

Revision ID: d19a5e7c3b10
Revises: d4e1a9b3c7f2
Create Date: 2026-12-01 12:50:00
"""

from alembic import op


revision = "d19a5e7c3b10"
down_revision = "d4e1a9b3c7f2"
branch_labels = None
depends_on = None


# The index as this revision made it (kvalitet.search.index has grown since: b5d2e8f1a7c3).
CREATE = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
        "body, tokenize = 'unicode61 remove_diacritics 0')"
    ],
    "postgresql": [
        "CREATE TABLE IF NOT EXISTS search_fts ("
        "item_id integer PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE, "
        "body text NOT NULL DEFAULT '', "
        "tsv tsvector GENERATED ALWAYS AS (to_tsvector('swedish', body)) STORED)",
        "CREATE INDEX IF NOT EXISTS ix_search_fts_tsv ON search_fts USING gin (tsv)",
    ],
}


def upgrade() -> None:
    for statement in CREATE.get(op.get_bind().dialect.name, CREATE["sqlite"]):
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
    op.execute("DROP TABLE IF EXISTS search_fts")
