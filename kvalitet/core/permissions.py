"""The one permission policy. Every right is declared here or in a kind's KindSpec (which
this module reads), and asked through the functions below by the web, the API, exports, the
calendar feed and reports alike:

- items: `can(user, action, item)` for one item, `visible_clause(user, kinds)` for lists in
  SQL; `can(user, "view", item)` runs the very same SQL clause for that one item, so a list
  and a detail page can never disagree;
- statistics and their level of detail: `statistics_detail(user, kind, unit)` (full, or
  aggregates only with small groups suppressed by `suppress_small`, the one rule for every
  breakdown), `statistics_paths(user, kind)`;
- the other rights (plans, lists, SAS-only steps, the lex Sarah read log, the calendar feed,
  report drafts): `RIGHTS` and `may(user, right, unit)`.

Roles are held at a unit and valid for its subtree (units whose materialised path starts with
the unit's path). A role held at a deactivated unit grants nothing; a deactivated user may do
nothing. Core knows the tables it asks about (item, unit) by name, not the modules that map
them, so it imports nothing above itself.
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    event,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList, Grouping
from sqlalchemy.sql.util import find_tables
from sqlalchemy.sql.visitors import iterate, replacement_traverse

from kvalitet.core import refcache
from kvalitet.core.base import Base
from kvalitet.core.errors import Forbidden, NotFound
from kvalitet.core.registry import KindSpec, all_kinds
from kvalitet.core.roles import Role
from kvalitet.extensions import db

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import Unit, User


@cache
def _mapped(table_name: str) -> Any:
    """The mapped class of `table_name` ("item", "unit")."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == table_name and mapper.inherits is None:
            return mapper.class_
    raise LookupError(table_name)


def _active(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.active)


def request_cache() -> dict[Any, Any]:
    """The policy's answers within one request (role paths, unit ids, item visibility);
    emptied by every flush that changed anything, so an answer never outlives its rows.
    Outside a request nothing is cached."""
    if not has_request_context():
        return {}
    cache: dict[Any, Any] = g.setdefault("_perm_cache", {})
    return cache


# Rows whose writing changes no one's rights: the read log and other audit rows, the bell,
# mail and the session's last-seen time.
_NEUTRAL_TABLES = frozenset(
    {"audit_entry", "notification", "outbox_mail", "digest_entry", "reminder_key", "user_session"}
)


def _changes_rights(session: Session) -> bool:
    changed = [*session.new, *session.dirty, *session.deleted]
    return any(getattr(obj, "__tablename__", None) not in _NEUTRAL_TABLES for obj in changed)


def _forget_after_flush(session: Session, flush_context: object) -> None:
    if has_request_context() and _changes_rights(session):
        g.pop("_perm_cache", None)


def install_cache_guard() -> None:
    if not event.contains(Session, "after_flush", _forget_after_flush):
        event.listen(Session, "after_flush", _forget_after_flush)


install_cache_guard()


def role_paths(user: User, roles: Iterable[str]) -> list[str]:
    """Unit paths at which `user` holds any of `roles` (each valid for its subtree); roles
    at deactivated units do not count, nor any role of a deactivated user."""
    if not _active(user):
        return []
    wanted = {str(r) for r in roles}
    cache_key = ("role_paths", user.id, frozenset(wanted))
    per_request = request_cache()
    if cache_key in per_request:
        return list(per_request[cache_key])
    paths = sorted({ra.unit.path for ra in user.roles if ra.role in wanted and ra.unit.active})
    # Drop paths inside other paths: they add nothing.
    reduced = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    per_request[cache_key] = tuple(reduced)
    return reduced


def holds_role_over(user: User, roles: Iterable[str], unit: Unit) -> bool:
    """Does `user` hold one of `roles` at `unit` or at a unit above it?"""
    return any(unit.path.startswith(p) for p in role_paths(user, roles))


def units_under(paths: Iterable[str]) -> Select[tuple[int]]:
    """SELECT of ids of every unit in the subtrees at `paths`."""
    unit = _mapped("unit")
    conditions = [unit.path.startswith(p, autoescape=True) for p in paths]
    return select(unit.id).where(or_(*conditions) if conditions else false())


# Inside `for_one_item()`: the clause is for a statement about one item (a detail page's
# item, its few links), so id lists not read yet in this request are written as subselects.
_ONE_ITEM: ContextVar[bool] = ContextVar("kvalitet_policy_one_item", default=False)


