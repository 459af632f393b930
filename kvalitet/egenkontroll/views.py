"""Egenkontroller: the list of occurrences, plans with their controls, performing an
occurrence (answers per sampled case, summary, findings) and statistics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import false, inspect, or_, select, true
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from kvalitet.avvikelser.operations import CATEGORY_LIST
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.core.periods import current_quality_year, parse_quality_year, quality_year
from kvalitet.core.permissions import (
    Detail,
    can,
    is_admin,
    role_paths,
    shown_statistics,
    statistics_detail,
    statistics_paths,
    visible_clause,
)
from kvalitet.core.recurrence import Rule, describe
from kvalitet.core.roles import Role
from kvalitet.core.web import apply_operation_error, arg_int
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.forms import (
    DueDateForm,
    FindingForm,
    KontrollForm,
    PerformForm,
    PlanForm,
)
from kvalitet.egenkontroll.kinds import SPEC, WORKFLOW
from kvalitet.egenkontroll.models import (
    SVAR_LABELS,
    Egenkontroll,
    EgenkontrollPlan,
    Fynd,
    Kontroll,
    PlanStatus,
)
from kvalitet.egenkontroll.stats import statistics_with_previous
from kvalitet.extensions import db
from kvalitet.items.areas import area_table
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.queries import in_subtree, load_item, paginate
from kvalitet.org.models import Unit
from kvalitet.org.operations import active_units_under, unit_choices

bp = Blueprint("egenkontroll", __name__, url_prefix="/egenkontroll")

PLAN_VIEW_ROLES = (*ops.PLAN_ROLES, Role.SAS, Role.MAS)


# --- occurrences ------------------------------------------------------------------------


@bp.route("/")
@login_required
def index() -> Any:
    query = select(Egenkontroll).where(visible_clause(current_user, [SPEC]))
    status = request.args.get("status", "")
    if status in WORKFLOW.states:
        query = query.where(Item.status == status)
    elif status == "oppna":
        query = query.where(Item.status.in_(WORKFLOW.open_states), Item.cancelled_at.is_(None))
    period = parse_quality_year(request.args.get("ar"))
    if period is not None:
        query = query.where(
            Egenkontroll.planned_date >= period.start, Egenkontroll.planned_date <= period.end
        )
    unit = db.session.get(Unit, arg_int(request.args.get("enhet")) or 0)
    if unit is not None:
        query = query.where(in_subtree(unit))
    if request.args.get("mina"):
        query = query.where(Item.owner_id == current_user.id)
    query = query.order_by(Egenkontroll.planned_date.desc(), Item.unit_id, Item.id)
    units = active_units_under(role_paths(current_user, SPEC.view_roles))
    return render_template(
        "egenkontroll/index.html",
        page=paginate(query),
        states=WORKFLOW.states,
        status=status,
        years=[quality_year(current_quality_year().start.year + d) for d in (1, 0, -1, -2)],
        units=unit_choices(units=list(units)),
        args=request.args,
        may_plan=bool(_plan_paths()) or is_admin(current_user),
        may_stats=bool(statistics_paths(current_user, "EGK")),
    )


def _item(ref: str) -> Egenkontroll:
    return load_item(ref, current_user, Egenkontroll)


def _version() -> int | None:
    return arg_int(request.form.get("version"))


def _answers_from_form(item: Egenkontroll, case_count: int) -> dict[tuple[int, int], str | None]:
    answers: dict[tuple[int, int], str | None] = {}
    for fraga in item.kontroll.active_fragor:
        for case_no in range(1, case_count + 1):
            answers[(fraga.id, case_no)] = request.form.get(f"svar-{fraga.id}-{case_no}") or None
    return answers


def _load_kontroll(item: Egenkontroll) -> None:
    """The item's kontroll with its plan and its questions, in one statement (they were
    three lazy loads)."""
    if "kontroll" in inspect(item).unloaded:
        kontroll = (
            db.session.scalars(
                select(Kontroll)
                .where(Kontroll.id == item.kontroll_id)
                .options(joinedload(Kontroll.plan), joinedload(Kontroll.fragor))
            )
            .unique()
            .one()
        )
        # Held by the item (the session only keeps a weak reference).
        set_committed_value(item, "kontroll", kontroll)


def _render_detail(item: Egenkontroll, status: int = 200, **forms: Any) -> Any:
    _load_kontroll(item)
    perform = forms.get("perform") or PerformForm(
        case_count=item.case_count or item.kontroll.sample_size, summary=item.summary
    )
    case_count = perform.case_count.data if isinstance(perform.case_count.data, int) else 0
    case_count = max(1, min(case_count or item.case_count or 1, ops.MAX_CASES))
    saved = {(r.fraga_id, r.case_no): r.answer for r in item.svar}
    given = forms.get("given") or saved
    may_edit = can(current_user, "edit", item)
    editable = may_edit and item.status not in ("genomford", "avskriven") and not item.is_cancelled

    categories = db.session.scalars(
        select(ListEntry)
        .where(ListEntry.list_key == CATEGORY_LIST, ListEntry.active.is_(True))
        .order_by(ListEntry.sort_order, ListEntry.label)
    ).all()
    return (
        render_template(
            "egenkontroll/detail.html",
            item=item,
            kontroll=item.kontroll,
            rule_text=describe(item.kontroll.rule),
            results=ops.results(item),
            perform=perform,
            case_count=case_count,
            given=given,
            svar_labels=SVAR_LABELS,
            due_form=forms.get("due_form") or DueDateForm(due_date=item.due_date),
            finding_form=forms.get("finding_form") or FindingForm(),
            may_edit=may_edit,
            editable=editable,
            categories=categories,
            hide_generic_steps=False,
        ),
        status,
    )


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    return _render_detail(_item(ref))


@bp.route("/<ref>/utfor", methods=["POST"])
@login_required
def perform(ref: str) -> Any:
    item = _item(ref)
    form = PerformForm()
    complete = request.form.get("action") == "slutfor"
    if not form.validate_on_submit():
        return _render_detail(item, 422, perform=form)
    answers = _answers_from_form(item, int(form.case_count.data or 1))
    try:
        ops.save_answers(
            current_user,
            item,
            case_count=int(form.case_count.data or 1),
            answers=answers,
            summary=form.summary.data or "",
            complete=complete,
            expected_version=_version(),
        )
    except OperationError as exc:
        db.session.expire_all()
        item = _item(ref)
        if exc.field == "answers":
            flash(exc.message, "danger")
        else:
            apply_operation_error(form, exc)
        return _render_detail(item, 422, perform=form, given=answers)
    flash("Egenkontrollen är genomförd." if complete else "Svaren är sparade.", "success")
    return redirect(url_for(".detail", ref=item.ref))


@bp.route("/<ref>/sista-datum", methods=["POST"])
@login_required
def due_date(ref: str) -> Any:
    item = _item(ref)
    form = DueDateForm()
    if not form.validate_on_submit():
        return _render_detail(item, 422, due_form=form)
    try:
        ops.set_due_date(current_user, item, form.due_date.data, expected_version=_version())
    except OperationError as exc:
        db.session.expire_all()
        apply_operation_error(form, exc)
        return _render_detail(_item(ref), 422, due_form=form)
    flash("Sista datum är ändrat.", "success")
    return redirect(url_for(".detail", ref=item.ref))


@bp.route("/<ref>/fynd", methods=["POST"])
@login_required
def finding(ref: str) -> Any:
    item = _item(ref)
    form = FindingForm()
    if not form.validate_on_submit():
        return _render_detail(item, 422, finding_form=form)
    try:
        ops.add_finding(current_user, item, form.text.data or "")
    except OperationError as exc:
        db.session.expire_all()
        apply_operation_error(form, exc)
        return _render_detail(_item(ref), 422, finding_form=form)
    flash("Fyndet är sparat.", "success")
    return redirect(url_for(".detail", ref=item.ref) + "#fynd")


@bp.route("/<ref>/fynd/<int:fynd_id>/<target>", methods=["POST"])
@login_required
def finding_to(ref: str, fynd_id: int, target: str) -> Any:
    item = _item(ref)
    fynd = db.session.get(Fynd, fynd_id)
    if fynd is None or fynd.egenkontroll_id != item.id or target not in ("atgard", "avvikelse"):
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        if target == "atgard":
            created = ops.finding_to_atgard(current_user, fynd)
        else:
            created = ops.finding_to_avvikelse(
                current_user, fynd, arg_int(request.form.get("category_id"))
            )
    except OperationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".detail", ref=item.ref) + "#fynd")
    flash(f"{created.ref} skapades och kopplades till {item.ref}.", "success")
    return redirect(url_for("items.open_ref", ref=created.ref))


# --- plans ------------------------------------------------------------------------------


def _plan_paths() -> list[str]:
    return role_paths(current_user, PLAN_VIEW_ROLES)


def _visible_plans_clause() -> Any:
    """Plans whose scope lies inside one of the user's subtrees or above one of them."""
    if is_admin(current_user):
        return true()
    paths = _plan_paths()
    if not paths:
        return false()
    ancestors = {p[: i + 1] for p in paths for i, ch in enumerate(p) if ch == "/" and i > 0}
    return or_(*[Unit.path.startswith(p) for p in paths], Unit.path.in_(ancestors))


