"""Read-side helpers every kind uses: loading with permission check, pagination, inbox."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from flask import current_app, request, url_for
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, ColumnClause, UnaryExpression

from kvalitet.core import audit, clock, refcache
from kvalitet.core.audit import AuditEntry
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.errors import NotFound
from kvalitet.core.permissions import (
    among,
    can,
    disjoint_parts,
    for_one_item,
    kind_branches,
    remember_visible,
    request_cache,
    role_paths,
    unit_ids_under,
    units_under,
    visible_clause,
)
from kvalitet.core.registry import all_kinds, kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Attachment, Comment, Item
from kvalitet.items.operations import links_query
from kvalitet.org.models import UNIT_KIND_LABELS, Unit, UnitKind, User
from kvalitet.search.index import matching_clause

T = TypeVar("T", bound=Item)


def load_item(ref_or_id: str | int, user: User, model: type[T] | None = None) -> T:
    """The item, if it exists and the user may see it; otherwise NotFound (404) either way,
    so a user of another unit learns nothing, not even that the item exists. Opening a kind
    with log_reads writes the read log."""
    # The owner and the reporter, which every detail page shows, in the same statement
    # (each was two more: the user, then their roles, which the page does not need).
    query = select(model or Item).options(
        joinedload(Item.owner).lazyload(User.roles),
        joinedload(Item.reporter).lazyload(User.roles),
    )
    if isinstance(ref_or_id, int) or str(ref_or_id).isdigit():
        query = query.where(Item.id == int(ref_or_id))
    else:
        query = query.where(Item.ref == str(ref_or_id).upper())
    specs = [s for s in all_kinds() if model is not None and s.model is model]
    if not specs:
        item = db.session.scalar(query)
        if item is None or not can(user, "view", item):
            raise NotFound()
        return item  # type: ignore[return-value]
    # The kind is known: the view check (the lists' own clause) is a column of the item's
    # statement, and its answer is recorded for `can` (one statement fewer on every page).
    with for_one_item():
        seen_column = visible_clause(user, specs)
    row = db.session.execute(query.add_columns(seen_column)).first()
    if row is None:
        raise NotFound()
    item, seen = row
    remember_visible(user, item.id, bool(seen))
    if not can(user, "view", item):
        raise NotFound()
    return item  # type: ignore[no-any-return]


def logs_reads(item: Item) -> bool:
    """Whether opening `item` is written to the read log: the kind's `log_reads`, a flag or a
    rule of the item (a health-care avvikelse)."""
    rule = item.spec.log_reads
    return bool(rule(item) if callable(rule) else rule)


def log_read_if_needed(user: User, item: Item) -> None:
    if logs_reads(item) and current_app.config.get("AUDIT_SENSITIVE_READS", True):
        audit.log_read(user, item)


def list_url(**changes: str | None) -> str:
    """This page's URL with some query-string arguments changed (None removes one)."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = [value]
    return url_for(request.endpoint or "items.inbox", **(request.view_args or {}), **args)


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


# Lists count their hits up to this many; beyond it the page says "fler än 10 000".
COUNT_CAP = 10_000

# The query-string arguments of keyset navigation: the next page starts after a row, the
# previous one ends before a row (each a cursor token of that row's sort key and id).
AFTER_ARG = "efter"
BEFORE_ARG = "fore"