@contextmanager
def for_one_item() -> Iterator[None]:
    """Build `visible_clause` for a statement about one item (or a handful): the unit ids and
    the few-ids branches that this request has not read yet become subselects instead of a
    statement each. For one row the database answers them from their indexes; the rows
    selected are the same as with the literal lists."""
    token = _ONE_ITEM.set(True)
    try:
        yield
    finally:
        _ONE_ITEM.reset(token)


def unit_ids_under(paths: Iterable[str]) -> list[int] | Select[tuple[int]]:
    """The ids of every unit in the subtrees at `paths`, read once per request. Lists filter
    on this literal list rather than on a subselect: the planner then knows how many rows
    each unit has and can combine the index on item.unit_id with the owner's and the
    reporter's indexes (a bitmap OR), or walk a sort index when the subtree is most of the
    city. Taken from the unit tree the process keeps (core.refcache) when it may; otherwise
    read, and inside `for_one_item()`, unless already read, the subselect (`units_under`)."""
    key = ("unit_ids", tuple(sorted(paths)))
    per_request = request_cache()
    if key not in per_request:
        tree = refcache.unit_tree()
        if tree is not None:  # the process's unit tree: no statement
            per_request[key] = tuple(u.id for u in tree if u.path.startswith(key[1]))
        elif _ONE_ITEM.get():
            return units_under(key[1])
        else:
            per_request[key] = tuple(db.session.scalars(units_under(key[1])))
    return list(per_request[key])


def among(column: Any, ids: Iterable[int] | Select[tuple[int]]) -> ColumnElement[bool]:
    """`column IN ids` for an id list (unit ids, few ids) or a subselect. On PostgreSQL a
    list is one array parameter, `column = ANY(:ids)`: the planner sees the same constant
    array as for `IN (:id_1, …, :id_60)` (the same estimates and plans), but the statement
    stays short and the same for every user. With the literal list, a kvalitetsutvecklare's
    inbox repeated 67 unit ids in each of about twenty branches: 1,300 parameters that
    SQLAlchemy rendered into the statement on every execution and psycopg parsed again
    (statements over 4 kB are not in its cache), a quarter of the page's CPU."""
    if isinstance(ids, Select):
        return column.in_(ids)  # type: ignore[no-any-return]
    values = list(ids)
    if len(values) == 1:
        # One id (an enhetschef's one unit) is `=`: PostgreSQL 15 walks an index in order
        # with `unit_id = 15` but not with `unit_id = ANY('{15}')` (a btree scan with an
        # array condition gives no order), so the chef's list filtered on an enhet read
        # 553,000 index entries newest first instead of its 9,000 (78 ms against 28 ms).
        return column == literal(values[0], Integer)  # type: ignore[no-any-return]
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)  # type: ignore[no-any-return]
    return column == any_(literal(values, ARRAY(Integer)))  # type: ignore[no-any-return]


# A kind's id-list branch (actions naming my unit as concerned, cases I decide) up to this
# many ids is written as a literal list: the planner then combines it with the other
# branches' indexes (a bitmap OR) instead of running a subplan against every row.
FEW_IDS = 1000


def few_ids(key: Any, query: Select[tuple[int]]) -> list[int] | None:
    """The ids `query` selects, read once per request (`key` names them), if there are at
    most FEW_IDS; None if there are more (filter on the subselect then), and inside
    `for_one_item()` when not read yet."""
    cache_key = ("few_ids", key)
    per_request = request_cache()
    if cache_key not in per_request:
        if _ONE_ITEM.get():
            return None  # the subselect: see for_one_item
        ids = list(db.session.scalars(query.limit(FEW_IDS + 1)))
        per_request[cache_key] = tuple(ids) if len(ids) <= FEW_IDS else None
    found = per_request[cache_key]
    return None if found is None else list(found)


# --- items ------------------------------------------------------------------------------


def _branches(
    user: User, spec: KindSpec
) -> tuple[list[int] | Select[tuple[int]] | None, list[ColumnElement[bool]]]:
    """A kind's permission branches for `user`: the unit ids of its view roles' branch (None
    when the user holds none of them), and the other branches (mine, those I reported, the
    kind's extras). Built once per request for the same user, kind and form: the policy's
    clause, the inbox's arms and the start page's counts each ask (a few milliseconds for
    every kind)."""
    key = ("branches", user.id, spec.code, _ONE_ITEM.get())
    per_request = request_cache()
    if key not in per_request:
        item = _mapped("item")
        units = None
        if spec.view_roles:
            paths = role_paths(user, spec.view_roles)
            if paths:
                units = unit_ids_under(paths)
        others: list[ColumnElement[bool]] = []
        if spec.owner_sees:
            others.append(item.owner_id == user.id)
        if spec.reporter_sees:
            others.append(item.reporter_id == user.id)
        if spec.extra_visibility is not None:
            extra = spec.extra_visibility(user)
            if extra is not None:
                others.append(extra)
        per_request[key] = (units, tuple(others))
    units, found = per_request[key]
    return units, list(found)