def _plan(plan_id: int) -> EgenkontrollPlan:
    plan = db.session.scalar(
        select(EgenkontrollPlan)
        .join(Unit, Unit.id == EgenkontrollPlan.scope_unit_id)
        .where(EgenkontrollPlan.id == plan_id, _visible_plans_clause())
    )
    if plan is None:
        abort(404)
    return plan


def _manageable_units() -> list[Unit]:
    if is_admin(current_user):
        return list(db.session.scalars(select(Unit).where(Unit.active.is_(True))))
    paths = role_paths(current_user, ops.PLAN_ROLES)
    if not paths:
        return []
    return list(
        db.session.scalars(
            select(Unit).where(
                or_(*[Unit.path.startswith(p) for p in paths]), Unit.active.is_(True)
            )
        )
    )


@bp.route("/planer")
@login_required
def plans() -> Any:
    if not _plan_paths() and not is_admin(current_user):
        abort(403)
    rows = db.session.scalars(
        select(EgenkontrollPlan)
        .join(Unit, Unit.id == EgenkontrollPlan.scope_unit_id)
        .where(_visible_plans_clause())
        .order_by(EgenkontrollPlan.year.desc(), Unit.path, EgenkontrollPlan.name)
    ).all()
    return render_template(
        "egenkontroll/plans.html",
        plans=rows,
        quality_year=quality_year,
        may_create=bool(_manageable_units()),
    )


