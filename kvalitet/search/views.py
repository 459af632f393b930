"""The search page: one box in the header. A reference number goes straight to the item;
text searches every kind the user may see (the policy's `visible_clause`, in SQL) with the
kind, unit and status as facets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, and_, case, false, func, select

from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import COUNT_CAP, detail_url, open_clause, paginate
from kvalitet.org.models import Unit
from kvalitet.search.index import matching_clause

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
    matched = matching_clause(q, Item.id)
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
    facets, matches = _facets(base)
    # Unfiltered, the facets' statement has counted the matches already (up to the sample);
    # past it, the page says "fler än" the sample and nothing counts further.
    sampled = matches > FACET_SAMPLE
    pagination = paginate(query, total=None if filters else (COUNT_CAP + 1 if sampled else matches))
    return render_template(
        "search/results.html",
        q=q,
        pagination=pagination,
        facets=facets,
        facet_sample=FACET_SAMPLE if sampled else None,
        more_than=FACET_SAMPLE if sampled and not filters else None,
        args=request.args,
        statuses=STATUSES,
        kind_label=lambda code: kind_spec(code).label_plural,
    )


# The facets count the newest this many matches: a common word matches a sixth of a big
# city's million items, and counting them all costs seconds on every search.
FACET_SAMPLE = 500


def _facets(
    base: list[ColumnElement[bool]],
) -> tuple[dict[str, list[tuple[Any, str, int]]], int]:
    """Counts per kind, unit and status of the newest FACET_SAMPLE matches, in one grouped
    statement, and the number of matches read (FACET_SAMPLE + 1 when there are more)."""
    newest = (
        select(
            Item.kind,
            Item.unit_id,
            _status_key().label("facet_status"),
            func.row_number().over(order_by=(Item.created_at.desc(), Item.id.desc())).label("n"),
        )
        .where(*base)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(FACET_SAMPLE + 1)
        .subquery()
    )
    counted = newest.c.n <= FACET_SAMPLE
    rows = db.session.execute(
        select(
            newest.c.kind, Unit.id, Unit.name, newest.c.facet_status,
            func.count().filter(counted), func.max(newest.c.n),
        )
        .join(Unit, Unit.id == newest.c.unit_id)
        .group_by(newest.c.kind, Unit.id, Unit.name, newest.c.facet_status)
    ).all()  # fmt: skip
    kinds: dict[str, int] = {}
    units: dict[tuple[str, int], int] = {}
    statuses: dict[str, int] = {}
    matches = 0
    for code, uid, name, key, n, last in rows:
        matches = max(matches, int(last))
        if not n:
            continue
        kinds[code] = kinds.get(code, 0) + n
        units[(name, uid)] = units.get((name, uid), 0) + n
        statuses[key] = statuses.get(key, 0) + n
    facets = {
        "typ": [(code, kind_spec(code).label_plural, kinds[code]) for code in sorted(kinds)],
        "enhet": [(str(uid), name, n) for (name, uid), n in sorted(units.items())],
        "status": [(k, label, statuses[k]) for k, label in STATUSES.items() if statuses.get(k)],
    }
    return facets, matches


def facet_url(args: Any, key: str, value: str | None) -> str:
    params = {k: v for k, v in args.items() if k not in (key, "page")}
    if value:
        params[key] = value
    return url_for("search.search", **params)


bp.add_app_template_global(facet_url, "facet_url")