def _per_kind(user: User, spec: KindSpec) -> tuple[list[int] | Select[tuple[int]] | None,
                                                    list[ColumnElement[bool]]]:  # fmt: skip
    """The unit ids of a kind's unit branch, and all its branches, that branch first."""
    units, others = _branches(user, spec)
    item = _mapped("item")
    return units, others if units is None else [among(item.unit_id, units), *others]


def kind_branches(
    user: User,
    spec: KindSpec,
    within: Sequence[int] | Select[tuple[int]] | None = None,
    *,
    owned: bool = False,
) -> ColumnElement[bool] | None:
    """The items of a kind `user` may see, for a statement that names the kind and its other
    conditions itself (the inbox's arms, the start page's counts): the OR of the kind's
    branches without `kind = …`, or None when the user sees none of the kind (as
    `kind_clause`). `true()` (which `and_` drops) when the statement's own conditions
    already make every row visible:
    - `within`: the unit ids it keeps its rows to, all in the kind's unit branch (a
      subselect of ids is not looked into);
    - `owned`: it keeps its rows to the user's own items, and the kind lets owners see
      theirs.

    The rows are those of `visible_clause(user, [spec])` for that kind. The planner does not
    have to fold the whole policy into each arm: the inbox's counts, with the policy ANDed,
    were planned in 3-4.4 ms on a 1,000,000-item city and tested each of the chef's open
    items against two ORs of twelve kinds."""
    ids = tuple(within) if isinstance(within, list | tuple) else None
    key = ("kind_branches", user.id, spec.code, ids, owned, _ONE_ITEM.get())
    per_request = request_cache()
    if key not in per_request:
        units, per_kind = _per_kind(user, spec)
        if not _active(user) or not per_kind:
            per_request[key] = None
        elif (owned and spec.owner_sees) or _covers(units, ids):
            per_request[key] = true()
        else:
            per_request[key] = or_(*per_kind)
    clause: ColumnElement[bool] | None = per_request[key]
    return clause


def _covers(units: list[int] | Select[tuple[int]] | None, ids: tuple[int, ...] | None) -> bool:
    """Whether every unit id of `ids` is in a unit branch's list of `units`."""
    return ids is not None and isinstance(units, list) and set(ids) <= set(units)


def kind_clause(user: User, spec: KindSpec) -> ColumnElement[bool] | None:
    item = _mapped("item")
    units, per_kind = _per_kind(user, spec)
    if not per_kind:
        return None
    narrow = isinstance(units, list) and len(units) <= NARROW_UNITS and _splits_counts()
    either = or_(*per_kind)
    if narrow and len(per_kind) > 1:
        _remember_branches(either, per_kind)
    return and_(item.kind == spec.code, either)


# A search walks the index table of a wide kind (a unit branch over more than NARROW_UNITS
# units: SAS's lex Sarah, risks and analyses across the förvaltning) kind by kind, for up to
# this many kinds; beyond (the kvalitetsutvecklare sees every kind everywhere) one walk of all
# items newest first finds a page sooner (kvalitet.search.index.DENSE).
KIND_WALKS = 4


