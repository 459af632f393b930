"""The full-text index of items: one row per item with the text of its reference, title
and every free-text column of its kind.

- PostgreSQL: table `search_fts` with a generated `tsvector` in the 'swedish' configuration
  (stemming: "mötet" finds "möte") and a GIN index;
- SQLite: an FTS5 virtual table `search_fts` (rowid = item id), tokenizer unicode61 with
  diacritics kept, so "å", "ä" and "ö" are letters of their own and case-folded.

The index is kept by a session hook: after every flush, the items that were added or
changed are written again and deleted ones removed, in the same transaction (so a rollback
takes the index back too). A plain UPDATE passes the hook: whoever writes text that way
calls `refresh(ids)` (gallring does). `rebuild()` (the `flask search-rebuild` command)
writes the whole index anew. This module sits low (beside org): it knows the item table
through the mapper registry, like the policy does, so items/ can use `matching_ids` for
its lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    any_,
    cast,
    column,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    table,
    text,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, Session

from kvalitet.core.base import Base, FreeText
from kvalitet.core.permissions import request_cache
from kvalitet.extensions import db

TABLE = "search_fts"  # also written literally in the statements below

# PostgreSQL: each row also holds its item's kind, unit, creation time and health-care flag,
# and the indexes on them let a search be read one unit or one kind at a time, newest first
# (`scoped_match`), or a kind's health-care items alone (MAS's walk, `walk_where`). A trigger
# keeps them when an item's unit, creation time or flag changes by any statement, not only
# the ORM's (an item's kind never changes).
SCOPE_STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS ix_search_fts_unit_created"
    " ON search_fts (unit_id, created_at, item_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_fts_kind_created"
    " ON search_fts (kind, created_at, item_id)",
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
_CREATE = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
        "body, tokenize = 'unicode61 remove_diacritics 0')"
    ],
    "postgresql": [
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "item_id integer PRIMARY KEY REFERENCES item (id) ON DELETE CASCADE, "
        "body text NOT NULL DEFAULT '', "
        "tsv tsvector GENERATED ALWAYS AS (to_tsvector('swedish', body)) STORED, "
        "kind varchar(10), unit_id integer, created_at timestamp,"
        " health_care boolean NOT NULL DEFAULT false)",
        f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_tsv ON {TABLE} USING gin (tsv)",
        *SCOPE_STATEMENTS,
    ],
}

_DROP = [f"DROP TABLE IF EXISTS {TABLE}"]
_DROP_POSTGRESQL = ["DROP FUNCTION IF EXISTS search_fts_follow_item() CASCADE"]


def create_statements(dialect: str) -> list[str]:
    return list(_CREATE.get(dialect, _CREATE["sqlite"]))


def drop_statements(dialect: str = "sqlite") -> list[str]:
    return [*_DROP, *(_DROP_POSTGRESQL if dialect == "postgresql" else [])]


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
            # The kind, unit, creation time and flag from the row just flushed.
            text(
                "INSERT INTO search_fts (item_id, body, kind, unit_id, created_at, health_care) "
                "SELECT :id, :body, kind, unit_id, created_at, health_care FROM item "
                "WHERE id = :id ON CONFLICT (item_id) DO UPDATE SET body = excluded.body, "
                "kind = excluded.kind, unit_id = excluded.unit_id, "
                "created_at = excluded.created_at, health_care = excluded.health_care"
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
    for statement in drop_statements(connection.dialect.name):
        connection.execute(text(statement))


def _indexed_columns(mapper: Mapper[Any]) -> list[Any]:
    """The columns `document` reads, in its order: reference, title, every free text."""
    return [
        getattr(mapper.class_, attr.key)
        for attr in mapper.column_attrs
        if attr.key in ("ref", "title") or isinstance(attr.columns[0].type, FreeText)
    ]


def _body(columns: list[Any], dialect: str) -> Any:
    """SQL for `document`: the non-empty values joined by newlines."""
    if dialect == "postgresql":
        return func.concat_ws("\n", *[func.nullif(c, "") for c in columns])
    # SQLite before 3.44 has no concat_ws: each value with its newline, NULL and '' as ''.
    parts: list[Any] = [func.coalesce(func.nullif(c, "") + "\n", "") for c in columns]
    body = parts[0]
    for part in parts[1:]:
        body = body + part
    return func.rtrim(body, "\n")


def _fill(conn: Connection, ids: list[int] | None, kinds: set[str] | None = None) -> None:
    """Write the index rows of `ids` (None: every item) from the database, one
    INSERT … SELECT per kind (of `kinds` only, when given)."""
    dialect = conn.dialect.name
    key = "item_id" if dialect == "postgresql" else "rowid"
    scope = ["kind", "unit_id", "created_at", "health_care"] if dialect == "postgresql" else []
    target = table(TABLE, column(key), column("body"), *[column(c) for c in scope])
    for mapper in _item_mapper().self_and_descendants:
        if mapper.polymorphic_identity is None:
            continue
        if kinds is not None and mapper.polymorphic_identity not in kinds:
            continue
        model = mapper.class_
        rows = select(
            model.id, _body(_indexed_columns(mapper), dialect), *[getattr(model, c) for c in scope]
        )
        if ids is not None:
            rows = rows.where(model.id.in_(ids))
        conn.execute(insert(target).from_select([key, "body", *scope], rows))


def rebuild() -> int:
    """Write the whole index anew, in the database (one INSERT … SELECT per kind, so that
    a million items take minutes, not hours); returns the number of items indexed."""
    conn = db.session.connection()
    conn.execute(text("DELETE FROM search_fts"))
    _fill(conn, None)
    return int(conn.execute(text("SELECT count(*) FROM search_fts")).scalar() or 0)


# `refresh` writes this many items per round: each round asks which kinds they are and
# fills those kinds alone (an IN of 40,000 ids cost PostgreSQL 0.5 s per kind to parse and
# plan, also for the eleven kinds that held none of them).
REFRESH_BATCH = 900


def refresh(ids: list[int]) -> None:
    """Write the index rows of `ids` anew from the items as they are stored now: for a change
    made by a plain UPDATE, which the flush hook does not see (gallring's scrub). The old
    text is gone from the index in the same transaction."""
    conn = db.session.connection()
    item = _item_mapper().local_table
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        kinds = set(
            conn.execute(select(item.c.kind).where(item.c.id.in_(batch)).distinct()).scalars()
        )
        _remove(conn, batch)
        _fill(conn, batch, kinds)


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
        return (
            select(literal_column("item_id"))
            .select_from(text(TABLE))
            .where(
                text(f"{TABLE}.tsv @@ to_tsquery('swedish', :fts_q)").bindparams(
                    fts_q=_tsquery(words)
                )
            )
        )
    query = " ".join(f'"{w}"*' for w in words)
    return (
        select(literal_column("rowid"))
        .select_from(text(TABLE))
        .where(text(f"{TABLE} MATCH :fts_q").bindparams(fts_q=query))
    )


def _tsquery(words: list[str]) -> str:
    """PostgreSQL's query of `words`, each also as the start of a longer word. Its parser
    reads "AVV-2025-0001" as the word avv and the signed numbers -2025 and -0001: a number
    searched for is also matched with its minus sign, so a part of a reference finds it
    through the index."""
    return " & ".join(f"({w}:* | -{w}:*)" if w.isdigit() else f"{w}:*" for w in words)


# The index table as the walks read it (PostgreSQL): `scoped_match`, `walk_where`.
SCOPED = table(
    TABLE,
    column("item_id"),
    column("kind"),
    column("unit_id"),
    column("created_at"),
    column("health_care", Boolean),
    column("tsv"),
)


def walk_where(column: str, value: int | str) -> list[ColumnElement[bool]]:
    """The index rows of one walk of a search read in parts (kvalitet.core.permissions
    `search_scope`): a unit's ("unit_id", id), a kind's ("kind", code), or a kind's
    health-care items ("health_care", code), which ix_search_fts_health_care_created holds
    alone. MAS's walk of the whole avvikelse kind tested ten rows for each health-care one
    (31,800 index rows and 5,030 items read for 501 hits of a common word: 58 ms, against
    14 ms on the partial index; docs/benchmarks.md, session 14)."""
    if column == "health_care":
        # `= true`, which PostgreSQL reads as the partial index's own condition.
        return [SCOPED.c.kind == value, SCOPED.c.health_care == true()]
    return [SCOPED.c[column] == value]


def scoped_match(q: str) -> ColumnElement[bool] | None:
    """Condition on SCOPED: the row matches `q`, tested on the row itself (`ts_match_vq`,
    the function of `@@`, which no index serves). A search read one unit at a time walks
    ix_search_fts_unit_created newest first and tests each row until it has a page: for a
    common word, fewer rows than the GIN index gives (its word-start matches are collected
    whole, 150,000 for a word in a sixth of a million items, before any row is read).
    None without words."""
    words = terms(q)
    if not words:
        return None
    return func.ts_match_vq(SCOPED.c.tsv, func.to_tsquery("swedish", _tsquery(words)))


# A search whose words the statistics say are in more than this share of the items is
# "dense": then walking the items newest first and looking each up in the index finds a
# page sooner than reading every match from the index (the InitPlan of `matching_clause`).
DENSE = 0.002

_SHARE = text(
    "SELECT coalesce(max(s.f), 0) FROM"
    " (SELECT unnest(tsvector_to_array(to_tsvector('swedish', :q))) AS lexeme) AS w"
    " LEFT JOIN (SELECT e, f FROM pg_stats,"
    "   unnest(most_common_elems::text::text[], most_common_elem_freqs) AS u(e, f)"
    "   WHERE tablename = 'search_fts' AND attname = 'tsv') AS s"
    " ON s.e LIKE w.lexeme || '%' GROUP BY w.lexeme"
)


def share(q: str) -> float:
    """PostgreSQL's estimate of the share of items that hold every word of `q` (as the start
    of a word): the product of each word's most frequent matching lexeme in the table's
    statistics (ANALYZE keeps the most common lexemes of `tsv`); 0 when a word is rarer
    than those (or the table was never analysed)."""
    key = ("fts_share", q)
    per_request = request_cache()
    if key not in per_request:
        shares = db.session.execute(_SHARE, {"q": " ".join(terms(q))}).scalars().all()
        product = 1.0
        for value in shares:
            product *= float(value or 0)
        per_request[key] = product if shares else 0.0
    return float(per_request[key])


def is_dense(q: str) -> bool:
    """Whether `q` is a common search (PostgreSQL's statistics; see DENSE)."""
    return db.session.get_bind().dialect.name == "postgresql" and share(q) >= DENSE


def matching_clause(q: str, id_column: Any, dense: bool | None = None) -> Any:
    """SQL condition: `id_column` (Item.id) is an item matching `q`; None without words.

    On PostgreSQL the matches of a rare search are read first, as one array (`= ANY ((SELECT
    array_agg …))`, an InitPlan), and the items are then fetched by primary key: `IN
    (subquery)` let the planner, misled by its estimate of a tsquery's rows (16,000 for one
    match), hash the user's whole visible set of a million-item city to join the matches to
    it (0.8 s). A dense search (`share` over DENSE) keeps `IN`, which the planner then
    walks newest first (ix_item_created_visible). `dense` given says which, for a caller
    that knows better than the word's share (the search page, for MAS)."""
    ids = matching_ids(q)
    if ids is None:
        return None
    dense = is_dense(q) if dense is None else dense
    if db.session.get_bind().dialect.name == "postgresql" and not dense:
        column = ids.selected_columns[0]
        gathered = ids.with_only_columns(func.array_agg(column)).scalar_subquery()
        # The cast makes it an array expression, not `= ANY (subquery)` of one array row.
        return id_column == any_(cast(gathered, ARRAY(Integer)))
    return id_column.in_(ids)
