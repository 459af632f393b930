"""The search index holds each item's health-care flag (PostgreSQL), with a partial index of
the health-care rows: MAS's search walks its health-care avvikelser alone

Revision ID: c8f3e5a1d7b4
Revises: a6d9c3f1b7e2
Create Date: 2026-12-04 01:40:00

PostgreSQL only (SQLite reads a search in one statement; its FTS5 table is unchanged). The
upgrade copies the flag from item (55,000 rows of a 1,000,000-item city: about 3 s with the
index), and the trigger that follows an item's unit and creation time follows the flag too.
"""

from alembic import op

revision = "c8f3e5a1d7b4"
down_revision = "a6d9c3f1b7e2"
branch_labels = None
depends_on = None

# kvalitet.search.index's statements of the flag as this revision made them.
UPGRADE = [
    "ALTER TABLE search_fts ADD COLUMN health_care boolean NOT NULL DEFAULT false",
    "UPDATE search_fts SET health_care = true FROM item"
    " WHERE item.id = search_fts.item_id AND item.health_care",
    "CREATE INDEX IF NOT EXISTS ix_search_fts_health_care_created"
    " ON search_fts (kind, created_at, item_id) WHERE health_care",
    "CREATE OR REPLACE FUNCTION search_fts_follow_item() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE search_fts SET unit_id = NEW.unit_id, created_at = NEW.created_at,"
    " health_care = NEW.health_care WHERE item_id = NEW.id; RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS search_fts_follow_item ON item",
    "CREATE TRIGGER search_fts_follow_item AFTER UPDATE OF unit_id, created_at, health_care"
    " ON item FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id"
    " OR OLD.created_at IS DISTINCT FROM NEW.created_at"
    " OR OLD.health_care IS DISTINCT FROM NEW.health_care)"
    " EXECUTE FUNCTION search_fts_follow_item()",
]

# The function and trigger of revision b5d2e8f1a7c3.
DOWNGRADE = [
    "DROP TRIGGER IF EXISTS search_fts_follow_item ON item",
    "CREATE OR REPLACE FUNCTION search_fts_follow_item() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE search_fts SET unit_id = NEW.unit_id, created_at = NEW.created_at"
    " WHERE item_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER search_fts_follow_item AFTER UPDATE OF unit_id, created_at ON item"
    " FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id"
    " OR OLD.created_at IS DISTINCT FROM NEW.created_at)"
    " EXECUTE FUNCTION search_fts_follow_item()",
    "DROP INDEX IF EXISTS ix_search_fts_health_care_created",
    "ALTER TABLE search_fts DROP COLUMN health_care",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