def search_scope(
    user: User, kind: str | None = None, unit: int | None = None
) -> SearchScope | None:
    """How a common search is read in parts (the search page, kvalitet.search.views): walks
    of the index table newest first, each (column, value, condition on the item), and
    conditions for the items no walk covers. An item the user sees is in a walk that holds
    it or meets an outside condition, so the matches of all the parts together are all the
    matches the user sees; the page still reads every row under `visible_clause`.

    - A wide kind (see KIND_WALKS) is walked by its kind ("kind", code), under its
      branches; so is a kind whose branch that selects from another table holds more than
      JOINED_MAX items (one statement counts them). When such branches admit health-care
      items only (MAS's avvikelser), the kind's health-care items are walked instead
      ("health_care", code: the index's partial index of them), and its other branches
      are outside.
    - Each unit of the narrow unit branches (an enhetschef's enhet, an avdelning's units) is
      walked by its unit ("unit_id", id), under: the kinds whose unit branch holds it, or
      another branch of the other kinds (not the walked kinds). Within the unit that is
      `visible_clause` exactly, and one the planner sees holds for most rows, so it walks.
    - Outside: one OR of every plain branch of the kinds not walked by kind, each arm with
      a range of unit ids between the walked units (the owner's index then skips the user's
      own units, which hold most of an enhetschef's own items; the planner does not
      distribute an AND over an OR itself), and one condition per branch that selects from
      another table (a lex Sarah case I decide), which PostgreSQL cannot combine in a
      bitmap OR.

    With a facet chosen, only the parts that can hold its items: an enhet (`unit`) is one
    walk of that unit under the whole policy; a kind (`kind`) keeps that kind's walk alone,
    or, when it is not walked, every part but the kind walks (SAS's word with avvikelser
    chosen walked four other kinds whole: 96 ms).

    Each walk's condition is `row_by_row`. None on SQLite, for a user with no unit branch,
    and for one with more than KIND_WALKS walked kinds or NARROW_UNITS narrow units."""
    found = _scope_with_partial(user)
    if found is None:
        return None
    walks, outside = found[0]
    if unit is not None:
        return [("unit_id", unit, row_by_row(visible_clause(user)))], []
    if kind is None:
        return walks, outside
    own = [w for w in walks if w[0] in ("kind", "health_care") and w[1] == kind]
    if own and own[0][0] == "health_care":
        return own, outside  # the kind's other branches (mine, reported by me) are outside
    if own:
        return own, []
    return [w for w in walks if w[0] not in ("kind", "health_care")], outside


def search_is_thin(user: User, share: float) -> bool:
    """Whether a search in `share` of the items (kvalitet.search.index.share) is too rare
    for `user`'s walks: one of them walks a kind for its joined branch, which holds only a
    part of the kind (MAS's health-care avvikelser are a tenth of them), so it passes many
    rows per hit when the search is rarer too. The search page then reads it as a rare one
    (the matches first): MAS's two common words took 540 ms walked, 174 ms so; one word
    172 ms walked, 477 ms so (docs/benchmarks.md, session 11)."""
    found = _scope_with_partial(user) if share < PART_DENSE else None
    return found is not None and bool(found[1])


def _scope_with_partial(user: User) -> tuple[SearchScope, set[str]] | None:
    if not _active(user) or not _splits_counts():
        return None
    key = ("search_scope", user.id)
    per_request = request_cache()
    if key not in per_request:
        per_request[key] = _search_scope(user)
    found: tuple[SearchScope, set[str]] | None = per_request[key]
    return found


SearchScope = tuple[list[tuple[str, int | str, ColumnElement[bool]]], list[ColumnElement[bool]]]

# A branch outside the walks that selects from another table (MAS's health-care avvikelser)
# is read whole; with more than this many items its kind is walked instead.
JOINED_MAX = 2000
# A kind walked for such a branch is walked only for a search in at least this share of the
# items (search_is_thin). Between MAS's two common words (0.018) and one (0.17), where the
# walk measured three times slower and three times faster than the plain statement.
PART_DENSE = 0.05