def _plan_form(form: PlanForm) -> None:
    current = current_quality_year().start.year
    form.year.choices = [(y, quality_year(y).label) for y in (current + 1, current, current - 1)]
    form.scope_unit_id.choices = unit_choices(units=_manageable_units())


@bp.route("/planer/ny", methods=["GET", "POST"])
@login_required
def plan_new() -> Any:
    if not _manageable_units():
        abort(403)
    form = PlanForm()
    _plan_form(form)
    if request.method == "GET":
        form.year.data = current_quality_year().start.year
    if form.validate_on_submit():
        scope = db.session.get(Unit, form.scope_unit_id.data or 0)
        if scope is None:
            form.scope_unit_id.errors = ["Välj en enhet."]
        else:
            try:
                plan = ops.create_plan(
                    current_user,
                    year=int(form.year.data or 0),
                    name=form.name.data or "",
                    scope=scope,
                    description=form.description.data or "",
                )
            except OperationError as exc:
                apply_operation_error(form, exc)
            else:
                flash("Planen är skapad. Lägg till kontroller.", "success")
                return redirect(url_for(".plan", plan_id=plan.id))
    status = 422 if form.errors else 200
    return render_template("egenkontroll/plan_form.html", form=form, plan=None), status


@bp.route("/planer/<int:plan_id>")
@login_required
def plan(plan_id: int) -> Any:
    item = _plan(plan_id)
    return render_template(
        "egenkontroll/plan.html",
        plan=item,
        period=quality_year(item.year),
        next_label=quality_year(item.year + 1).label,
        describe=describe,
        may_manage=ops.may_manage_plan(current_user, item.scope_unit),
    )


@bp.route("/planer/<int:plan_id>/redigera", methods=["GET", "POST"])
@login_required
def plan_edit(plan_id: int) -> Any:
    item = _plan(plan_id)
    if not ops.may_manage_plan(current_user, item.scope_unit):
        abort(403)
    form = PlanForm(obj=item)
    _plan_form(form)
    form.year.render_kw = {"disabled": True}
    form.scope_unit_id.render_kw = {"disabled": True}
    form.year.data, form.scope_unit_id.data = item.year, item.scope_unit_id
    if form.validate_on_submit():
        try:
            ops.update_plan(
                current_user, item, name=form.name.data or "", description=form.description.data
            )
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            flash("Planen är sparad.", "success")
            return redirect(url_for(".plan", plan_id=item.id))
    status = 422 if form.errors else 200
    return render_template("egenkontroll/plan_form.html", form=form, plan=item), status


