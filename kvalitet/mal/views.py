"""Web pages of mål och indikatorer: plans and their goal tree, goal and indikator forms,
utfall and assessment, the trend page per indikator, the follow-up board, the follow-up
report (HTML, Word, PDF, frozen versions) and the import."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.charts import bar_chart_svg
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.core.web import apply_operation_error
from kvalitet.extensions import db
from kvalitet.items.models import QualityArea
from kvalitet.items.queries import load_item
from kvalitet.mal import api as _api  # noqa: F401  (registers the API routes)
from kvalitet.mal import importer, periods, queries, report
from kvalitet.mal import operations as ops
from kvalitet.mal.forms import (
    AdoptForm,
    BedomningForm,
    FreezeForm,
    GoalForm,
    ImportForm,
    IndikatorForm,
    InternkontrollForm,
    NewAtgardForm,
    PlanForm,
    UtfallForm,
)
from kvalitet.mal.measures import MEASURES
from kvalitet.mal.models import (
    ENHET_LABELS,
    METOD_LABELS,
    RIKTNING_LABELS,
    Bedomning,
    Indikator,
    Internkontroll,
    Mal,
    MalRapportVersion,
    Uppfoljningsuppgift,
    Verksamhetsplan,
)
from kvalitet.org.models import Unit
from kvalitet.org.operations import people_near, unit_choices

bp = Blueprint("mal", __name__, url_prefix="/mal")


@bp.app_template_global()
def mal_bedomning(value: str | None) -> dict[str, str]:
    """Symbol, text and CSS class of an assessment (the colour only repeats the symbol)."""
    if value in set(Bedomning):
        b = Bedomning(value)  # type: ignore[arg-type]
        return {"symbol": b.symbol, "text": b.label, "css": f"mal-{b.value}"}
    return {"symbol": "?", "text": "Ej bedömt", "css": "mal-ej-bedomt"}


@bp.app_template_global()
def mal_periods(codes: list[str]) -> str:
    """ "T1, T2, Helår"; twelve months as "Varje månad"."""
    months = [c for c in codes if c in periods.MONTHS]
    rest = [periods.label(c) for c in codes if c not in periods.MONTHS]
    if len(months) == 12:
        rest.append("varje månad")
    else:
        rest.extend(periods.label(c) for c in months)
    return ", ".join(rest)


def _error_status() -> int:
    return 422 if request.method == "POST" else 200


def _people(unit: Unit) -> list[tuple[int, str]]:
    return [(0, "– ingen –"), *people_near(unit, current_user)]


def _default_period(plan: Verksamhetsplan) -> str | None:
    codes = queries.plan_periods(plan)
    today = clock.today()
    ended = [c for c in codes if periods.period_of(plan.year, c).end < today]
    if ended:
        return ended[-1]
    return codes[0] if codes else None


def _period_arg(plan: Verksamhetsplan) -> str | None:
    code = (request.args.get("period") or "").upper()
    return code if code in queries.plan_periods(plan) else _default_period(plan)


# --- plans -----------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> Any:
    plans = queries.visible_plans(current_user)
    editable = queries.editable_units(current_user)
    return render_template(
        "mal/index.html",
        plans=plans,
        may_create=bool(editable),
        may_edit=lambda p: queries.may_edit_plan(current_user, p.unit),
    )


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new_plan() -> Any:
    units = queries.editable_units(current_user)
    if not units:
        abort(403)
    form = PlanForm()
    form.unit_id.choices = unit_choices(units=units)  # type: ignore[assignment]
    if request.method == "GET":
        form.year.data = str(periods.plan_year_of(clock.today()))
        form.levels.data = "Nämndmål\nUtvecklingsområde"
        form.unit_id.data = units[0].id
    if form.validate_on_submit():
        try:
            plan = ops.create_plan(
                current_user,
                unit=form.unit_id.data,
                year=form.year.data,
                name=form.name.data,
                description=form.description.data,
                levels=form.levels.data,
            )
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Verksamhetsplanen är skapad.", "success")
            return redirect(url_for("mal.plan", plan_id=plan.id))
    return render_template("mal/plan_form.html", form=form, plan=None), _error_status()


@bp.route("/plan/<int:plan_id>/andra", methods=["GET", "POST"])
@login_required
def edit_plan(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    if not queries.may_edit_plan(current_user, plan.unit):
        abort(403)
    form = PlanForm(obj=plan if request.method == "GET" else None)
    form.unit_id.choices = [(plan.unit.id, plan.unit.name)]  # type: ignore[assignment]
    if request.method == "GET":
        form.levels.data = "\n".join(plan.levels)
        form.year.data = str(plan.year)
    if form.validate_on_submit():
        try:
            ops.update_plan(
                current_user,
                plan,
                name=form.name.data,
                description=form.description.data,
                levels=form.levels.data,
            )
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Planen är sparad.", "success")
            return redirect(url_for("mal.plan", plan_id=plan.id))
    return render_template("mal/plan_form.html", form=form, plan=plan), _error_status()


@bp.route("/plan/<int:plan_id>")
@login_required
def plan(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    code = _period_arg(plan)
    tree = queries.goal_tree(plan)
    inds = [i for g, _ in tree for i in g.indikatorer]
    values = queries.utfall_map(inds)
    assessments = {g.id: queries.bedomning_of(g, code) for g, _ in tree} if code else {}
    lower = [p for p in queries.visible_plans(current_user) if p.parent_plan_id == plan.id]
    return render_template(
        "mal/plan.html",
        plan=plan,
        tree=tree,
        values=values,
        code=code,
        codes=queries.plan_periods(plan),
        assessments=assessments,
        lower=lower,
        may_edit=queries.may_edit_plan(current_user, plan.unit),
        may_report=lambda i: queries.may_report(current_user, i),
        may_assess=lambda g: queries.may_assess(current_user, g),
        status=lambda i: queries.indicator_status(i, code, values) if code else None,
        fmt=queries.fmt_value,
        target_text=queries.target_text,
        periods=periods,
        adopt_form=AdoptForm(),
        copy_form=FreezeForm(),
    )


@bp.route("/plan/<int:plan_id>/kopiera", methods=["POST"])
@login_required
def copy_plan(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    if not FreezeForm().validate_on_submit():
        abort(400)
    try:
        new = ops.copy_to_next_year(current_user, plan)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("mal.plan", plan_id=plan.id))
    flash(f"Planen är kopierad till {new.year} med mål, indikatorer och målvärden.", "success")
    return redirect(url_for("mal.plan", plan_id=new.id))


@bp.route("/plan/<int:plan_id>/anta", methods=["GET", "POST"])
@login_required
def adopt(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    units = [
        u
        for u in queries.editable_units(current_user)
        if u.is_within(plan.unit) and u.id != plan.unit_id
    ]
    if not units:
        abort(403)
    form = AdoptForm()
    form.unit_id.choices = unit_choices(units=units)  # type: ignore[assignment]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data or 0)
        try:
            if unit is None:
                raise OperationError("Välj en enhet.", field="unit_id")
            lower = ops.adopt_plan(current_user, plan, unit)
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash(
                f"{unit.name} har antagit målen. Lägg till egna mål och indikatorer under dem.",
                "success",
            )
            return redirect(url_for("mal.plan", plan_id=lower.id))
    return render_template("mal/adopt.html", form=form, plan=plan), _error_status()


# --- goals -----------------------------------------------------------------------------------


def _goal_form(plan: Verksamhetsplan, goal: Mal | None) -> GoalForm:
    form = GoalForm(obj=goal if request.method == "GET" else None)
    areas = db.session.scalars(
        select(QualityArea).where(QualityArea.active.is_(True)).order_by(QualityArea.sort_order)
    )
    form.area_ids.choices = [(a.id, a.name) for a in areas]  # type: ignore[assignment]
    form.unit_ids.choices = unit_choices(  # type: ignore[assignment]
        units=list(
            db.session.scalars(
                select(Unit).where(Unit.path.startswith(plan.unit.path), Unit.active.is_(True))
            )
        )
    )
    form.owner_id.choices = _people(plan.unit)  # type: ignore[assignment]
    if request.method == "GET" and goal is not None:
        form.area_ids.data = [a.id for a in goal.areas]
        form.unit_ids.data = [u.id for u in goal.units]
        form.owner_id.data = goal.owner_id or 0
    return form


def _goal_fields(form: GoalForm) -> dict[str, Any]:
    return {
        "nr": form.nr.data,
        "name": form.name.data,
        "description": form.description.data,
        "processes": form.processes.data,
        "owner_id": form.owner_id.data or None,
        "area_ids": form.area_ids.data or [],
        "unit_ids": form.unit_ids.data or [],
    }


@bp.route("/plan/<int:plan_id>/mal/ny", methods=["GET", "POST"])
@login_required
def new_goal(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    if not queries.may_edit_plan(current_user, plan.unit):
        abort(403)
    parent = None
    raw_parent = request.args.get("parent", "")
    if raw_parent.isdigit():
        parent = db.session.get(Mal, int(raw_parent))
        if parent is None or parent.plan_id != plan.id:
            abort(404)
    form = _goal_form(plan, None)
    if form.validate_on_submit():
        try:
            goal = ops.create_goal(current_user, plan, parent, **_goal_fields(form))
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash(f"Målet {goal.nr} är tillagt.", "success")
            return redirect(url_for("mal.plan", plan_id=plan.id) + f"#mal-{goal.id}")
    level = parent.level + 1 if parent else 1
    return render_template(
        "mal/goal_form.html",
        form=form,
        plan=plan,
        goal=None,
        parent=parent,
        level_name=plan.level_name(level),
    ), _error_status()


@bp.route("/mal/<int:mal_id>/andra", methods=["GET", "POST"])
@login_required
def edit_goal(mal_id: int) -> Any:
    goal = queries.load_mal(mal_id, current_user)
    plan = goal.plan
    if not queries.may_edit_plan(current_user, plan.unit):
        abort(403)
    form = _goal_form(plan, goal)
    if form.validate_on_submit():
        try:
            ops.update_goal(current_user, goal, **_goal_fields(form))
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Målet är sparat.", "success")
            return redirect(url_for("mal.plan", plan_id=plan.id) + f"#mal-{goal.id}")
    return render_template(
        "mal/goal_form.html",
        form=form,
        plan=plan,
        goal=goal,
        parent=goal.parent,
        level_name=plan.level_name(goal.level),
    ), _error_status()


# --- indikatorer -----------------------------------------------------------------------------


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def _indikator_form(goal: Mal, ind: Indikator | None) -> IndikatorForm:
    form = IndikatorForm(obj=ind if request.method == "GET" else None)
    form.responsible_id.choices = _people(goal.plan.unit)  # type: ignore[assignment]
    if request.method == "GET":
        if ind is None:
            form.periods.data = ["T1", "T2", "T3"]
            form.responsible_id.data = goal.owner_id or 0
        else:
            form.responsible_id.data = ind.responsible_id or 0
            form.measure.data = ind.measure or ""
            form.direction.data = ind.direction or ""
            for name in ("scale_max", "target", "target_high", "baseline"):
                getattr(form, name).data = _num(getattr(ind, name))
            form.baseline_year.data = str(ind.baseline_year or "")
            form.history.data = "\n".join(f"{y}: {_num(v)}" for y, v in sorted(ind.history.items()))
            months = [c for c in ind.periods if c.startswith("M")]
            form.periods.data = [c for c in ind.periods if not c.startswith("M")] + (
                ["M"] if len(months) == 12 else months
            )
    return form


def _indikator_fields(form: IndikatorForm) -> dict[str, Any]:
    names = (
        "nr",
        "name",
        "description",
        "method",
        "measure",
        "source",
        "unit_of_measure",
        "scale_max",
        "direction",
        "target",
        "target_high",
        "baseline",
        "baseline_year",
        "history",
        "periods",
        "by_sex",
        "sex_labels",
    )
    fields = {n: getattr(form, n).data for n in names}
    fields["responsible_id"] = form.responsible_id.data or None
    return fields


@bp.route("/mal/<int:mal_id>/indikator/ny", methods=["GET", "POST"])
@login_required
def new_indikator(mal_id: int) -> Any:
    goal = queries.load_mal(mal_id, current_user)
    if not queries.may_edit_plan(current_user, goal.plan.unit):
        abort(403)
    form = _indikator_form(goal, None)
    if form.validate_on_submit():
        try:
            ind = ops.create_indikator(current_user, goal, **_indikator_fields(form))
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash(f"Indikatorn {ind.nr} är tillagd.", "success")
            return redirect(url_for("mal.plan", plan_id=goal.plan_id) + f"#mal-{goal.id}")
    return render_template(
        "mal/indikator_form.html", form=form, goal=goal, ind=None
    ), _error_status()


@bp.route("/indikator/<int:ind_id>/andra", methods=["GET", "POST"])
@login_required
def edit_indikator(ind_id: int) -> Any:
    ind = queries.load_indikator(ind_id, current_user)
    goal = ind.mal
    if not queries.may_edit_plan(current_user, goal.plan.unit):
        abort(403)
    form = _indikator_form(goal, ind)
    if form.validate_on_submit():
        try:
            ops.update_indikator(current_user, ind, **_indikator_fields(form))
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Indikatorn är sparad.", "success")
            return redirect(url_for("mal.indikator", ind_id=ind.id))
    return render_template(
        "mal/indikator_form.html", form=form, goal=goal, ind=ind
    ), _error_status()


@bp.route("/mal/<int:mal_id>/ta-bort", methods=["POST"])
@login_required
def delete_goal(mal_id: int) -> Any:
    goal = queries.load_mal(mal_id, current_user)
    plan_id = goal.plan_id
    if not queries.may_edit_plan(current_user, goal.plan.unit) or not FreezeForm().validate():
        abort(403)
    try:
        ops.delete_goal(current_user, goal)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("mal.edit_goal", mal_id=mal_id))
    flash("Målet är borttaget.", "success")
    return redirect(url_for("mal.plan", plan_id=plan_id))


@bp.route("/indikator/<int:ind_id>/ta-bort", methods=["POST"])
@login_required
def delete_indikator(ind_id: int) -> Any:
    ind = queries.load_indikator(ind_id, current_user)
    plan_id = ind.mal.plan_id
    if not queries.may_edit_plan(current_user, ind.mal.plan.unit) or not FreezeForm().validate():
        abort(403)
    try:
        ops.delete_indikator(current_user, ind)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("mal.edit_indikator", ind_id=ind_id))
    flash("Indikatorn är borttagen.", "success")
    return redirect(url_for("mal.plan", plan_id=plan_id))


@bp.route("/indikator/<int:ind_id>")
@login_required
def indikator(ind_id: int) -> Any:
    """The trend page: every value across periods and years as a chart with the målvärde,
    and the same figures as a table."""
    ind = queries.load_indikator(ind_id, current_user)
    rows = queries.history_rows(ind)
    values = queries.utfall_map([ind])
    plotted = [r for r in rows if r["value"] is not None]
    chart = None
    if plotted:
        series: list[tuple[str, list[float]]] = [("Utfall", [float(r["value"]) for r in plotted])]
        if ind.target is not None:
            series.append(("Målvärde", [float(ind.target)] * len(plotted)))
        chart = bar_chart_svg([r["label"] for r in plotted], series, f"{ind.nr} {ind.name}".strip())
    return render_template(
        "mal/indikator.html",
        ind=ind,
        rows=rows,
        chart=chart,
        values=values,
        may_report=queries.may_report(current_user, ind),
        may_edit=queries.may_edit_plan(current_user, ind.mal.plan.unit),
        fmt=queries.fmt_value,
        target_text=queries.target_text,
        periods=periods,
        labels={"metod": METOD_LABELS, "enhet": ENHET_LABELS, "riktning": RIKTNING_LABELS},
        measure=MEASURES.get(ind.measure or ""),
        sex_value=report.sex_value,
    )


@bp.route("/indikator/<int:ind_id>/utfall/<period>", methods=["GET", "POST"])
@login_required
def utfall(ind_id: int, period: str) -> Any:
    ind = queries.load_indikator(ind_id, current_user)
    if not queries.may_report(current_user, ind):
        abort(403)
    code = period.upper()
    existing = queries.utfall_map([ind]).get((ind.id, code))
    form = UtfallForm()
    women, men = ind.kon.labels
    form.value_k.label.text, form.value_m.label.text = women, men
    form.n_k.label.text = f"Antal {women.lower()} (personer bakom värdet)"
    form.n_m.label.text = f"Antal {men.lower()} (personer bakom värdet)"
    if request.method == "GET" and existing is not None:
        form.value.data = _utfall_text(existing.value, ind)
        form.value_k.data = _utfall_text(existing.value_k, ind)
        form.value_m.data = _utfall_text(existing.value_m, ind)
        form.n_k.data = str(existing.n_k) if existing.n_k is not None else ""
        form.n_m.data = str(existing.n_m) if existing.n_m is not None else ""
        form.comment.data = existing.comment
    period_error = None
    if form.validate_on_submit():
        try:
            fields = {n: getattr(form, n).data for n in ("value", "comment")}
            if ind.by_sex:
                fields.update(
                    {n: getattr(form, n).data for n in ("value_k", "value_m", "n_k", "n_m")}
                )
            ops.save_utfall(current_user, ind, code, **fields)
        except OperationError as error:
            db.session.rollback()
            if error.field == "period":
                period_error = error.message
            else:
                apply_operation_error(form, error)
        else:
            flash(f"Utfallet för {periods.label(code, ind.mal.plan.year)} är sparat.", "success")
            target = request.args.get("next") or ""
            if not target.startswith("/mal/"):
                target = url_for("mal.indikator", ind_id=ind.id)
            return redirect(target)
    if code not in ind.periods:
        period_error = period_error or (
            f"Indikatorn mäts inte för {periods.label(code) if code in periods.ALL_CODES else code}"
            f". Den mäts: {', '.join(periods.label(c) for c in ind.periods)}."
        )
    status = 422 if request.method == "POST" else (404 if code not in periods.ALL_CODES else 200)
    if status == 404:
        abort(404)
    return render_template(
        "mal/utfall_form.html",
        form=form,
        ind=ind,
        code=code,
        existing=existing,
        period_error=period_error,
        label=periods.label(code, ind.mal.plan.year),
        measure=MEASURES.get(ind.measure or ""),
        target_text=queries.target_text,
    ), status


def _utfall_text(value: float | None, ind: Indikator) -> str:
    if value is None:
        return ""
    if ind.unit_of_measure == "janej":
        return "ja" if value >= 0.5 else "nej"
    return _num(value)


@bp.route("/indikator/<int:ind_id>/utfall/<period>/berakna", methods=["POST"])
@login_required
def refresh(ind_id: int, period: str) -> Any:
    ind = queries.load_indikator(ind_id, current_user)
    if not FreezeForm().validate_on_submit():
        abort(400)
    try:
        u = ops.refresh_measure(current_user, ind, period)
    except OperationError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(f"Kvalitet beräknade {queries.fmt_value(u.value, ind.unit_of_measure)}.", "success")
    return redirect(url_for("mal.indikator", ind_id=ind.id))


# --- assessment ------------------------------------------------------------------------------


@bp.route("/mal/<int:mal_id>/bedomning/<period>", methods=["GET", "POST"])
@login_required
def bedomning(mal_id: int, period: str) -> Any:
    goal = queries.load_mal(mal_id, current_user)
    if not queries.may_assess(current_user, goal):
        abort(403)
    code = period.upper()
    if code not in queries.plan_periods(goal.plan):
        abort(404)
    existing = queries.bedomning_of(goal, code)
    proposal = queries.propose(goal, code)
    form = BedomningForm(obj=existing if request.method == "GET" else None)
    if request.method == "GET" and not form.value.data:
        form.value.data = str(proposal)
    atgard_form = NewAtgardForm(prefix="ny")
    atgard_form.owner_id.choices = _people(goal.plan.unit)  # type: ignore[assignment]
    if request.method == "GET":
        atgard_form.owner_id.data = goal.owner_id or current_user.id
    if request.method == "POST" and request.form.get("action") == "atgard":
        if atgard_form.validate_on_submit():
            try:
                atg = ops.new_atgard_for_goal(
                    current_user,
                    goal,
                    code,
                    title=atgard_form.title.data,
                    owner=atgard_form.owner_id.data or None,
                    due_date=atgard_form.due_date.data,
                )
            except OperationError as error:
                db.session.rollback()
                apply_operation_error(atgard_form, error)
            else:
                flash(f"Förbättringsåtgärd {atg.ref} är skapad och kopplad till målet.", "success")
                return redirect(url_for("mal.bedomning", mal_id=goal.id, period=code))
    elif form.validate_on_submit():
        try:
            ops.save_bedomning(
                current_user,
                goal,
                code,
                value=form.value.data,
                orsak=form.orsak.data,
                analys=form.analys.data,
                atgarder_text=form.atgarder_text.data,
                atgard_refs=form.atgard_refs.data,
            )
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Bedömningen är sparad.", "success")
            return redirect(
                url_for("mal.plan", plan_id=goal.plan_id, period=code) + f"#mal-{goal.id}"
            )
    inds = queries.goal_indikatorer(goal)
    values = queries.utfall_map(inds)
    return render_template(
        "mal/bedomning_form.html",
        form=form,
        atgard_form=atgard_form,
        goal=goal,
        code=code,
        existing=existing,
        proposal=proposal,
        inds=[i for i in inds if code in i.periods],
        values=values,
        label=periods.label(code, goal.plan.year),
        fmt=queries.fmt_value,
        target_text=queries.target_text,
        status=lambda i: queries.indicator_status(i, code, values),
        thresholds=queries.rule_thresholds(),
    ), _error_status()


# --- follow-up board and tasks -----------------------------------------------------------------


@bp.route("/plan/<int:plan_id>/uppfoljning", methods=["GET", "POST"])
@login_required
def board(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    code = _period_arg(plan)
    may_edit = queries.may_edit_plan(current_user, plan.unit)
    if request.method == "POST":
        if not may_edit or not FreezeForm().validate_on_submit() or code is None:
            abort(403)
        made = ops.generate_tasks(plan, code)
        flash(
            f"{made} uppföljningsuppgifter skapades."
            if made
            else "Alla ansvariga har redan sin uppgift för perioden.",
            "success",
        )
        return redirect(url_for("mal.board", plan_id=plan.id, period=code))
    rows = queries.board(plan, code) if code else []
    tasks = (
        list(
            db.session.scalars(
                select(Uppfoljningsuppgift).where(
                    Uppfoljningsuppgift.plan_id == plan.id, Uppfoljningsuppgift.period == code
                )
            )
        )
        if code
        else []
    )
    goals = [g for g, _ in queries.goal_tree(plan)]
    return render_template(
        "mal/board.html",
        plan=plan,
        code=code,
        codes=queries.plan_periods(plan),
        rows=rows,
        counts=queries.board_counts(rows),
        tasks=tasks,
        may_edit=may_edit,
        deadline=periods.deadline(plan.year, code) if code else None,
        periods=periods,
        assessments=[(g, queries.bedomning_of(g, code)) for g in goals] if code else [],
        fmt=queries.fmt_value,
        form=FreezeForm(),
    )


@bp.route("/uppgift/<ref>")
@login_required
def task(ref: str) -> Any:
    item = load_item(ref, current_user, Uppfoljningsuppgift)
    rows = queries.task_rows(item)
    goals = {r.indikator.mal_id: r.indikator.mal for r in rows}
    return render_template(
        "mal/task.html",
        item=item,
        rows=rows,
        goals=list(goals.values()),
        label=periods.label(item.period, item.plan.year),
        fmt=queries.fmt_value,
    )


# --- report ----------------------------------------------------------------------------------


def _report_period(plan: Verksamhetsplan) -> report.ReportPeriod:
    key = request.values.get("period") or _default_period(plan) or ""
    start, end = request.values.get("fran"), request.values.get("till")
    if start and end:
        key = f"{start}_{end}"
    rp = report.report_period(plan, key)
    if rp is None:
        abort(404)
    return rp


def _file(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _render(
    document: dict[str, Any], version: MalRapportVersion | None, fmt: str | None, name: str
) -> Response | None:
    if fmt == "docx":
        return _file(report.docx_bytes(document, version), f"{name}.docx", DOCX)
    if fmt == "pdf":
        return _file(report.pdf_bytes(document, version), f"{name}.pdf", "application/pdf")
    return None


@bp.route("/plan/<int:plan_id>/rapport", methods=["GET", "POST"])
@login_required
def rapport(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    rp = _report_period(plan)
    document = report.compile_report(plan, rp, current_user)
    may_edit = queries.may_edit_plan(current_user, plan.unit)
    form = FreezeForm()
    if request.method == "POST":
        if not may_edit:
            abort(403)
        if form.validate_on_submit():
            try:
                version = ops.freeze_report(
                    current_user, plan, rp.key, document, form.comment.data or ""
                )
            except OperationError as error:
                db.session.rollback()
                apply_operation_error(form, error)
            else:
                flash(
                    f"Version {version.number} är fryst. Kontrollsumma {version.sha256[:12]}…",
                    "success",
                )
                return redirect(url_for("mal.version", version_id=version.id))
    name = f"{document['title']} {plan.unit.name}".replace(" ", "-").replace("/", "-")
    out = _render(document, None, request.args.get("format"), name)
    if out is not None:
        return out
    return render_template(
        "mal/rapport.html",
        plan=plan,
        doc=document,
        rp=rp,
        form=form,
        may_edit=may_edit,
        codes=queries.plan_periods(plan),
        periods=periods,
        versions=[v for v in report.versions(plan) if v.period == rp.key],
        chart_uri=report.render.chart_data_uri,
    ), (422 if request.method == "POST" else 200)


@bp.route("/rapport/version/<int:version_id>")
@login_required
def version(version_id: int) -> Any:
    row = db.session.get(MalRapportVersion, version_id)
    if row is None:
        raise NotFound()
    plan = queries.load_plan(row.plan_id, current_user)
    document = report.version_content(row)
    name = f"{document['title']} {plan.unit.name} v{row.number}".replace(" ", "-")
    out = _render(document, row, request.args.get("format"), name)
    if out is not None:
        return out
    return render_template(
        "mal/version.html",
        plan=plan,
        doc=document,
        version=row,
        verified=report.verify(row),
        chart_uri=report.render.chart_data_uri,
    )


# --- intern kontroll ---------------------------------------------------------------------------


@bp.route("/plan/<int:plan_id>/internkontroll", methods=["GET", "POST"])
@login_required
def internkontroll(plan_id: int) -> Any:
    """The plan's internkontrollplan: egenkontroll controls with process, risk and
    "rapporteras till"."""
    plan = queries.load_plan(plan_id, current_user)
    may_edit = queries.may_edit_plan(current_user, plan.unit)
    form = InternkontrollForm()
    choices = queries.kontroll_choices(plan)
    form.kontroll_id.choices = [(0, "– välj –"), *choices]  # type: ignore[assignment]
    if request.method == "POST":
        if not may_edit:
            abort(403)
        if form.validate_on_submit():
            try:
                ops.add_internkontroll(
                    current_user,
                    plan,
                    kontroll_id=form.kontroll_id.data,
                    process=form.process_name.data,
                    sannolikhet=form.sannolikhet.data,
                    konsekvens=form.konsekvens.data,
                    rapporteras_till=form.rapporteras_till.data,
                )
            except OperationError as error:
                db.session.rollback()
                apply_operation_error(form, error)
            else:
                flash("Kontrollmomentet är tillagt i internkontrollplanen.", "success")
                return redirect(url_for("mal.internkontroll", plan_id=plan.id))
    return render_template(
        "mal/internkontroll.html",
        plan=plan,
        form=form,
        may_edit=may_edit,
        rows=queries.internkontroller(plan),
    ), _error_status()


def _load_internkontroll(row_id: int) -> Internkontroll:
    row = db.session.get(Internkontroll, row_id)
    if row is None:
        abort(404)
    queries.load_plan(row.plan_id, current_user)  # 404 for a plan the user may not see
    if not queries.may_edit_plan(current_user, row.plan.unit):
        abort(403)
    return row


@bp.route("/internkontroll/<int:row_id>/andra", methods=["GET", "POST"])
@login_required
def edit_internkontroll(row_id: int) -> Any:
    row = _load_internkontroll(row_id)
    form = InternkontrollForm(
        data={
            "process_name": row.process,
            "sannolikhet": str(row.sannolikhet),
            "konsekvens": str(row.konsekvens),
            "rapporteras_till": row.rapporteras_till,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            ops.update_internkontroll(
                current_user,
                row,
                process=form.process_name.data,
                sannolikhet=form.sannolikhet.data,
                konsekvens=form.konsekvens.data,
                rapporteras_till=form.rapporteras_till.data,
            )
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash("Kontrollmomentet är sparat.", "success")
            return redirect(url_for("mal.internkontroll", plan_id=row.plan_id))
    return render_template(
        "mal/internkontroll_form.html", row=row, form=form, delete_form=FreezeForm()
    ), _error_status()


@bp.route("/internkontroll/<int:row_id>/ta-bort", methods=["POST"])
@login_required
def delete_internkontroll(row_id: int) -> Any:
    row = _load_internkontroll(row_id)
    plan_id = row.plan_id
    if not FreezeForm().validate():
        abort(403)
    ops.delete_internkontroll(current_user, row)
    flash("Kontrollmomentet är borttaget ur internkontrollplanen.", "success")
    return redirect(url_for("mal.internkontroll", plan_id=plan_id))


# --- import ----------------------------------------------------------------------------------


@bp.route("/plan/<int:plan_id>/import/mall.xlsx")
@login_required
def import_template(plan_id: int) -> Any:
    """The Excel template of the import (utfall, or ?what=struktur for goals/indikatorer)."""
    plan = queries.load_plan(plan_id, current_user)
    what = "struktur" if request.args.get("what") == "struktur" else "utfall"
    return _file(importer.template(plan, what), f"importmall-{what}-{plan.year}.xlsx", XLSX)


@bp.route("/plan/<int:plan_id>/import", methods=["GET", "POST"])
@login_required
def import_(plan_id: int) -> Any:
    plan = queries.load_plan(plan_id, current_user)
    if not queries.may_edit_plan(current_user, plan.unit):
        abort(403)
    form = ImportForm()
    errors: list[importer.RowError] = []
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise OperationError("Välj en fil.", field="file")
            result = importer.run(
                current_user, plan, form.what.data or "", upload.filename, upload.read()
            )
        except importer.MalImportFailed as error:
            errors = error.row_errors
            flash(error.message, "danger")
        except OperationError as error:
            db.session.rollback()
            apply_operation_error(form, error)
        else:
            flash(f"{result.created} rader importerades.", "success")
            return redirect(url_for("mal.plan", plan_id=plan.id))
    return render_template("mal/import.html", plan=plan, form=form, errors=errors), (
        422 if request.method == "POST" else 200
    )
