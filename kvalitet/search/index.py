"""The full-text index of items: one row per item with the text of its reference, title
and every free-text column of its kind.

- PostgreSQL: table `search_fts` with a generated `tsvector` in the 'swedish' configuration
  (stemming: "mötet" finds "möte") and a GIN index;
- SQLite: an FTS5 virtual table `search_fts` (rowid = item id), tokenizer unicode61 with
  diacritics kept, so "å", "ä" and "ö" are letters of their own and case-folded.

The index is kept by a session hook: after every flush, the items that were added or
changed are written again and deleted ones removed, in the same transaction (so a rollback
takes the index back too). `rebuild()` (the `flask search-rebuild` command) writes it
anew. This module sits low (beside org): it knows the item table through the mapper
registry, like the policy does, so items/ can use `matching_ids` for its lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, event, inspect, literal_column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session

from kvalitet.core.base import Base, FreeText
from kvalitet.extensions import db

TABLE = "search_fts"  # also written literally in the statements below

_CREATE = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
        "body, tokenize = 'unicode61 remove_diacritics 0')"
    ],
    "postgresql": [
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "item_id integer PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE, "
        "body text NOT NULL DEFAULT '', "
        "tsv tsvector GENERATED ALWAYS AS (to_tsvector('swedish', body)) STORED)",
        f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_tsv ON {TABLE} USING gin (tsv)",
    ],
}
_DROP = [f"DROP TABLE IF EXISTS {TABLE}"]


def create_statements(dialect: str) -> list[str]:
    return list(_CREATE.get(dialect, _CREATE["sqlite"]))


def drop_statements() -> list[str]:
    return list(_DROP)


def is_index_table(name: str) -> bool:
    """The index table and FTS5's shadow tables (search_fts_data, ..._idx, ...)."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def _item_mapper() -> Mapper[Any]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == "item" and mapper.inherits is None:
            return mapper
    raise LookupError("item")


def _is_item(obj: Any) -> bool:
    mapper = inspect(obj).mapper
    return any(getattr(m.local_table, "name", None) == "item" for m in mapper.iterate_to_root())


def document(obj: Any) -> str:
    """The indexed text of an item: reference, title and every free-text column."""
    parts: list[str] = []
    for attr in inspect(obj).mapper.column_attrs:
        column = attr.columns[0]
        if attr.key in ("ref", "title") or isinstance(column.type, FreeText):
            value = getattr(obj, attr.key, None)
            if value:
                parts.append(str(value))
    return "\n".join(parts)


def _write(conn: Connection, rows: Iterable[tuple[int, str]]) -> None:
    rows = list(rows)
    if not rows:
        return
    params = [{"id": item_id, "body": body} for item_id, body in rows]
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "INSERT INTO search_fts (item_id, body) VALUES (:id, :body) "
                "ON CONFLICT (item_id) DO UPDATE SET body = excluded.body"
            ),
            params,
        )
    else:
        conn.execute(text("DELETE FROM search_fts WHERE rowid = :id"), params)
        conn.execute(text("INSERT INTO search_fts (rowid, body) VALUES (:id, :body)"), params)


def _remove(conn: Connection, ids: list[int]) -> None:
    if not ids:
        return
    statement = (
        "DELETE FROM search_fts WHERE item_id = :id"
        if conn.dialect.name == "postgresql"
        else "DELETE FROM search_fts WHERE rowid = :id"
    )
    conn.execute(text(statement), [{"id": i} for i in ids])


def _after_flush(session: Session, flush_context: Any) -> None:
    changed = [o for o in (*session.new, *session.dirty) if _is_item(o) and o.id is not None]
    gone = [o.id for o in session.deleted if _is_item(o) and o.id is not None]
    if not changed and not gone:
        return
    conn = session.connection()
    _write(conn, ((o.id, document(o)) for o in changed if o not in session.deleted))
    _remove(conn, gone)


def install() -> None:
    """Keep the index as items change, and create it with the schema (create_all)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    if not event.contains(db.metadata, "after_create", _create_with_schema):
        event.listen(db.metadata, "after_create", _create_with_schema)
        event.listen(db.metadata, "before_drop", _drop_with_schema)


def _create_with_schema(target: Any, connection: Connection, **kw: Any) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.execute(text(statement))


def _drop_with_schema(target: Any, connection: Connection, **kw: Any) -> None:
    for statement in drop_statements():
        connection.execute(text(statement))


def rebuild(batch: int = 500) -> int:
    """Write the whole index anew; returns the number of items indexed."""
    conn = db.session.connection()
    conn.execute(text("DELETE FROM search_fts"))
    count = 0
    base = _item_mapper()
    for mapper in base.self_and_descendants:
        if mapper.polymorphic_identity is None:
            continue
        query = select(mapper.class_).execution_options(yield_per=batch)
        rows: list[tuple[int, str]] = []
        for obj in db.session.scalars(query):
            rows.append((obj.id, document(obj)))
            if len(rows) >= batch:
                _write(conn, rows)
                count += len(rows)
                rows = []
        _write(conn, rows)
        count += len(rows)
    return count


WORD = re.compile(r"\w+")


def terms(q: str) -> list[str]:
    """The words of a search (letters, digits; å, ä and ö are letters)."""
    return [w.lower() for w in WORD.findall(q or "")][:12]


def matching_ids(q: str) -> Select[Any] | None:
    """SELECT of the ids of items whose text matches every word of `q` (each word also as
    the start of a longer word), or None when `q` has no words. Combine it with the
    policy's `visible_clause`: the index knows nothing of permissions."""
    words = terms(q)
    if not words:
        return None
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return (
            select(literal_column("item_id"))
            .select_from(text(TABLE))
            .where(text(f"{TABLE}.tsv @@ to_tsquery('swedish', :fts_q)").bindparams(fts_q=query))
        )
    query = " ".join(f'"{w}"*' for w in words)
    return (
        select(literal_column("rowid"))
        .select_from(text(TABLE))
        .where(text(f"{TABLE} MATCH :fts_q").bindparams(fts_q=query))
    )


def matching_clause(q: str, id_column: Any) -> Any:
    """SQL condition: `id_column` (Item.id) is an item matching `q`; None without words."""
    ids = matching_ids(q)
    return None if ids is None else id_column.in_(ids)