def _search_scope(user: User) -> tuple[SearchScope, set[str]] | None:
    """The parts for no facet, and the kinds walked for a joined branch (`search_scope`)."""
    item = _mapped("item")
    branches = [(spec, *_branches(user, spec)) for spec in all_kinds()]
    lists: dict[str, list[int]] = {}
    wide: list[KindSpec] = []
    for spec, ids, _others in branches:
        if isinstance(ids, Select) or (ids is not None and len(ids) > NARROW_UNITS):
            wide.append(spec)
        elif ids is not None:
            lists[spec.code] = ids
    units = sorted({unit for ids in lists.values() for unit in ids})
    if len(wide) > KIND_WALKS or len(units) > NARROW_UNITS or not (wide or units):
        return None
    between = [and_(item.unit_id > a, item.unit_id < b) for a, b in pairwise(units) if b > a + 1]
    ranges = [item.unit_id < units[0], *between, item.unit_id > units[-1]] if units else []

    def arms(code: str, branch: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        return [and_(item.kind == code, branch, r) for r in ranges] or [
            and_(item.kind == code, branch)
        ]

    joined: dict[str, ColumnElement[bool]] = {}
    for spec, _ids, others in branches:
        selecting = [b for b in others if _selects(b)]
        if spec not in wide and selecting:
            joined[spec.code] = or_(*[arm for b in selecting for arm in arms(spec.code, b)])
    partial: set[str] = set()
    # Kinds whose big joined branches hold health-care items only (MAS's avvikelser): their
    # health-care items are walked on the index's own flag, the kind's other branches stay
    # outside the walks.
    health: list[KindSpec] = []
    if joined:
        # One statement: how many items each such branch holds, up to JOINED_MAX + 1.
        capped = [
            select(func.count())
            .select_from(select(item.id).where(clause).limit(JOINED_MAX + 1).subquery())
            .scalar_subquery()
            for clause in joined.values()
        ]
        sizes = db.session.execute(select(*capped)).one()
        for (code, _clause), size in zip(list(joined.items()), sizes, strict=True):
            if size <= JOINED_MAX:
                continue
            spec, others = next((s, o) for s, _i, o in branches if s.code == code)
            if all(_health_care_only(b) for b in others if _selects(b)):
                health.append(spec)
            else:
                wide.append(spec)
                partial.add(code)
            del joined[code]
        if len(wide) + len(health) > KIND_WALKS:
            return None
    walked = {spec.code for spec in wide}
    rest = [(spec.code, others) for spec, _ids, others in branches if spec.code not in walked]
    # A kind's walk asks its branches without `kind = …`: the index row's kind is the item's
    # (it never changes), and so the planner does not take the kind for a second filter it
    # cannot see is the walk's own (it then expected a fiftieth of the rows to pass, and
    # read the whole kind instead of walking it).
    walks: list[tuple[str, int | str, ColumnElement[bool]]] = [
        (way, spec.code, row_by_row(or_(*_per_kind(user, spec)[1])))
        for way, specs in (("kind", wide), ("health_care", health))
        for spec in specs
    ]
    walked_health = {spec.code for spec in health}
    for unit in units:
        covered = [code for code, ids in lists.items() if unit in ids]
        other = [and_(item.kind == code, b) for code, others in rest if code not in covered
                 for b in others]  # fmt: skip
        walks.append(("unit_id", unit, row_by_row(or_(item.kind.in_(covered), *other))))
    plain = [
        arm
        for code, others in rest
        for b in others
        if (code not in joined and code not in walked_health) or not _selects(b)
        for arm in arms(code, b)
    ]
    return (walks, ([or_(*plain)] if plain else []) + list(joined.values())), partial


def _selects(branch: ColumnElement[bool]) -> bool:
    """Whether a branch selects from another table (`unit_id IN (SELECT …)`, a case I decide)."""
    return any(isinstance(e, Select) for e in iterate(branch))


def _health_care_only(branch: ColumnElement[bool]) -> bool:
    """Whether a branch admits health-care items only: an AND with `Item.is_health_care()`
    as one of its terms (MAS's branch, avvikelser.kinds.mas_visibility)."""
    flag = _mapped("item").is_health_care()
    branch = _ungrouped(branch)
    terms = (
        branch.clauses
        if isinstance(branch, BooleanClauseList) and branch.operator is operators.and_
        else [branch]
    )
    return any(_ungrouped(term).compare(flag) for term in terms)


def row_by_row(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """`clause` (the policy's, or a part of it) for a statement that tests a few thousand
    rows one by one: each `column IN (SELECT c …)` as `EXISTS (SELECT … AND c = column)`.
    With the hashed IN the planner read the whole kind instead of walking it (SAS's lex
    Sarah, IN the 21,000 cases SAS decides: 200 ms; EXISTS, 12 ms), and built the whole IN
    list to test a page of rows (MAS's health-care avvikelser: 55,000 ids, 300 ms). The same
    rows: the column (an id) is never NULL, and no NOT is around it."""

    key = ("row_by_row", id(clause))
    per_request = request_cache()
    if key in per_request and per_request[key][0] is clause:
        rewritten: ColumnElement[bool] = per_request[key][1]
        return rewritten

    def correlate(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BinaryExpression) and element.operator is operators.in_op:
            inner = getattr(element.right, "element", element.right)
            # Not when the subselect reads the column's own table (MAS's `IN (SELECT
            # avvikelse.id …)` selects from item JOIN avvikelse): its `= item.id` would
            # compare the subselect's own item row, not the outer one.
            table = getattr(element.left, "table", None)
            if isinstance(inner, Select) and table is not None:
                read = {t for f in inner.get_final_froms() for t in find_tables(f)}
                if table not in read:
                    return exists(inner.where(inner.selected_columns[0] == element.left))
        return None

    rewritten = replacement_traverse(clause, {}, correlate)
    # Read once per request for the same clause (the policy's is made once per request):
    # copying it costs about 2 ms. The clause is held with it, so its id is not reused.
    per_request[key] = (clause, rewritten)
    return rewritten


# A unit branch of at most this many units (a chef's enhet, an avdelning) is a minority of a
# kind's items, which the OR of the branches reads from the heap row by row: a count splits
# it (disjoint_parts). A wider one (the förvaltning's staff) matches most rows, and the OR
# reaches the cap reading few pages; splitting it would only add statements to plan.
NARROW_UNITS = 30


def _splits_counts() -> bool:
    """Whether counts are split by permission branch at all: on PostgreSQL, whose bitmap
    heap scan of the OR reads a heap page per row. SQLite answers the OR from its indexes
    (an enhetschef's counts 0.6-5 ms at 100,000 items), where three counts cost more than
    one (docs/benchmarks.md, session 9)."""
    return db.session.get_bind().dialect.name == "postgresql"


def _ungrouped(clause: Any) -> Any:
    return clause.element if isinstance(clause, Grouping) else clause


# The OR of a kind's permission branches (kind_clause), by id, with the branches: what
# `disjoint_parts` splits. Held weakly: an entry goes with its clause.
_BRANCHES: dict[int, tuple[weakref.ref[Any], tuple[ColumnElement[bool], ...]]] = {}


def _remember_branches(either: ColumnElement[bool], branches: list[ColumnElement[bool]]) -> None:
    key = id(either)
    _BRANCHES[key] = (weakref.ref(either, lambda _r: _BRANCHES.pop(key, None)), tuple(branches))


def _branches_of(element: Any) -> tuple[ColumnElement[bool], ...] | None:
    entry = _BRANCHES.get(id(element))
    if entry is None or entry[0]() is not element:
        return None
    return entry[1]


def _path_to_branches(where: Any) -> list[Any] | None:
    """The clauses from `where` down to the first OR of a kind's permission branches that
    it requires (reached through AND and parentheses only: under an OR or a NOT it is not
    a condition every row meets), each as its parent holds it, or None."""
    inner = _ungrouped(where)
    if _branches_of(inner) is not None:
        return [where]
    if isinstance(inner, BooleanClauseList) and inner.operator is operators.and_:
        for clause in inner.clauses:
            path = _path_to_branches(clause)
            if path is not None:
                return [where, *path]
    return None


def _with(path: list[Any], replacement: ColumnElement[bool]) -> ColumnElement[bool]:
    """The first clause of `path` with its last replaced: only the ANDs on the way are made
    anew, every other clause is the same object (no copy of the statement)."""
    if len(path) == 1:
        return replacement
    node = _ungrouped(path[0])
    rebuilt = _with(path[1:], replacement)
    return and_(*[rebuilt if c is path[1] else c for c in node.clauses])


def disjoint_parts(
    criteria: Sequence[ColumnElement[bool]],
) -> list[tuple[ColumnElement[bool], ...]] | None:
    """A statement's WHERE criteria with a kind's permission clause in them, as one set of
    criteria per permission branch, the branches made disjoint: the 1st branch; the 2nd
    and not the 1st; the 3rd and neither; … (a branch that is NULL counts as not met). The
    rows of the parts together are the statement's rows, each once, so their counts add
    up to its count.

    What a count of a list asks: the OR of the branches (my units' items, mine, those I
    reported) is a bitmap heap scan that reads one heap page per counted row (an
    enhetschef's 9,220 avvikelser on 7,736 pages); each branch alone is a range of one
    index read from the index alone (docs/benchmarks.md, session 9). None when the
    criteria require no such OR, and where counts are not split (a wide unit branch,
    SQLite: see NARROW_UNITS, _splits_counts)."""
    for position, criterion in enumerate(criteria):
        path = _path_to_branches(criterion)
        if path is None:
            continue
        branches = _branches_of(_ungrouped(path[-1])) or ()
        parts = []
        for index, branch in enumerate(branches):
            earlier = [not_(func.coalesce(b, false())) for b in branches[:index]]
            part = and_(branch, *earlier) if earlier else branch
            rewritten = _with(path, part)
            parts.append((*criteria[:position], rewritten, *criteria[position + 1 :]))
        return parts
    return None


def visible_clause(user: User, kinds: Iterable[KindSpec] | None = None) -> ColumnElement[bool]:
    """SQL condition on Item: the items `user` may see (of `kinds`, default all kinds)."""
    if not _active(user):
        return false()
    specs = list(kinds or all_kinds())
    # Built once per request for the same user, kinds and form (a page's list, its count and
    # its panels ask the same; building every kind's clause costs a few milliseconds).
    key = ("clause", user.id, tuple(s.code for s in specs), _ONE_ITEM.get())
    per_request = request_cache()
    if key not in per_request:
        clauses = [c for spec in specs if (c := kind_clause(user, spec)) is not None]
        per_request[key] = or_(*clauses) if clauses else false()
    clause: ColumnElement[bool] = per_request[key]
    return clause


def visible_ids(user: User, items: Iterable[Item]) -> set[int]:
    """Which of `items` `user` may see: one query for them all, by the same clause as the
    lists. The answers are kept for the request, so `can` asks nothing again."""
    wanted = {i.id: i for i in items if i.id is not None}
    if has_request_context() and _changes_rights(db.session()):
        # Changes not yet flushed (an item moved to another unit): ask the database, which
        # flushes them first, as an uncached check always did.
        g.pop("_perm_cache", None)
    per_request = request_cache()
    who = getattr(user, "id", None)
    unknown = {i for i in wanted if ("view", who, i) not in per_request}
    if unknown:
        model = _mapped("item")
        kinds = {wanted[i].spec.code: wanted[i].spec for i in unknown}
        seen = set(
            db.session.scalars(
                select(model.id).where(
                    model.id.in_(sorted(unknown)), visible_clause(user, kinds.values())
                )
            )
        )
        for item_id in unknown:
            per_request[("view", who, item_id)] = item_id in seen
    return {i for i in wanted if per_request[("view", who, i)]}


def remember_visible(user: User, item_id: int, seen: bool) -> None:
    """Record the answer of `visible_clause(user, …)` asked for item `item_id` in a statement
    that loaded the item (a column beside its row): `can(user, "view", item)` and
    `visible_ids` then ask nothing again in this request. The same clause as the lists, so
    the answer is the same; forgotten with the policy's other answers."""
    request_cache()[("view", getattr(user, "id", None), item_id)] = bool(seen)


def can_view(user: User, item: Item) -> bool:
    if item.id is None:
        return False
    return item.id in visible_ids(user, [item])


# Item actions and who may take them (besides seeing the item): "manage" is a role of the
# kind's manage_roles held over the item's unit.
ITEM_ACTIONS = {
    "view": (),
    "comment": ("viewer",),
    "edit": ("manage", "owner"),
    "attach": ("manage", "owner"),
    "link": ("manage", "owner"),
    "cancel": ("manage",),
}
# Actions still allowed on a cancelled (makulerat) item.
CANCELLED_ALLOWS = frozenset({"view", "comment"})


def can(user: User | None, action: str, item: Item) -> bool:
    """May `user` do `action` (ITEM_ACTIONS) to `item`? Transitions are checked by the
    workflow engine (which asks for "view" first)."""
    if user is None or action not in ITEM_ACTIONS:
        return False
    spec = item.spec
    # Seeing comes first; visible_clause gives an inactive or anonymous user nothing.
    if not can_view(user, item):
        return False
    if action == "view":
        return True
    if item.is_cancelled and action not in CANCELLED_ALLOWS:
        return False
    who = ITEM_ACTIONS[action]
    if "viewer" in who:
        return True
    if "owner" in who and item.owner_id is not None and item.owner_id == user.id:
        return True
    return bool(
        "manage" in who
        and spec.manage_roles
        and holds_role_over(user, spec.manage_roles, item.unit)
    )


def require(user: User | None, action: str, item: Item) -> None:
    """404 if the user may not even see the item (never reveal that it exists), else 403."""
    if user is None or not can(user, "view", item):
        raise NotFound()
    if action != "view" and not can(user, action, item):
        raise Forbidden()


def is_admin(user: User | None) -> bool:
    return _active(user) and user.has_role(Role.ADMIN)  # type: ignore[union-attr]


# --- statistics -------------------------------------------------------------------------


class Detail(enum.StrEnum):
    FULL = "full"  # every breakdown as it is
    AGGREGATE = "aggregate"  # read-only roles: small groups suppressed, no item contents


_STATS_COMMON: dict[str, Detail] = {
    Role.ENHETSCHEF: Detail.FULL,
    Role.AVDELNINGSCHEF: Detail.FULL,
    Role.KVALITETSUTVECKLARE: Detail.FULL,
    Role.SAS: Detail.FULL,
    Role.MAS: Detail.FULL,
    Role.LASARE: Detail.AGGREGATE,
}
# Per kind: which roles see its statistics for their subtree, and at what detail. The
# administrator administers and sees no statistics unless another role grants them.
STATISTICS: dict[str, dict[str, Detail]] = {
    "AVV": _STATS_COMMON,
    "LXS": {
        Role.SAS: Detail.FULL,
        Role.KVALITETSUTVECKLARE: Detail.FULL,
        Role.AVDELNINGSCHEF: Detail.FULL,
        Role.LASARE: Detail.AGGREGATE,
    },
    "SYN": {**_STATS_COMMON, Role.REGISTRATOR: Detail.FULL},
    "EGK": _STATS_COMMON,
    "ATG": _STATS_COMMON,
    "RSK": _STATS_COMMON,
    "ARS": _STATS_COMMON,
}
SMALL_GROUP = 5


def statistics_roles(kind: str) -> tuple[str, ...]:
    return tuple(STATISTICS.get(kind, {}))


def statistics_paths(user: User, kind: str) -> list[str]:
    """The subtrees whose statistics of `kind` the user may see (at any detail)."""
    return role_paths(user, statistics_roles(kind))


def statistics_detail(user: User | None, kind: str, unit: Unit) -> Detail | None:
    """The detail at which `user` may see statistics of `kind` for the subtree at `unit`:
    FULL, AGGREGATE, or None (not at all)."""
    if not _active(user):
        return None
    assert user is not None
    rights = STATISTICS.get(kind, {})
    full = [r for r, d in rights.items() if d == Detail.FULL]
    if full and holds_role_over(user, full, unit):
        return Detail.FULL
    aggregate = [r for r, d in rights.items() if d == Detail.AGGREGATE]
    if aggregate and holds_role_over(user, aggregate, unit):
        return Detail.AGGREGATE
    return None


def suppress_small(value: Any, top: bool = True) -> Any:
    """The small-group rule, for every breakdown: counts from 1 to SMALL_GROUP - 1 become
    "<5". Totals at the top level stay (they identify no one)."""
    if isinstance(value, dict):
        return {
            k: suppress_small(v, top=top and not isinstance(v, dict | list))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [suppress_small(v, top=False) for v in value]
    if not top and isinstance(value, int) and not isinstance(value, bool):
        return f"<{SMALL_GROUP}" if 0 < value < SMALL_GROUP else value
    return value


def shown_statistics(detail: Detail, figures: dict[str, Any]) -> dict[str, Any]:
    """The figures as the user may see them at `detail`."""
    return figures if detail == Detail.FULL else suppress_small(figures)


# --- other rights -----------------------------------------------------------------------

# Each right: the roles that grant it over a unit's subtree.
RIGHTS: dict[str, tuple[str, ...]] = {
    # lex Sarah: the SAS-only steps (bedömning, utredning, beslut, IVO) and the read log
    "lexsarah.sas_steps": (Role.SAS,),
    # plans and lists
    "egenkontroll.manage_plans": (
        Role.KVALITETSUTVECKLARE,
        Role.AVDELNINGSCHEF,
        Role.ENHETSCHEF,
    ),
    "arshjul.manage": (Role.KVALITETSUTVECKLARE, Role.ADMIN),
    # the kvalitetsberättelse: compile and manage drafts; read drafts
    "rapport.manage": (Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF),
    # mål och indikatorer: build and change a unit's verksamhetsplan
    "mal.manage": (
        Role.KVALITETSUTVECKLARE,
        Role.ADMIN,
        Role.AVDELNINGSCHEF,
        Role.ENHETSCHEF,
    ),
}


def may(user: User | None, right: str, unit: Unit) -> bool:
    """Does `user` hold `right` (RIGHTS) over `unit`?"""
    if not _active(user):
        return False
    assert user is not None
    return holds_role_over(user, RIGHTS[right], unit)


def right_paths(user: User, right: str) -> list[str]:
    return role_paths(user, RIGHTS[right])


__all__ = [
    "RIGHTS",
    "STATISTICS",
    "Detail",
    "among",
    "can",
    "can_view",
    "few_ids",
    "for_one_item",
    "holds_role_over",
    "is_admin",
    "kind_clause",
    "may",
    "remember_visible",
    "request_cache",
    "require",
    "role_paths",
    "shown_statistics",
    "statistics_detail",
    "statistics_paths",
    "suppress_small",
    "unit_ids_under",
    "units_under",
    "visible_clause",
    "visible_ids",
]
