"""Reference data kept by each web process between requests: the unit tree and the lagrum
table, read on nearly every page (the policy's unit ids, the unit pickers, the footer) and
changed a few times a year by an administrator.

Every change to those tables, by any statement (the ORM, a bulk write, a migration, psql),
bumps a counter in `reference_stamp` from a trigger in the same transaction. The counters
ride along in the session's statement (org.sessions.RIDERS, registered by kvalitet.web), so
each logged-in request knows the committed state of the reference tables without a
statement of its own. A value kept by the process for another stamp is read again.

A kept value is never older than its stamp: it is read after the stamp, in the same or a
later snapshot. It may be newer, which costs one more read at the next request. Kept
values are plain rows (`UnitRow`, tuples), never ORM objects, since they outlive the
request's session.

Nothing is kept between requests when a request has no stamp (no login, the API's tokens,
outside a request), after a flush or an ORM statement of this request wrote one of the
tables (its own uncommitted change must show), or after a rollback (core.memo forgets the
stamp). Then the callers read per request as before.

Each app keeps its own values (`app.extensions`), so two apps in one process (the tests)
never share them, and each database starts its counters at random, so a database
recreated under a running app does not repeat a stamp with other rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, has_request_context
from sqlalchemy import BigInteger, ColumnElement, String, event, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from kvalitet.extensions import db

T = TypeVar("T")

# The watched tables; each has a counter row of that name.
WATCHED = ("unit", "lagrum")
STAMP_KEY = "_reference_stamp"  # flask.g: the stamp read with the session's statement
_DIRTY_KEY = "_reference_written"  # flask.g: this request wrote a watched table
_EXTENSION = "kvalitet_refcache"


class ReferenceStamp(db.Model):  # type: ignore[name-defined,misc]
    """One counter per watched table, bumped by a trigger on every write to it."""

    __tablename__ = "reference_stamp"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def trigger_statements(dialect: str) -> list[str]:
    """The triggers that bump the counters: one per statement on PostgreSQL, one per row on
    SQLite (which has no statement triggers)."""
    if dialect == "postgresql":
        out = [
            "CREATE OR REPLACE FUNCTION reference_stamp_bump() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN UPDATE reference_stamp SET version = version + 1"
            " WHERE name = TG_TABLE_NAME; RETURN NULL; END $$"
        ]
        for table in WATCHED:
            out += [
                f"DROP TRIGGER IF EXISTS reference_stamp_bump ON {table}",
                f"CREATE TRIGGER reference_stamp_bump AFTER INSERT OR UPDATE OR DELETE"
                f" OR TRUNCATE ON {table} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION reference_stamp_bump()",
            ]
        return out
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS reference_stamp_{table}_{event_name.lower()}"  # noqa: S608 our table names
            f" AFTER {event_name} ON {table} BEGIN UPDATE reference_stamp"
            f" SET version = version + 1 WHERE name = '{table}'; END"
            for table in WATCHED
            for event_name in ("INSERT", "UPDATE", "DELETE")
        ]
    return []


def write_counters(conn: Connection) -> None:
    """The counter rows not there yet, one per watched table, each starting at random."""
    there = set(conn.scalars(select(ReferenceStamp.name)))
    missing = [t for t in WATCHED if t not in there]
    if missing:
        conn.execute(
            insert(ReferenceStamp.__table__),
            [{"name": table, "version": secrets.randbits(40)} for table in missing],
        )


def stamp_rider(user_id: Any) -> ColumnElement[Any]:
    """The sum of the counters, for the session's statement. Any write raises it."""
    return select(func.sum(ReferenceStamp.version)).scalar_subquery()


def _stamp() -> int | None:
    if not has_request_context() or g.get(_DIRTY_KEY):
        return None
    stamp = g.get(STAMP_KEY)
    return int(stamp) if stamp is not None else None


def kept(key: str, load: Callable[[], T]) -> T | None:
    """The value at `key` that this process keeps for the current stamp, loaded by `load()`
    when it has none for it; None when nothing may be kept now (see the module's doc)."""
    stamp = _stamp()
    if stamp is None:
        return None
    store: dict[str, tuple[int, Any]] = current_app.extensions.setdefault(_EXTENSION, {})
    hit = store.get(key)
    if hit is not None and hit[0] == stamp:
        value: T = hit[1]
        return value
    value = load()
    store[key] = (stamp, value)
    return value


@dataclass(frozen=True, slots=True)
class UnitRow:
    """A unit's own columns, as the pickers and the policy read them."""

    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    active: bool
    public: bool
    sort_order: int

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this unit (as Unit.ancestor_ids)."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


def _read_units() -> tuple[UnitRow, ...]:
    unit = db.metadata.tables["unit"]
    names = [f for f in UnitRow.__slots__]  # type: ignore[attr-defined]
    rows = db.session.execute(select(*[unit.c[n] for n in names]).order_by(unit.c.path))
    return tuple(UnitRow(*row) for row in rows)


def unit_tree() -> tuple[UnitRow, ...] | None:
    """Every unit (active or not) in path order, kept for the current stamp; None when
    nothing may be kept now."""
    return kept("units", _read_units)


def _written(session: Session, flush_context: object) -> None:
    if not has_request_context() or g.get(_DIRTY_KEY):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in WATCHED:
            g.setdefault(_DIRTY_KEY, True)
            return


def _written_by_statement(state: ORMExecuteState) -> None:
    if state.is_select or not has_request_context():
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in WATCHED:
        g.setdefault(_DIRTY_KEY, True)


def _create_with_schema(target: Any, connection: Connection, **kw: Any) -> None:
    dialect = connection.dialect
    if not all(dialect.has_table(connection, t) for t in ("reference_stamp", *WATCHED)):
        return
    write_counters(connection)
    for statement in trigger_statements(dialect.name):
        connection.exec_driver_sql(statement)


def install() -> None:
    if not event.contains(Session, "after_flush", _written):
        event.listen(Session, "after_flush", _written)
    if not event.contains(Session, "do_orm_execute", _written_by_statement):
        event.listen(Session, "do_orm_execute", _written_by_statement)
    if not event.contains(db.metadata, "after_create", _create_with_schema):
        event.listen(db.metadata, "after_create", _create_with_schema)


install()
