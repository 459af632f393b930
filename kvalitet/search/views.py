"""The search page: one box in the header. A reference number goes straight to the item;
text searches every kind the user may see (the policy's `visible_clause`, in SQL) with the
kind, unit and status as facets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    and_,
    any_,
    case,
    cast,
    false,
    func,
    select,
    union,
)

from kvalitet.core.permissions import row_by_row, search_is_thin, search_scope, visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import (
    AFTER_ARG,
    BEFORE_ARG,
    COUNT_CAP,
    detail_url,
    open_clause,
    page_number,
    paginate,
)
from kvalitet.org.models import Unit
from kvalitet.search.index import (
    SCOPED,
    is_dense,
    matching_clause,
    scoped_match,
    share,
    walk_where,
)

bp = Blueprint("search", __name__)

STATUSES = {"oppna": "Öppna", "avslutade": "Avslutade", "makulerade": "Makulerade"}


def _status_clause(key: str) -> ColumnElement[bool]:
    if key == "oppna":
        return open_clause()
    if key == "makulerade":
        return Item.cancelled_at.is_not(None)
    return and_(~open_clause(), Item.cancelled_at.is_(None))


def _status_key() -> Any:
    """SQL expression naming each item's status facet."""
    return case(
        (Item.cancelled_at.is_not(None), "makulerade"),
        (open_clause(), "oppna"),
        else_="avslutade",
    )


@bp.route("/sok")
@login_required
def search() -> Any:
    q = (request.args.get("q") or "").strip()[:200]
    if not q:
        return render_template("search/results.html", q=q, pagination=None, facets=None,
                               args=request.args, statuses=STATUSES)  # fmt: skip
    # A reference number goes straight to the item (if the user may see it).
    direct = db.session.scalar(
        select(Item).where(Item.ref == q.upper(), visible_clause(current_user))
    )
    if direct is not None:
        return redirect(detail_url(direct))
    # A common search is read newest first (matching_clause, _newest_where), unless the
    # user's walks are too thin for it (permissions.search_is_thin): then as a rare one.
    dense = is_dense(q) and not search_is_thin(current_user, share(q))
    matched = matching_clause(q, Item.id, dense)
    base = [visible_clause(current_user), false() if matched is None else matched]
    kind = request.args.get("typ", "")
    unit_id = request.args.get("enhet", "")
    status = request.args.get("status", "")
    filters: list[ColumnElement[bool]] = []
    if kind:
        filters.append(Item.kind == kind)
    if unit_id.isdigit():
        filters.append(Item.unit_id == int(unit_id))
    if status in STATUSES:
        filters.append(_status_clause(status))
    query = select(Item).where(*base, *filters).order_by(Item.created_at.desc())
    # A numbered page within the newest WINDOW_MAX hits is cut from the ids of the newest
    # hits, read in one statement with the facets (or, with a facet chosen, in one beside
    # them) and counted there: each read of a common word's matches costs hundreds of
    # milliseconds in a big city, and counting up to COUNT_CAP of them more.
    size = min(int(current_app.config["PAGE_SIZE"]), 200)
    end = page_number() * size + 1
    keyset = request.args.get(AFTER_ARG) or request.args.get(BEFORE_ARG)
    windowed = not keyset and end <= WINDOW_MAX
    window = max(FACET_SAMPLE + 1, end) if windowed else FACET_SAMPLE + 1
    sample = FACET_SAMPLE + 1 if filters else window
    facets, newest = _facets(_newest_where(q, dense, base, [], sample), sample)
    sampled = len(newest) > FACET_SAMPLE
    if filters and windowed:
        chosen = (kind or None, int(unit_id) if unit_id.isdigit() else None)
        newest = _newest_ids(_newest_where(q, dense, base, filters, window, *chosen), window)
    hits = len(newest)
    more_than = None
    if windowed:
        # The page's rows by their ids, newest first, under the policy again (the ids were
        # read under it in this request; on a page of ids the clause costs nothing).
        shown = (
            select(Item)
            .where(Item.id.in_(newest[:end]), row_by_row(visible_clause(current_user)))
            .order_by(Item.created_at.desc())
        )
        # Every hit is in the window, or there are more than the sample: nothing counts.
        full = hits >= window
        pagination = paginate(shown, total=COUNT_CAP + 1 if full else hits)
        more_than = FACET_SAMPLE if full else None
    else:
        pagination = paginate(query, total=None if filters else COUNT_CAP + 1 if sampled else hits)
        more_than = FACET_SAMPLE if sampled and not filters else None
    return render_template(
        "search/results.html",
        q=q,
        pagination=pagination,
        facets=facets,
        facet_sample=FACET_SAMPLE if sampled else None,
        more_than=more_than,
        args=request.args,
        statuses=STATUSES,
        kind_label=lambda code: kind_spec(code).label_plural,
    )


