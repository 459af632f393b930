"""Counters of the reference tables (unit, lagrum), bumped by triggers: each web process
keeps the unit tree and the lagrum table between requests and reads them again when a
counter moved (kvalitet.core.refcache)

Revision ID: d7f2b9c4e1a3
Revises: c8f3e5a1d7b4
Create Date: 2026-12-04 05:00:00

The counters start at random (a database recreated under a running app never repeats a
stamp). The triggers are per statement on PostgreSQL and per row on SQLite.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "d7f2b9c4e1a3"
down_revision = "c8f3e5a1d7b4"
branch_labels = None
depends_on = None

WATCHED = ("unit", "lagrum")

# kvalitet.core.refcache.trigger_statements as this revision made them.
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION reference_stamp_bump() RETURNS trigger"
    " LANGUAGE plpgsql AS $$ BEGIN UPDATE reference_stamp SET version = version + 1"
    " WHERE name = TG_TABLE_NAME; RETURN NULL; END $$",
    *[
        statement
        for table in WATCHED
        for statement in (
            f"DROP TRIGGER IF EXISTS reference_stamp_bump ON {table}",
            f"CREATE TRIGGER reference_stamp_bump AFTER INSERT OR UPDATE OR DELETE"
            f" OR TRUNCATE ON {table} FOR EACH STATEMENT"
            f" EXECUTE FUNCTION reference_stamp_bump()",
        )
    ],
]
SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS reference_stamp_{table}_{event.lower()}"
    f" AFTER {event} ON {table} BEGIN UPDATE reference_stamp"
    f" SET version = version + 1 WHERE name = '{table}'; END"
    for table in WATCHED
    for event in ("INSERT", "UPDATE", "DELETE")
]


def upgrade() -> None:
    stamp = op.create_table(
        "reference_stamp",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(stamp, [{"name": t, "version": secrets.randbits(40)} for t in WATCHED])
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_bump ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reference_stamp_bump()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_{table}_{event}")
    op.drop_table("reference_stamp")