class Page:
    """One page of a list: the rows, and enough of a count to draw the pager. The count
    stops at COUNT_CAP (counting a whole table on every page is what made lists slow), and
    is not asked at all when the page itself shows where the list ends. `next_cursor` and
    `prev_cursor` are tokens for keyset navigation (None when the list's sort cannot be
    keyed, or at either end); `next_url`/`prev_url` are the pager's links."""

    def __init__(
        self,
        items: list[Any],
        page: int,
        per_page: int,
        total: int,
        capped: bool,
        *,
        next_cursor: str | None = None,
        prev_cursor: str | None = None,
        more_after: bool | None = None,
    ):
        self.items = items
        self.page = page
        self.per_page = per_page
        self.total = total
        self.capped = capped
        self.next_cursor = next_cursor
        self.prev_cursor = prev_cursor
        self._more_after = more_after

    @property
    def total_label(self) -> str:
        if self.capped:
            return f"fler än {COUNT_CAP:,}".replace(",", "\u00a0")
        return str(self.total)

    @property
    def pages(self) -> int:
        counted = math.ceil(self.total / self.per_page) if self.total else 0
        return max(counted, self.page + 1 if self.capped and self.has_next else self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        if self._more_after is not None:
            return self._more_after
        return self.page * self.per_page < self.total or (
            self.capped and len(self.items) == self.per_page
        )

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def _url(self, **changes: str | None) -> str:
        return list_url(**changes)

    @property
    def next_url(self) -> str | None:
        """The link of "Nästa": after this page's last row when the sort can be keyed (as
        fast on page 10 000 as on page 2), else the next page number."""
        if not self.has_next:
            return None
        if self.next_cursor:
            return self._url(**{AFTER_ARG: self.next_cursor, BEFORE_ARG: None, "page": None})
        return self._url(page=str(self.page + 1), **{AFTER_ARG: None, BEFORE_ARG: None})

    @property
    def prev_url(self) -> str | None:
        if not self.has_prev:
            return None
        if self.prev_cursor and self.page > 2:
            return self._url(**{BEFORE_ARG: self.prev_cursor, AFTER_ARG: None, "page": None})
        return self._url(page=str(self.page - 1), **{AFTER_ARG: None, BEFORE_ARG: None})

    def page_url(self, number: int) -> str:
        """A numbered page (OFFSET; the pager links only the first, the last and the pages
        near this one)."""
        return self._url(page=str(number), **{AFTER_ARG: None, BEFORE_ARG: None})

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Page numbers to link, None for a gap (as Flask-SQLAlchemy's); past the cap the
        last page is not known, so the pager ends at the next page."""
        last = self.pages
        shown = [
            p
            for p in range(1, last + 1)
            if p <= left_edge
            or self.page - left_current <= p <= self.page + right_current
            or (not self.capped and p > last - right_edge)
        ]
        previous = 0
        for p in shown:
            if p != previous + 1:
                yield None
            yield p
            previous = p


def _entity(query: Select[Any]) -> Any:
    return query.column_descriptions[0].get("entity") if query.column_descriptions else None


def _stable(query: Select[Any]) -> Select[Any]:
    """The query with its primary key appended to the sort, so that rows with equal sort
    keys never move between pages. The key goes in the direction of the last sort key, so
    that (created_at DESC, id DESC) is one index walked backwards and a keyset cursor is one
    row-value comparison."""
    entity = _entity(query)
    if entity is None:
        return query
    keys = inspect(entity).primary_key
    if len(keys) != 1:
        return query
    existing = list(query._order_by_clauses)
    descending = (
        bool(existing)
        and _sort_key(existing[-1]) is not None
        and (
            _sort_key(existing[-1])[1]  # type: ignore[index]
        )
    )
    return query.order_by(keys[0].desc() if descending else keys[0])


def _eager(query: Select[Any]) -> Select[Any]:
    """Item lists show each row's owner: load the owners in one query for the page instead
    of one per row (their roles, which a list does not show, are not loaded)."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    if isinstance(entity, type) and issubclass(entity, Item):
        return query.options(selectinload(Item.owner).lazyload(User.roles))
    return query


def _keys_only(query: Select[Any]) -> Select[Any]:
    """The query's rows as their primary keys only (same FROM and WHERE, no sort): what a
    count needs, without reading every column of up to COUNT_CAP rows."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    query = query.order_by(None)
    if entity is None:
        return query
    alone = _on_item_alone(query, entity)
    if alone is not None:
        return alone
    keys = inspect(entity).primary_key
    return query.with_only_columns(*keys, maintain_column_froms=True)


def _uses(clause: Any, table: Any) -> bool:
    """Whether `clause` names a column of `table` itself (an alias of it does not count)."""
    return any(isinstance(e, ColumnClause) and e.table is table for e in visitors.iterate(clause))


def _on_item_alone(query: Select[Any], entity: Any) -> Select[Any] | None:
    """A kind's list (item joined to the kind's own table) whose WHERE asks nothing of the
    kind's table, as ids of item alone with the kind's discriminator: the same rows, since
    every item of the kind has its row in the kind's table, but a count the planner can
    answer from an index of item without reading or joining the kind's table. None when the
    query is anything else (grouped, joined to more, filtering on the kind's columns)."""
    if not (isinstance(entity, type) and issubclass(entity, Item)) or entity is Item:
        return None
    mapper = inspect(entity)
    own = mapper.local_table
    if own is Item.__table__ or mapper.polymorphic_identity is None:
        return None
    if query._setup_joins or query._from_obj or query._group_by_clauses:
        return None
    if query._having_criteria:
        return None
    if query._distinct or query._limit_clause is not None or query._offset_clause is not None:
        return None
    where = query.whereclause
    if where is not None and _uses(where, own):
        return None
    alone = select(Item.id).where(Item.kind == mapper.polymorphic_identity)
    alone = alone.where(where) if where is not None else alone
    # Anything else in the WHERE (another table's column) keeps the query as it was.
    return alone if _on_item_only(where) else None


# --- keyset cursors ---------------------------------------------------------------------------


def _sort_key(clause: Any) -> tuple[Any, bool] | None:
    """(expression, descending) of one ORDER BY element, or None if it cannot be keyed
    (explicit NULLS FIRST/LAST, or anything but a plain ascending/descending expression)."""
    descending = False
    if isinstance(clause, UnaryExpression):
        if clause.modifier is operators.desc_op:
            descending = True
        elif clause.modifier is not operators.asc_op:
            return None
        clause = clause.element
        if isinstance(clause, UnaryExpression) and clause.modifier is not None:
            return None
    if not isinstance(clause, ColumnElement) or isinstance(clause, UnaryExpression):
        return None  # text(), a label reference …: the list pages by number only
    return clause, descending


def _never_null(expression: Any) -> bool:
    """Whether an ORDER BY expression can never be NULL (a NOT NULL column, or IS [NOT]
    NULL); anything else is compared NULL-aware."""
    if isinstance(expression, Column):
        return not expression.nullable
    tests = (operators.is_, operators.is_not)
    return isinstance(expression, BinaryExpression) and expression.operator in tests


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(type(value))


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "t":
            return datetime.fromisoformat(raw)
        if tag == "d":
            return date.fromisoformat(raw)
        if tag == "n":
            return Decimal(raw)
        raise ValueError(tag)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(value)


def encode_cursor(page: int, values: Sequence[Any]) -> str | None:
    """A URL-safe token of a row's sort key (and the page number it ends or starts)."""
    try:
        data = json.dumps([page, [_encode(v) for v in values]], separators=(",", ":"))
    except TypeError:
        return None
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode_cursor(token: str, width: int) -> tuple[int, list[Any]] | None:
    """(page number, sort key values) of a token, or None for anything else (a tampered or
    stale token, or one of another sort): the list then starts from its first page."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        page, values = json.loads(raw)
        if not isinstance(page, int) or not 1 <= page < 10**7 or not isinstance(values, list):
            return None
        decoded = [_decode(v) for v in values]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    return (page, decoded) if len(decoded) == width else None


def _beyond(key: Any, descending: bool, value: Any, nullable: bool, nulls_large: bool) -> Any:
    """`key` strictly after `value` in an ORDER BY key (direction, and NULLs sorted as the
    engine sorts them: largest on PostgreSQL, smallest on SQLite)."""
    larger = not descending
    if value is None:
        # After NULL: the non-NULL values, if NULL sorts before them in this direction.
        return key.is_not(None) if (nulls_large != larger) else false()
    bound = literal(value, key.type)
    compared = key > bound if larger else key < bound
    if nullable and nulls_large == larger:
        return or_(compared, key.is_(None))
    return compared


def _same(key: Any, value: Any) -> Any:
    return key.is_(None) if value is None else key == literal(value, key.type)


def keyset_clause(
    keys: Sequence[tuple[Any, bool]], values: Sequence[Any], nulls_large: bool
) -> ColumnElement[bool]:
    """Rows after `values` in the order `keys`: one row-value comparison when every key is
    NOT NULL and sorted the same way (an index range), otherwise the lexicographic OR with
    a bound on the first key so that the index still starts at the cursor."""
    flags = [_never_null(k) for k, _ in keys]
    directions = {d for _, d in keys}
    if all(flags) and len(directions) == 1 and None not in values:
        row, cursor = (
            tuple_(*[k for k, _ in keys]),
            tuple_(*[literal(v, k.type) for (k, _), v in zip(keys, values, strict=True)]),
        )
        return row < cursor if directions == {True} else row > cursor
    branches = []
    for i, (key, descending) in enumerate(keys):
        ties = [_same(k, v) for (k, _), v in zip(keys[:i], values[:i], strict=True)]
        branches.append(and_(*ties, _beyond(key, descending, values[i], not flags[i], nulls_large)))
    clause = or_(*branches)
    first, descending = keys[0]
    if flags[0] and values[0] is not None:
        bound = literal(values[0], first.type)
        clause = and_(first <= bound if descending else first >= bound, clause)
    return clause


def _keys(query: Select[Any]) -> list[tuple[Any, bool]] | None:
    keys = [_sort_key(c) for c in query._order_by_clauses]
    if not keys or any(k is None for k in keys):
        return None
    return keys  # type: ignore[return-value]


def _reversed(keys: Sequence[tuple[Any, bool]]) -> list[Any]:
    return [k.asc() if descending else k.desc() for k, descending in keys]


def _nulls_large() -> bool:
    return db.session.get_bind().dialect.name != "sqlite"


def _arg(name: str) -> str | None:
    try:
        return request.args.get(name) or None
    except RuntimeError:  # outside a request
        return None


def paginate(
    query: Select[Any],
    per_page: int | None = None,
    *,
    page: int | None = None,
    after: str | None = None,
    before: str | None = None,
    total: int | None = None,
) -> Page:
    """A page of a SELECT with a stable sort (the primary key breaks ties), and a count
    capped at COUNT_CAP, asked only when the page does not end the list.

    A numbered page (`?page=N`, or `page=`) is LIMIT/OFFSET. "Nästa" and "Föregående" go by
    keyset cursors instead (`?efter=<token>` / `?fore=<token>`, or `after=`/`before=`): the
    rows after (before) the sort key and id of a row, an index range that costs the same
    on page 10 000 as on page 2. The permission clause and every filter stay in the query;
    a token is only a position, so a tampered one shows nothing the user may not see (and
    one that does not fit the sort starts the list from the top).

    `total`: the list's row count when the caller has it already (the inbox's tabs count
    every section): then it is not counted again."""
    size = min(per_page or int(current_app.config["PAGE_SIZE"]), 200)
    stable = _stable(query)
    keys = _keys(stable)
    after = after if after is not None else (None if page else _arg(AFTER_ARG))
    before = before if before is not None else (None if page or after else _arg(BEFORE_ARG))
    cursor = None
    if keys is not None and (after or before):
        cursor = decode_cursor(after or before or "", len(keys))
    if keys is None or cursor is None:
        number = page or page_number()
        offset = (number - 1) * size
        rows, values = _fetch(stable, keys, size + 1, offset)
        return _page(
            query, keys, rows, values, number, size, offset, at_start=number == 1, total=total
        )
    number, position = cursor
    nulls_large = _nulls_large()
    if after:
        number += 1
        ranged = stable.where(keyset_clause(keys, position, nulls_large))
        rows, values = _fetch(ranged, keys, size + 1, 0)
        return _page(
            query,
            keys,
            rows,
            values,
            number,
            size,
            (number - 1) * size,
            at_start=False,
            total=total,
        )
    number = max(number - 1, 1)
    backward = stable.order_by(None).order_by(*_reversed(keys))
    back_keys = [(k, not d) for k, d in keys]
    ranged = backward.where(keyset_clause(back_keys, position, nulls_large))
    rows, values = _fetch(ranged, keys, size + 1, 0)
    if len(rows) <= size:
        # Nothing before this page: it is the first page (filled from the top).
        rows, values = _fetch(stable, keys, size + 1, 0)
        return _page(query, keys, rows, values, 1, size, 0, at_start=True, total=total)
    rows, values = rows[:size][::-1], values[:size][::-1]
    number = max(number, 2)
    return _page(
        query, keys, rows, values, number, size, (number - 1) * size, at_start=False,
        more_after=True, total=total,
    )  # fmt: skip


def _item_ids(query: Select[Any]) -> Select[Any] | None:
    """The query's rows as ids of item alone (same WHERE, no sort), or None when that is
    not the same rows: a kind's list on item's columns (_on_item_alone), or a list of
    items themselves (the inbox) with no join, grouping, DISTINCT or LIMIT."""
    entity = _entity(query)
    if entity is not Item:
        return _on_item_alone(query, entity)
    if query._setup_joins or query._from_obj or query._group_by_clauses:
        return None
    if query._having_criteria or query._distinct:
        return None
    if query._limit_clause is not None or query._offset_clause is not None:
        return None
    where = query.whereclause
    alone = select(Item.id).where(where) if where is not None else select(Item.id)
    return alone if _on_item_only(where) else None


def _on_item_only(where: Any) -> bool:
    """Whether a WHERE names no table but item (subqueries inside it are their own), so
    that `SELECT item.id … WHERE <where>` reads item alone. Asked of the clause itself: the
    select's `get_final_froms()` compiles the statement to answer, 4-15 ms for the inbox's
    clause, a tenth of the page's CPU."""
    return where is None or all(f is Item.__table__ for f in where._from_objects)


def _deferred(query: Select[Any], limit: int, offset: int) -> Select[Any] | None:
    """A page as a deferred join: the page's ids first (item alone, same WHERE and ORDER
    BY, OFFSET and LIMIT), then the page's rows by those ids, in the same statement.

    Every page of a kind's list: the ids are an index-only walk of a covering index such
    as `ix_item_kind_created_visible`, which skips the rows before the page without reading
    them (page 40 of a chef's avvikelser read 58,000 heap rows and joined 1,000 to
    avvikelse to throw them away; the first page of a chef's list read the other units'
    rows before the page, 40-50 % of its buffers). The inbox: its dozen OR-ed branches
    are estimated at a few rows, so the planner joined every match to `unit` in a nested
    loop before the sort (2,541 × 68 for SAS); the ids are sorted on item alone and only
    the page's rows are joined. The WHERE (with the permission clause) is in the ids'
    query only, so it is planned once. None when the list is not on item's columns (see
    _item_ids) or its sort names another table: the plain OFFSET then."""
    entity = _entity(query)
    orders = list(query._order_by_clauses)
    alone = _item_ids(query.order_by(None))
    if alone is None or not orders:
        return None
    columns = [e for o in orders for e in visitors.iterate(o) if isinstance(e, ColumnClause)]
    if not columns or any(c.table is not Item.__table__ for c in columns):
        return None
    ids = alone.order_by(*orders).limit(limit).offset(offset)
    page = select(entity).where(Item.id.in_(ids)).order_by(*orders).limit(limit)
    return page.options(*query._with_options)


def _fetch(
    query: Select[Any], keys: list[tuple[Any, bool]] | None, limit: int, offset: int
) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """The rows of a page and each row's sort key (read in the same statement)."""
    deferred = _deferred(query, limit, offset)
    query = _eager(deferred if deferred is not None else query.limit(limit).offset(offset))
    if keys is None:
        return list(db.session.scalars(query).unique()), []
    width = len(keys)
    labelled = query.add_columns(*[k.label(f"_keyset_{i}") for i, (k, _) in enumerate(keys)])
    result = db.session.execute(labelled).unique().all()
    return [r[0] for r in result], [tuple(r[-width:]) for r in result]


def _page(
    query: Select[Any],
    keys: list[tuple[Any, bool]] | None,
    rows: list[Any],
    values: list[tuple[Any, ...]],
    number: int,
    size: int,
    offset: int,
    *,
    at_start: bool,
    more_after: bool | None = None,
    total: int | None = None,
) -> Page:
    has_more = more_after if more_after is not None else len(rows) > size
    rows, values = rows[:size], values[:size]
    next_cursor = encode_cursor(number, values[-1]) if keys and values and has_more else None
    prev_cursor = encode_cursor(number, values[0]) if keys and values and number > 1 else None

    def made(total: int, capped: bool) -> Page:
        return Page(rows, number, size, total, capped, next_cursor=next_cursor,
                    prev_cursor=prev_cursor, more_after=has_more)  # fmt: skip

    if not has_more and (rows or at_start):
        return made(offset + len(rows), False)
    if total is not None:
        return made(min(total, COUNT_CAP), total > COUNT_CAP)
    total = capped_count(_keys_only(query))
    return made(min(total, COUNT_CAP), total > COUNT_CAP)


def capped_count(ids: Select[Any]) -> int:
    """The rows of `ids` counted up to COUNT_CAP + 1 (more means "fler än"), in one
    statement. On PostgreSQL, with a chef's permission clause in its WHERE, the sum of one
    capped count per permission branch, the branches disjoint (permissions.disjoint_parts):
    each is an index-only range, where the OR of them reads a heap page per row. Each part
    stops at COUNT_CAP + 1, so a sum over COUNT_CAP is a capped count and one under it is
    exact."""

    def capped(statement: Select[Any]) -> Any:
        return select(func.count()).select_from(statement.limit(COUNT_CAP + 1).subquery())

    parts = disjoint_parts(ids._where_criteria)
    if parts is None:
        return int(db.session.scalar(capped(ids)) or 0)
    counts = []
    for criteria in parts:
        # The same statement (FROM, columns) with one part's criteria as its WHERE.
        part = ids._generate()
        part._where_criteria = criteria
        counts.append(capped(part).scalar_subquery())
    return int(db.session.scalar(select(sum(counts[1:], counts[0]))) or 0)


def due_date_order() -> list[Any]:
    """ORDER BY keys for "due date first, undated last". PostgreSQL sorts NULLs last in an
    ascending order already, so there it is the column alone and an index on (kind,
    due_date, id) gives the order without sorting; SQLite sorts NULLs first, so there the
    undated rows are put last by `due_date IS NULL` first. The same rows in the same order."""
    if _nulls_large():
        return [Item.due_date]
    return [Item.due_date.is_(None), Item.due_date]


def in_subtree(unit: Unit) -> ColumnElement[bool]:
    """Items placed at `unit` or any unit below it (list filter "Enhet, med underenheter")."""
    return among(Item.unit_id, unit_ids_under([unit.path]))


def text_match(text: str, *extra_columns: Any) -> ColumnElement[bool]:
    """Free-text list search: reference number, title, description and the kind's own text
    columns, case-insensitive, with % and _ in the search taken literally."""
    columns = [Item.ref, Item.title, Item.description, *extra_columns]
    clauses = [contains_folded(cast(c, String), text) for c in columns]
    # ... and the full-text index (kvalitet.search.index): whole words and word starts,
    # stemmed on PostgreSQL ("mötet" finds "möte").
    words = matching_clause(text, Item.id)
    return or_(*clauses, *([words] if words is not None else []))


# A kind's open items (_open_arm), and open_clause over every registered kind: the same
# clauses every time, built once (the inbox, its counts, the start page's panels and the
# search facets ask for them several times per request).
_OPEN_ARMS: dict[tuple[str, tuple[str, ...]], ColumnElement[bool]] = {}
_OPEN: dict[tuple[str, ...], ColumnElement[bool]] = {}


def _open_arm(spec: Any) -> ColumnElement[bool]:
    """A kind's own open items: `kind = …` and its open states (cancellation apart)."""
    key = (spec.code, tuple(spec.workflow.open_states))
    if key not in _OPEN_ARMS:
        _OPEN_ARMS[key] = and_(Item.kind == spec.code, Item.status.in_(spec.workflow.open_states))
    return _OPEN_ARMS[key]


def open_clause() -> ColumnElement[bool]:
    specs = all_kinds()
    key = tuple(spec.code for spec in specs)
    if key not in _OPEN:
        _OPEN[key] = and_(or_(*[_open_arm(spec) for spec in specs]), Item.cancelled_at.is_(None))
    return _OPEN[key]


def must_act_clause(user: User) -> ColumnElement[bool] | None:
    """Items waiting for someone in a role the user holds over the item's unit, and that the
    user may see: one arm per kind and state, each with the kind's permission branches
    (`kind_branches`, `true()` where the role's units lie in the kind's unit branch)."""
    clauses = []
    for spec in all_kinds():
        for state, roles in spec.workflow.action_roles.items():
            if state not in spec.workflow.open_states:
                continue
            paths = role_paths(user, roles)
            if not paths:
                continue
            units = unit_ids_under(paths)
            branches = kind_branches(user, spec, units)
            if branches is None:
                continue
            clauses.append(
                and_(
                    Item.kind == spec.code,
                    Item.status == state,
                    among(Item.unit_id, units),
                    Item.cancelled_at.is_(None),
                    branches,
                )
            )
    return or_(*clauses) if clauses else None


def _mine_clause(user: User) -> ColumnElement[bool]:
    """The user's own open items of every kind they may see them of. Owners see their items
    (`kind_branches(…, owned=True)` is `true()` for every kind today), so the policy's
    clause is not repeated here."""
    arms = [
        and_(_open_arm(spec), branches)
        for spec in all_kinds()
        if (branches := kind_branches(user, spec, owned=True)) is not None
    ]
    if not arms:
        return false()
    return and_(Item.owner_id == user.id, or_(*arms), Item.cancelled_at.is_(None))


def _inbox_due_order() -> list[Any]:
    """The inbox's "due date first": on PostgreSQL `due_date + 0`, the same order as the
    column's but one no index gives. The inbox's rows are few (a user's open work) and its
    counts read them all anyway; walking `ix_item_due_date` from the oldest date instead,
    as the planner chose for MAS (it took the arms for a few thousand rows that a 26-row
    page would soon find), read 50,000 buffers of long-closed items (120 ms)."""
    if _nulls_large():
        return [Item.due_date + literal(0, Integer)]
    return due_date_order()


def inbox_query(user: User, section: str = "alla") -> Select[Any]:
    """My open items and those waiting for a role I hold, that I may see (the policy's
    rows: tests/scale/test_inbox_policy.py compares them with `visible_clause`). Each arm
    carries its kind and status, so that the planner answers each from an index (owner,
    kind, status; kind, status, unit) and combines them. Built once per request (the tabs'
    counts and the page ask for the same), forgotten with the policy's answers."""
    key = ("inbox_query", getattr(user, "id", None))
    per_request = request_cache()
    query: Select[Any] | None = per_request.get(key)
    if query is None:
        mine = _mine_clause(user)
        act = must_act_clause(user)
        query = select(Item).where(or_(mine, act) if act is not None else mine)
        per_request[key] = query
    today = clock.today()
    if section == "forsenade":
        query = query.where(Item.due_date < today)
    elif section == "snart":
        query = query.where(Item.due_date >= today, Item.due_date <= today + timedelta(days=14))
    return query.order_by(*_inbox_due_order(), Item.created_at.desc())


# The start page's "nya": items in the inbox created within this many days.
NEW_DAYS = 7


def inbox_counts(user: User) -> dict[str, int]:
    """The inbox's sections counted in one query (each section's count is its list's
    total), with "nya": created within NEW_DAYS. Asked once per request (the start panels
    and the inbox's tabs both show them), forgotten with the policy's answers on a change."""
    key = ("inbox_counts", getattr(user, "id", None))
    per_request = request_cache()
    if key in per_request:
        return dict(per_request[key])
    today = clock.today()
    since = clock.now() - timedelta(days=NEW_DAYS)
    # The inbox's own WHERE with the counts as its columns: no subquery of the whole Item
    # row (making its column collection, foreign keys and all, cost more than the rest).
    row = db.session.execute(
        inbox_query(user)
        .order_by(None)
        .with_only_columns(
            func.count(),
            func.count().filter(Item.due_date < today),
            func.count().filter(
                Item.due_date >= today, Item.due_date <= today + timedelta(days=14)
            ),
            func.count().filter(Item.created_at >= since),
        )
        .select_from(Item)
    ).one()
    counts = {"alla": row[0], "forsenade": row[1], "snart": row[2], "nya": row[3]}
    per_request[key] = counts
    return dict(counts)


def unit_overview(user: User, root_paths: list[str]) -> list[dict[str, Any]]:
    """Open and overdue items per unit in the user's subtrees (only items they may see).

    One grouped count per kind, added up (UNION ALL: the kinds are disjoint), each with the
    kind's open states, the units, and the kind's permission branches within them
    (`kind_branches`: none where the user's role covers the units, as a chef's does). Each
    part is then an index-only range of `ix_item_kind_status_visible`; the same counts as
    one OR over every kind read a heap page per open item (1,444 for a chef at 1,000,000
    items: 9 ms, against 1 ms)."""
    today = clock.today()
    units = unit_ids_under(root_paths)
    parts = []
    for spec in all_kinds():
        branches = kind_branches(user, spec, units)
        if branches is None:
            continue  # the user sees none of the kind
        parts.append(
            select(
                Item.unit_id,
                func.count(Item.id).label("open"),
                func.count(Item.id).filter(Item.due_date < today).label("overdue"),
            )
            .where(
                _open_arm(spec),
                among(Item.unit_id, units),
                Item.cancelled_at.is_(None),
                branches,
            )
            .group_by(Item.unit_id)
        )
    counts: dict[int, tuple[int, int]] = {}
    if parts:
        per_kind = union_all(*parts).subquery()
        rows = db.session.execute(
            select(
                per_kind.c.unit_id, func.sum(per_kind.c.open), func.sum(per_kind.c.overdue)
            ).group_by(per_kind.c.unit_id)
        ).all()
        counts = {unit_id: (int(total), int(overdue)) for unit_id, total, overdue in rows}
    tree = refcache.unit_tree()  # the units kept by the process, else read
    unit_rows: Iterable[Unit | refcache.UnitRow] = (
        [u for u in tree if u.path.startswith(tuple(root_paths))]
        if tree is not None
        else db.session.scalars(
            select(Unit).where(Unit.id.in_(units_under(root_paths))).order_by(Unit.path)
        )
    )
    return [
        {"unit": u, "kind_label": UNIT_KIND_LABELS.get(UnitKind(u.kind), str(u.kind)),
         "open": counts.get(u.id, (0, 0))[0], "overdue": counts.get(u.id, (0, 0))[1]}
        for u in unit_rows
    ]  # fmt: skip


def timeline(item: Item) -> list[dict[str, Any]]:
    """Audit entries (not reads) and comments of an item, oldest first."""
    # One statement: each entry with who did it, and for a comment's entry the comment
    # ("comment:<id>" in the entry's target) with its author, joined; without their roles
    # (not shown here).
    comment_target = literal("comment:").concat(cast(Comment.id, String))
    rows = db.session.execute(
        select(AuditEntry, Comment)
        .outerjoin(
            Comment,
            and_(
                AuditEntry.action == "comment",
                Comment.item_id == item.id,
                AuditEntry.target == comment_target,
            ),
        )
        .where(AuditEntry.item_id == item.id, AuditEntry.action != "read")
        .options(
            joinedload(AuditEntry.user).lazyload(User.roles),
            joinedload(Comment.author).lazyload(User.roles),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    events: list[dict[str, Any]] = []
    for entry, comment in rows:
        if comment is not None:
            events.append(
                {"at": comment.created_at, "user": comment.author, "kind": "comment",
                 "summary": "Kommentar", "body": comment.body}
            )  # fmt: skip
            continue
        events.append(
            {"at": entry.at, "user": entry.user, "kind": entry.action, "summary": entry.summary,
             "before": entry.before, "after": entry.after}
        )  # fmt: skip
    return events


def read_log(item: Item) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.item_id == item.id, AuditEntry.action == "read")
            .order_by(AuditEntry.at.desc())
        )
    )


def attachments(item: Item) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.item_id == item.id).order_by(Attachment.created_at)
        )
    )


def visible_links(item: Item, user: User) -> list[dict[str, Any]]:
    """The item's links whose other end the user may see; asked once per request (the panel
    and the page may both show them), forgotten with the policy's answers on a change. The
    other end's visibility (the lists' clause) is a column of the links' statement, recorded
    for `can`."""
    key = ("links", item.id, getattr(user, "id", None))
    cache = request_cache()
    if key not in cache:
        shown = []
        with for_one_item():
            seen_column = visible_clause(user)
        rows = db.session.execute(links_query(item).add_columns(seen_column)).tuples()
        for link, other, seen in rows:
            remember_visible(user, other.id, bool(seen))
            if seen:
                direction = "ut" if link.source_id == item.id else "in"
                shown.append({"link": link, "item": other, "direction": direction})
        cache[key] = shown
    return list(cache[key])


def detail_url(item: Item) -> str:
    from flask import url_for

    return url_for(kind_spec(item.kind).endpoint, ref=item.ref)
