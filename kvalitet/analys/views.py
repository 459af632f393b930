"""Samlad analys in the web: the overview of all signals for a unit and a period, the
analysis task with its conclusions, theme suggestions and which årshjul activities are
analyses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from kvalitet.analys import api as _api  # noqa: F401  (declares the API routes)
from kvalitet.analys import operations as ops
from kvalitet.analys import report as _report  # noqa: F401  (registers the report hooks)
from kvalitet.analys.compile import as_seen_by, overview
from kvalitet.analys.control import SENSITIVITY_LABELS
from kvalitet.analys.forms import ConclusionForm, StartForm, ThemeForm
from kvalitet.analys.kinds import MANAGERS, SPEC
from kvalitet.analys.models import Analys, AnalysPlan
from kvalitet.analys.patterns import KIND_NAMES
from kvalitet.analys.signals import KIND_LABELS
from kvalitet.analys.themes import suggest
from kvalitet.arshjul.models import ArshjulAktivitet
from kvalitet.arshjul.operations import may_edit_plan
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import can, role_paths, statistics_roles, visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.core.roles import Role
from kvalitet.core.web import apply_operation_error, arg_date, arg_int, form_version
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit
from kvalitet.org.operations import people_near, unit_choices

bp = Blueprint("analys", __name__, url_prefix="/analys")

THEME_KINDS = ("AVV", "SYN")
ENDPOINTS = {"AVV": "avvikelser.detail", "SYN": "synpunkter.detail", "LXS": "lexsarah.detail"}
MAX_THEME_TEXTS = 50_000


def analysis_units() -> list[Unit]:
    """Units whose avvikelser statistics (or any kind's) the user may see."""
    roles = {r for kind in KIND_LABELS for r in statistics_roles(kind)} | set(MANAGERS)
    paths = role_paths(current_user, roles)
    if not paths:
        return []
    return list(db.session.scalars(
        select(Unit).where(or_(*[Unit.path.startswith(p) for p in paths]), Unit.active)
        .order_by(Unit.path)
    ))  # fmt: skip


def last_quarter() -> Period:
    today = clock.today()
    first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    start = first - relativedelta(months=3)
    return custom_period(start, first - timedelta(days=1))


def _period_from_args() -> Period:
    start, end = arg_date(request.args.get("fran")), arg_date(request.args.get("till"))
    if start and end and start <= end and (end - start).days <= 731:
        return custom_period(start, end)
    return last_quarter()


def _unit_from_args(units: list[Unit]) -> Unit:
    wanted = arg_int(request.args.get("enhet"))
    for unit in units:
        if unit.id == wanted:
            return unit
    return units[0]


@bp.route("/")
@login_required
def index() -> Any:
    units = analysis_units()
    if not units:
        abort(403)
    unit = _unit_from_args(units)
    period = _period_from_args()
    mine = db.session.scalars(
        select(Analys).where(visible_clause(current_user, [SPEC]),
                             Analys.status.in_(SPEC.workflow.open_states),
                             Analys.cancelled_at.is_(None))
        .order_by(Analys.due_date, Analys.id).limit(20)
    ).all()  # fmt: skip
    start_form = StartForm(data={"unit_id": unit.id, "start": period.start, "end": period.end})
    start_form.unit_id.choices = unit_choices(units=[u for u in units if ops.may_start(
        current_user, u)])  # fmt: skip
    return render_template(
        "analys/index.html", unit=unit, period=period, units=unit_choices(units=units),
        data=overview(current_user, unit, period), mine=mine, start_form=start_form,
        kind_labels=KIND_LABELS, kind_names=KIND_NAMES, kind_endpoints=ENDPOINTS,
        may_plan=may_edit_plan(current_user),
    )  # fmt: skip


@bp.route("/ny", methods=["POST"])
@login_required
def start() -> Any:
    form = StartForm()
    form.unit_id.choices = unit_choices(units=analysis_units())
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        if unit is None:
            abort(404)
        try:
            analys = ops.start_analysis(current_user, unit, form.start.data, form.end.data)
        except OperationError as exc:
            flash(exc.message, "danger")
        else:
            return redirect(url_for("analys.detail", ref=analys.ref))
    else:
        flash("Ange enhet och period.", "danger")
    return redirect(url_for("analys.index"))


def _conclusion_form(analys: Analys) -> ConclusionForm:
    form = ConclusionForm()
    form.quality_area_id.choices = [(0, "–")] + [
        (a.id, a.name) for a in db.session.scalars(
            select(QualityArea).where(QualityArea.active).order_by(QualityArea.sort_order))
    ]  # fmt: skip
    form.atgard_owner_id.choices = [(0, "–"), *people_near(analys.unit, current_user)]
    return form


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    analys = load_item(ref, current_user, Analys)
    return _render_detail(analys, _conclusion_form(analys))


def _render_detail(analys: Analys, form: ConclusionForm, status: int = 200) -> Any:
    period = custom_period(analys.period_start, analys.period_end)
    kept = analys.underlag.content if analys.underlag is not None else None
    frozen = as_seen_by(kept, current_user, analys.unit) if kept and not analys.is_open else None
    data = frozen or overview(current_user, analys.unit, period)
    return render_template(
        "analys/detail.html", item=analys, data=data, frozen=bool(frozen), form=form,
        can_edit=can(current_user, "edit", analys) and analys.is_open, period=period,
        task=ops.task_of(analys), kind_labels=KIND_LABELS, kind_names=KIND_NAMES,
        kind_endpoints=ENDPOINTS,
    ), status  # fmt: skip


@bp.route("/<ref>/slutsats", methods=["POST"])
@login_required
def add_conclusion(ref: str) -> Any:
    analys = load_item(ref, current_user, Analys)
    if not can(current_user, "edit", analys):
        abort(403)
    form = _conclusion_form(analys)
    if form.validate_on_submit():
        atgard = None
        if form.make_atgard.data:
            atgard = {"title": form.atgard_title.data or "", "due_date": form.atgard_due.data,
                      "owner": form.atgard_owner_id.data or None}  # fmt: skip
            if not (form.atgard_title.data or "").strip():
                form.atgard_title.errors = ["Ange vad som ska göras."]
                return _render_detail(analys, form, 422)
        try:
            row = ops.add_conclusion(
                current_user, analys, form.text.data or "",
                quality_area_id=form.quality_area_id.data or None, atgard=atgard,
                expected_version=form_version(),
            )  # fmt: skip
        except OperationError as exc:
            db.session.rollback()
            if exc.field in ("title", "owner_id", "due_date"):
                exc.field = {"title": "atgard_title", "owner_id": "atgard_owner_id",
                             "due_date": "atgard_due"}[exc.field]  # fmt: skip
            apply_operation_error(form, exc)
            analys = load_item(ref, current_user, Analys)
            return _render_detail(analys, form, 422)
        message = "Slutsatsen är sparad."
        if row.atgard is not None:
            message += f" Förbättringsåtgärd {row.atgard.ref} är skapad och kopplad."
        flash(message, "success")
        return redirect(url_for("analys.detail", ref=analys.ref))
    return _render_detail(analys, form, 422)


@bp.route("/teman", methods=["GET", "POST"])
@login_required
def themes() -> Any:
    units = analysis_units()
    if not units:
        abort(403)
    unit = _unit_from_args(units)
    period = _period_from_args()
    form = ThemeForm()
    may_add = current_user.has_role(Role.KVALITETSUTVECKLARE, Role.ADMIN)
    if request.method == "POST":
        if not may_add:
            abort(403)
        if form.validate_on_submit():
            try:
                ops.add_theme(current_user, form.list_key.data, form.label.data or "")
            except OperationError as exc:
                apply_operation_error(form, exc)
            else:
                flash(f"{form.label.data} finns nu i listan.", "success")
                return redirect(url_for("analys.themes", enhet=unit.id,
                                        fran=period.start.isoformat(),
                                        till=period.end.isoformat()))  # fmt: skip
    # Only texts the user may see are grouped (and shown as examples).
    specs = [kind_spec(k) for k in THEME_KINDS]
    rows = db.session.execute(
        select(Item.kind, Item.ref, Item.title, Item.description)
        .where(visible_clause(current_user, specs), Item.cancelled_at.is_(None),
               Item.unit_id.in_(select(Unit.id).where(Unit.path.startswith(unit.path))),
               Item.created_at >= period.start_utc(), Item.created_at < period.end_utc())
        .order_by(Item.id.desc()).limit(MAX_THEME_TEXTS)
    ).all()  # fmt: skip
    texts = [f"{r.title}. {r.description}" for r in rows]
    suggested = [
        {"label": t.label, "size": t.size,
         "examples": [{"ref": rows[i].ref, "title": rows[i].title,
                       "url": url_for(kind_spec(rows[i].kind).endpoint, ref=rows[i].ref)}
                      for i in t.examples]}
        for t in suggest(texts)
    ]  # fmt: skip
    page = render_template("analys/themes.html", unit=unit, period=period,
                           units=unit_choices(units=units), suggested=suggested, form=form,
                           may_add=may_add, count=len(texts))  # fmt: skip
    return page, 422 if form.errors else 200


@bp.route("/installningar", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    if not may_edit_plan(current_user):
        abort(403)
    activities = db.session.scalars(
        select(ArshjulAktivitet).order_by(ArshjulAktivitet.sort_order, ArshjulAktivitet.id)
    ).all()
    if request.method == "POST" and request.form.get("typical"):
        made = ops.mark_typical_year_by(current_user)
        flash(f"{made} aktiviteter i det typiska årshjulet är nu analyser.", "success")
        return redirect(url_for("analys.settings"))
    if request.method == "POST":
        for akt in activities:
            raw = request.form.get(f"months-{akt.id}", "")
            months = int(raw) if raw.isdigit() else None
            current = db.session.get(AnalysPlan, akt.id)
            if (current.months if current else None) != months:
                try:
                    ops.set_plan(current_user, akt, months)
                except OperationError as exc:
                    flash(exc.message, "danger")
        flash("Inställningarna är sparade.", "success")
        return redirect(url_for("analys.settings"))
    plans = {p.aktivitet_id: p.months for p in db.session.scalars(select(AnalysPlan))}
    count = db.session.scalar(select(func.count(Analys.id))) or 0
    return render_template("analys/settings.html", activities=activities, plans=plans,
                           count=count, sensitivity_labels=SENSITIVITY_LABELS)  # fmt: skip