@bp.route("/planer/<int:plan_id>/faststall", methods=["POST"])
@login_required
def plan_adopt(plan_id: int) -> Any:
    item = _plan(plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        created = ops.adopt_plan(current_user, item)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash(f"Planen är fastställd. {created} tillfällen skapades.", "success")
    return redirect(url_for(".plan", plan_id=item.id))


@bp.route("/planer/<int:plan_id>/kopiera", methods=["POST"])
@login_required
def plan_copy(plan_id: int) -> Any:
    item = _plan(plan_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        copy = ops.copy_plan(current_user, item)
    except OperationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for(".plan", plan_id=item.id))
    flash(f"Planen är kopierad till {quality_year(copy.year).label} som utkast.", "success")
    return redirect(url_for(".plan", plan_id=copy.id))


def _kontroll_form(form: KontrollForm, plan: EgenkontrollPlan) -> None:
    units = db.session.scalars(
        select(Unit)
        .where(Unit.path.startswith(plan.scope_unit.path), Unit.active.is_(True))
        .order_by(Unit.path)
    ).all()
    form.unit_ids.choices = unit_choices(units=list(units))


def _save_kontroll(plan: EgenkontrollPlan, kontroll: Kontroll | None) -> Any:
    if not ops.may_manage_plan(current_user, plan.scope_unit):
        abort(403)
    form = KontrollForm()
    _kontroll_form(form, plan)
    if request.method == "GET":
        if kontroll is not None:
            rule = kontroll.rule
            form.process(
                obj=kontroll,
                freq=rule.freq,
                start=rule.start,
                interval=rule.interval,
                day=rule.day,
                month=rule.month,
                until=rule.until,
                unit_ids=[u.id for u in kontroll.units],
                questions="\n".join(f.text for f in kontroll.active_fragor),
            )
        else:
            form.start.data = quality_year(plan.year).start
    elif form.validate_on_submit():
        try:
            rule = Rule(
                freq=form.freq.data or "monthly",
                start=form.start.data,  # type: ignore[arg-type]
                interval=form.interval.data or 1,
                day=form.day.data,
                month=form.month.data,
                until=form.until.data,
            )
        except ValueError:
            form.freq.errors = [
                "Kontrollera frekvensen: för kvartal anges första kvartalsmånad 1–3 och "
                "”till och med” får inte vara före startdatum."
            ]
        else:
            units = list(
                db.session.scalars(select(Unit).where(Unit.id.in_(form.unit_ids.data or [])))
            )
            try:
                saved = ops.save_kontroll(
                    current_user,
                    plan,
                    kontroll,
                    title=form.title.data or "",
                    description=form.description.data or "",
                    method=form.method.data or "",
                    sample_size=form.sample_size.data or 0,
                    rule=rule,
                    responsible_role=form.responsible_role.data or "",
                    due_working_days=form.due_working_days.data or 0,
                    units=units,
                    questions=(form.questions.data or "").splitlines(),
                    active=bool(form.active.data),
                )
            except OperationError as exc:
                db.session.expire_all()
                apply_operation_error(form, exc)
            else:
                flash(f"Kontrollen är sparad: {describe(saved.rule)}.", "success")
                return redirect(url_for(".plan", plan_id=plan.id))
    status = 422 if form.errors else 200
    return render_template(
        "egenkontroll/kontroll_form.html", form=form, plan=plan, kontroll=kontroll
    ), status


@bp.route("/planer/<int:plan_id>/kontroller/ny", methods=["GET", "POST"])
@login_required
def kontroll_new(plan_id: int) -> Any:
    return _save_kontroll(_plan(plan_id), None)


@bp.route("/kontroller/<int:kontroll_id>/redigera", methods=["GET", "POST"])
@login_required
def kontroll_edit(kontroll_id: int) -> Any:
    kontroll = db.session.get(Kontroll, kontroll_id)
    if kontroll is None:
        abort(404)
    return _save_kontroll(_plan(kontroll.plan_id), kontroll)


# --- statistics -------------------------------------------------------------------------


@bp.route("/statistik")
@login_required
def stats() -> Any:
    paths = statistics_paths(current_user, "EGK")
    if not paths:
        abort(403)
    roots = db.session.scalars(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)).all()
    root = roots[0]
    wanted = db.session.get(Unit, arg_int(request.args.get("enhet")) or 0)
    if wanted is not None and statistics_detail(current_user, "EGK", wanted) is not None:
        root = wanted
    detail = statistics_detail(current_user, "EGK", root)
    assert detail is not None
    period = parse_quality_year(request.args.get("ar")) or current_quality_year()
    now, before = statistics_with_previous(root, period)
    scope_units = db.session.scalars(
        select(Unit)
        .where(or_(*[Unit.path.startswith(p) for p in paths]), Unit.active.is_(True))
        .order_by(Unit.path)
    ).all()
    return render_template(
        "egenkontroll/stats.html",
        root=root,
        period=period,
        current=shown_statistics(detail, now),
        previous=shown_statistics(detail, before),
        read_only=detail == Detail.AGGREGATE,
        units=unit_choices(units=list(scope_units)),
        years=[quality_year(current_quality_year().start.year - d) for d in range(5)],
        today=clock.today(),
        PlanStatus=PlanStatus,
        by_area=area_table("EGK", root, period, detail),
    )
