"""The search index holds each item's kind, unit and creation time (PostgreSQL), indexed,
and a trigger keeps them: a search is read one unit or one kind at a time, newest first

Revision ID: b5d2e8f1a7c3
Revises: a3f8c2d9e1b5
Create Date: 2026-12-02 17:50:00

PostgreSQL only (SQLite's FTS5 table is unchanged). Filling the columns rewrites every row
of search_fts (about a minute per million items).
"""

from alembic import op

revision = "b5d2e8f1a7c3"
down_revision = "a3f8c2d9e1b5"
branch_labels = None
depends_on = None

# kvalitet.search.index's SCOPE_STATEMENTS as this revision made them.
SCOPE_STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS ix_search_fts_unit_created"
    " ON search_fts (unit_id, created_at, item_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_fts_kind_created"
    " ON search_fts (kind, created_at, item_id)",
    "CREATE OR REPLACE FUNCTION search_fts_follow_item() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE search_fts SET unit_id = NEW.unit_id, created_at = NEW.created_at"
    " WHERE item_id = NEW.id; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS search_fts_follow_item ON item",
    "CREATE TRIGGER search_fts_follow_item AFTER UPDATE OF unit_id, created_at ON item"
    " FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id"
    " OR OLD.created_at IS DISTINCT FROM NEW.created_at)"
    " EXECUTE FUNCTION search_fts_follow_item()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE search_fts ADD COLUMN kind varchar(10), ADD COLUMN unit_id integer,"
        " ADD COLUMN created_at timestamp"
    )
    op.execute(
        "UPDATE search_fts SET kind = item.kind, unit_id = item.unit_id,"
        " created_at = item.created_at FROM item WHERE item.id = search_fts.item_id"
    )
    for statement in SCOPE_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS search_fts_follow_item() CASCADE")
    op.execute("DROP INDEX IF EXISTS ix_search_fts_unit_created")
    op.execute("DROP INDEX IF EXISTS ix_search_fts_kind_created")
    op.execute(
        "ALTER TABLE search_fts DROP COLUMN kind, DROP COLUMN unit_id, DROP COLUMN created_at"
    )
