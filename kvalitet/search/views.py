"""The search page: one box in the header. A reference number goes straight to the item;
text searches every kind the user may see (the policy's `visible_clause`, in SQL) with the
kind, unit and status as facets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import detail_url, open_clause, paginate
from kvalitet.org.models import Unit
from kvalitet.search.index import matching_ids

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
    ids = matching_ids(q)
    text_match = Item.ref.icontains(q, autoescape=True)
    matched = or_(text_match, Item.id.in_(ids)) if ids is not None else text_match
    base = [visible_clause(current_user), matched]
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
    pagination = paginate(query)
    return render_template(
        "search/results.html",
        q=q,
        pagination=pagination,
        facets=_facets(base),
        args=request.args,
        statuses=STATUSES,
        kind_label=lambda code: kind_spec(code).label_plural,
    )


def _facets(base: list[ColumnElement[bool]]) -> dict[str, list[tuple[Any, str, int]]]:
    """Counts per kind, unit and status of everything matched (in SQL)."""
    kinds = db.session.execute(
        select(Item.kind, func.count()).where(*base).group_by(Item.kind).order_by(Item.kind)
    ).all()
    units = db.session.execute(
        select(Unit.id, Unit.name, func.count(Item.id))
        .join(Item, Item.unit_id == Unit.id)
        .where(*base)
        .group_by(Unit.id, Unit.name)
        .order_by(Unit.name)
    ).all()
    key = _status_key()
    rows = db.session.execute(select(key, func.count()).where(*base).group_by(key)).all()
    statuses: dict[str, int] = {status: n for status, n in rows}
    return {
        "typ": [(code, kind_spec(code).label_plural, n) for code, n in kinds],
        "enhet": [(str(uid), name, n) for uid, name, n in units],
        "status": [(k, label, statuses[k]) for k, label in STATUSES.items() if statuses.get(k)],
    }


def facet_url(args: Any, key: str, value: str | None) -> str:
    params = {k: v for k, v in args.items() if k not in (key, "page")}
    if value:
        params[key] = value
    return url_for("search.search", **params)


bp.add_app_template_global(facet_url, "facet_url")