# The facets count the newest this many matches: a common word matches a sixth of a big
# city's million items, and counting them all costs seconds on every search.
FACET_SAMPLE = 500

# Numbered pages up to the one ending at this many hits come from the ids of the newest hits
# (then read up to the page's end instead of FACET_SAMPLE + 1); deeper pages and keyset
# steps are paginated on the whole query.
WINDOW_MAX = 2_000


def _facets(
    base: list[ColumnElement[bool]], window: int
) -> tuple[dict[str, list[tuple[Any, str, int]]], list[int]]:
    """Counts per kind, unit and status of the newest FACET_SAMPLE matches, and the ids of
    the newest `window` matches (at least FACET_SAMPLE + 1), newest first: one statement."""
    newest = (
        select(
            Item.id,
            Item.kind,
            Item.unit_id,
            _status_key().label("facet_status"),
            func.row_number().over(order_by=(Item.created_at.desc(), Item.id.desc())).label("n"),
        )
        .where(*base)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(window)
        .subquery()
    )
    rows = db.session.execute(
        select(newest.c.id, newest.c.kind, Unit.id, Unit.name, newest.c.facet_status)
        .join(Unit, Unit.id == newest.c.unit_id)
        .order_by(newest.c.n)
    ).all()
    kinds: dict[str, int] = {}
    units: dict[tuple[str, int], int] = {}
    statuses: dict[str, int] = {}
    for _, code, uid, name, key in rows[:FACET_SAMPLE]:
        kinds[code] = kinds.get(code, 0) + 1
        units[(name, uid)] = units.get((name, uid), 0) + 1
        statuses[key] = statuses.get(key, 0) + 1
    facets = {
        "typ": [(code, kind_spec(code).label_plural, kinds[code]) for code in sorted(kinds)],
        "enhet": [(str(uid), name, n) for (name, uid), n in sorted(units.items())],
        "status": [(k, label, statuses[k]) for k, label in STATUSES.items() if statuses.get(k)],
    }
    return facets, [row[0] for row in rows]


def _newest_where(
    q: str,
    dense: bool,
    base: list[ColumnElement[bool]],
    filters: list[ColumnElement[bool]],
    window: int,
    kind: str | None = None,
    unit: int | None = None,
) -> list[ColumnElement[bool]]:
    """The criteria of the newest `window` hits: `base` (the policy and the index's match)
    X
        or a few kinds' (an enhetschef, an avdelningschef, SAS, MAS: `search_scope`), instead:
        the item is among the newest `window` hits of a walk of the index table, one unit or
        one kind at a time newest first, or of a branch outside the walks. Without it
        PostgreSQL read all of a common word's matches from the GIN index (150,000 for a word
        in a sixth of a million items) and joined them to the user's visible items: 150-200 ms
        against 10-30 ms (docs/benchmarks.md, session 10)."""
    match = scoped_match(q)
    scope = search_scope(current_user, kind, unit) if match is not None and dense else None
    if match is None or scope is None:
        return base + filters
    walks, outside = scope
    parts = [
        select(Item.id, Item.created_at)
        .select_from(SCOPED)
        .join(Item, Item.id == SCOPED.c.item_id)
        .where(*walk_where(column, value), match, condition, *filters)
        .order_by(SCOPED.c.created_at.desc(), SCOPED.c.item_id.desc())
        .limit(window)
        for column, value, condition in walks
    ]
    # Few items each (a branch outside the walks), read whole and cut to the window: the
    # order by the index table's time is none an index of item gives, so the planner cannot
    # walk all items newest first looking for them (0.7 s).
    parts += [
        select(Item.id, Item.created_at)
        .join(SCOPED, SCOPED.c.item_id == Item.id)
        .where(condition, match, *filters)
        .order_by(SCOPED.c.created_at.desc(), SCOPED.c.item_id.desc())
        .limit(window)
        for condition in outside
    ]
    if not parts:
        return [false()]  # the chosen kind is one the user sees in no part
    # The parts' ids as one array (an InitPlan), then the items by primary key under the
    # policy again: with `IN (…)` the planner joined them to the whole of SAS's visible items.
    newest = union(*parts).subquery()
    ids = cast(select(func.array_agg(newest.c.id)).scalar_subquery(), ARRAY(Integer))
    return [row_by_row(base[0]), Item.id == any_(ids), *filters]


def _newest_ids(where: list[ColumnElement[bool]], window: int) -> list[int]:
    """The ids of the newest `window` items under `where`, newest first."""
    newest = select(Item.id).where(*where).order_by(Item.created_at.desc(), Item.id.desc())
    return list(db.session.scalars(newest.limit(window)))


def facet_url(args: Any, key: str, value: str | None) -> str:
    params = {k: v for k, v in args.items() if k not in (key, "page")}
    if value:
        params[key] = value
    return url_for("search.search", **params)


bp.add_app_template_global(facet_url, "facet_url")
