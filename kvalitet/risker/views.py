"""Riskanalys: the risk register of a unit subtree with a 4×4 heat map, risk detail with
measures as linked förbättringsåtgärder, review date and residual risk."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select

from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.core.permissions import can, role_paths, visible_clause
from kvalitet.core.web import apply_operation_error, arg_int, form_version
from kvalitet.extensions import db
from kvalitet.items.export import MAX_EXPORT_ROWS, export_args, export_response
from kvalitet.items.models import Item
from kvalitet.items.queries import in_subtree, load_item, paginate, text_match
from kvalitet.items.scales import CONSEQUENCE_LABELS, LIKELIHOOD_LABELS, risk_level
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import (
    active_units_under,
    people_near,
    read_active_units_under,
    unit_choices,
)
from kvalitet.risker import operations as ops
from kvalitet.risker.forms import RiskForm
from kvalitet.risker.kinds import MANAGERS, SPEC, WORKFLOW
from kvalitet.risker.models import Risk

bp = Blueprint("risker", __name__, url_prefix="/risker")


def _scope_units() -> list[Unit]:
    return read_active_units_under(role_paths(current_user, MANAGERS))


def filtered_query(user: User, args: Any) -> tuple[Select[Any], dict[str, Any]]:
    f = {
        "enhet": arg_int(args.get("enhet")),
        "status": args.get("status") if args.get("status") in WORKFLOW.states else "",
        "oppna": args.get("oppna", "1") == "1",
        "q": (args.get("q") or "").strip()[:100],
        "cell": args.get("cell") if (args.get("cell") or "") in _CELLS else "",
    }
    query = select(Risk).where(visible_clause(user, [SPEC]))
    if f["enhet"]:
        unit = db.session.get(Unit, f["enhet"])
        if unit is not None:
            query = query.where(in_subtree(unit))
    if f["status"]:
        query = query.where(Item.status == f["status"])
    elif f["oppna"]:
        query = query.where(Item.status.in_(WORKFLOW.open_states), Item.cancelled_at.is_(None))
    if f["cell"]:
        c, lk = (int(x) for x in f["cell"].split(","))
        query = query.where(Risk.consequence == c, Risk.likelihood == lk)
    if f["q"]:
        query = query.where(text_match(f["q"]))
    return query, f


_CELLS = {f"{c},{lk}" for c in range(1, 5) for lk in range(1, 5)}

EXPORT_COLUMNS = [
    ("Nummer", lambda r: r.ref),
    ("Risk", lambda r: r.title),
    ("Enhet", lambda r: r.unit.name),
    ("Anledning", lambda r: r.anledning_label),
    ("Sannolikhet", lambda r: r.likelihood),
    ("Konsekvens", lambda r: r.consequence),
    ("Riskvärde", lambda r: r.risk_value),
    ("Kvarvarande risk", lambda r: r.residual_value),
    ("Ansvarig", lambda r: r.owner.name if r.owner else ""),
    ("Omprövas senast", lambda r: r.review_date),
    ("Status", lambda r: "Makulerad" if r.is_cancelled else r.status_label),
]


@bp.route("/")
@login_required
def index() -> Any:
    query, f = filtered_query(current_user, request.args)
    fmt = request.args.get("format")
    ordered = query.order_by(Risk.risk_value.desc(), Item.created_at.desc())
    if fmt in ("csv", "xlsx"):
        items = ordered.limit(MAX_EXPORT_ROWS)  # streamed in batches
        return export_response(fmt, items, EXPORT_COLUMNS, f"riskanalys-{clock.today()}")
    base = query.order_by(None).subquery()
    cells = {
        (c, lk): n
        for c, lk, n in db.session.execute(
            select(base.c.consequence, base.c.likelihood, func.count()).group_by(
                base.c.consequence, base.c.likelihood
            )
        ).all()
    }
    scope = active_units_under(role_paths(current_user, MANAGERS))
    return render_template(
        "risker/list.html",
        pagination=paginate(ordered),
        f=f,
        counts=cells,
        units=unit_choices(),
        states=WORKFLOW.states,
        may_create=bool(scope),
        consequence_labels=CONSEQUENCE_LABELS,
        likelihood_labels=LIKELIHOOD_LABELS,
        risk_level=risk_level,
        export_args=export_args(),
        today=clock.today(),
    )


def _form(unit: Unit, units: list[Unit], obj: Risk | None = None) -> RiskForm:
    form = RiskForm(obj=obj if request.method == "GET" else None)
    form.unit_id.choices = unit_choices(units=units)  # type: ignore[assignment]
    form.owner_id.choices = [(0, "– ingen –"), *people_near(unit, current_user)]  # type: ignore[assignment]
    if request.method == "GET":
        form.unit_id.data = obj.unit_id if obj else unit.id
        form.owner_id.data = (obj.owner_id or 0) if obj else current_user.id
        if obj is not None:
            form.likelihood.data = str(obj.likelihood)
            form.consequence.data = str(obj.consequence)
            form.residual_likelihood.data = str(obj.residual_likelihood or "")
            form.residual_consequence.data = str(obj.residual_consequence or "")
    return form


def _fields(form: RiskForm) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "description": form.description.data,
        "consequence_text": form.consequence_text.data,
        "anledning": form.anledning.data,
        "owner": form.owner_id.data or None,
        "likelihood": form.likelihood.data,
        "consequence": form.consequence.data,
        "residual_likelihood": form.residual_likelihood.data or None,
        "residual_consequence": form.residual_consequence.data or None,
        "review_date": form.review_date.data,
    }


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new() -> Any:
    units = _scope_units()
    if not units:
        abort(403)
    preset = db.session.get(Unit, arg_int(request.args.get("enhet")) or 0)
    home = preset if preset in units else (
        current_user.home_unit if current_user.home_unit in units else units[0])  # fmt: skip
    form = _form(home, units)
    if form.validate_on_submit():
        try:
            item = ops.create_risk(current_user, unit=form.unit_id.data, **_fields(form))
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
        else:
            flash(f"Risken {item.ref} är tillagd.", "success")
            return redirect(url_for("risker.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("risker/form.html", form=form, item=None), status


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, Risk)
    return render_template(
        "risker/detail.html",
        item=item,
        can_edit=can(current_user, "edit", item),
        consequence_labels=CONSEQUENCE_LABELS,
        likelihood_labels=LIKELIHOOD_LABELS,
        risk_level=risk_level,
    )


@bp.route("/<ref>/andra", methods=["GET", "POST"])
@login_required
def edit(ref: str) -> Any:
    item = load_item(ref, current_user, Risk)
    if not can(current_user, "edit", item):
        abort(403)
    form = _form(item.unit, [item.unit], item)
    if form.validate_on_submit():
        try:
            ops.update_risk(current_user, item, expected_version=form_version(), **_fields(form))
        except OperationError as exc:
            db.session.rollback()
            apply_operation_error(form, exc)
            item = load_item(ref, current_user, Risk)
        else:
            flash("Riskbedömningen är sparad.", "success")
            return redirect(url_for("risker.detail", ref=item.ref))
    status = 422 if request.method == "POST" else 200
    return render_template("risker/form.html", form=form, item=item), status
