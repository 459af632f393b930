"""Årshjul pages: the year view, the activities (edited by the kvalitetsutvecklare) and the
task page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from kvalitet.arshjul import operations
from kvalitet.arshjul.forms import AktivitetForm, DueDateForm
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift
from kvalitet.arshjul.queries import scope_units, year_view
from kvalitet.core.errors import OperationError
from kvalitet.core.periods import current_quality_year, parse_quality_year, recent_quality_years
from kvalitet.core.permissions import can
from kvalitet.core.recurrence import describe
from kvalitet.core.roles import ROLE_LABELS
from kvalitet.core.web import apply_operation_error, form_version
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit
from kvalitet.org.operations import unit_choices

bp = Blueprint("arshjul", __name__, url_prefix="/arshjul")


@bp.route("/")
@login_required
def year() -> Any:
    units = scope_units(current_user)
    if not units:
        abort(404)
    by_id = {u.id: u for u in units}
    raw = request.args.get("enhet", "")
    root = by_id.get(int(raw)) if raw.isdigit() else None
    if root is None:
        root = min(units, key=lambda u: u.depth)
    period = parse_quality_year(request.args.get("ar")) or current_quality_year()
    years = recent_quality_years(4)
    following = parse_quality_year(str(years[0].start.year + 1))
    if following is not None:
        years.insert(0, following)
    return render_template(
        "arshjul/year.html",
        months=year_view(current_user, root, period),
        root=root,
        period=period,
        years=years,
        unit_options=unit_choices(units=units),
        may_edit=operations.may_edit_plan(current_user),
    )


def _activity_form(form: AktivitetForm) -> AktivitetForm:
    form.set_role_choices(operations.RESPONSIBLE_ROLES)
    form.units.choices = unit_choices()  # type: ignore[assignment]
    form.egk_metod.choices = [  # type: ignore[assignment]
        ("", "Nej, en egen uppgift i årshjulet"),
        *operations.EGK_METOD_CHOICES,
    ]
    return form


def _save(form: AktivitetForm, akt: ArshjulAktivitet | None) -> Any:
    try:
        rule = operations.make_rule(
            form.freq.data or "", form.start.data, form.interval.data, form.day.data,
            form.month.data, form.until.data,
        )  # fmt: skip
        units = list(db.session.scalars(select(Unit).where(Unit.id.in_(form.units.data or []))))
        fields = {
            "title": form.title.data or "",
            "description": form.description.data or "",
            "rule": rule,
            "responsible_role": form.responsible_role.data,
            "units": units,
            "scope_kind": form.scope_kind.data or None,
            "lead_days": form.lead_days.data if form.lead_days.data is not None else 30,
            "active": form.active.data,
            "egk_metod": form.egk_metod.data or None,
        }
        if akt is None:
            akt = operations.create_activity(current_user, **fields)
        else:
            akt = operations.update_activity(current_user, akt, **fields)
    except OperationError as error:
        apply_operation_error(form, error)
        return None
    return akt


@bp.route("/aktiviteter")
@login_required
def activities() -> Any:
    items = list(
        db.session.scalars(
            select(ArshjulAktivitet).order_by(
                ArshjulAktivitet.active.desc(), ArshjulAktivitet.sort_order, ArshjulAktivitet.title
            )
        )
    )
    return render_template(
        "arshjul/activities.html", activities=items, describe=describe, role_labels=ROLE_LABELS,
        may_edit=operations.may_edit_plan(current_user),
    )  # fmt: skip


@bp.route("/aktiviteter/typiskt-ar", methods=["POST"])
@login_required
def activities_typical() -> Any:
    if not operations.may_edit_plan(current_user):
        abort(403)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        count = operations.seed_typical_year(current_user)
    except OperationError as error:
        flash(error.message, "danger")
    else:
        flash(f"{count} aktiviteter är inlagda. Ändra dem så att de passar er.", "success")
    return redirect(url_for("arshjul.activities"))


@bp.route("/aktiviteter/ny", methods=["GET", "POST"])
@login_required
def activity_new() -> Any:
    if not operations.may_edit_plan(current_user):
        abort(403)
    form = _activity_form(AktivitetForm())
    if form.validate_on_submit():
        akt = _save(form, None)
        if akt is not None:
            flash(f"Aktiviteten ”{akt.title}” är sparad.", "success")
            return redirect(url_for("arshjul.activities"))
    status = 422 if form.is_submitted() else 200
    return render_template("arshjul/activity_form.html", form=form, akt=None), status


@bp.route("/aktiviteter/<int:akt_id>", methods=["GET", "POST"])
@login_required
def activity_edit(akt_id: int) -> Any:
    if not operations.may_edit_plan(current_user):
        abort(403)
    akt = db.session.get(ArshjulAktivitet, akt_id)
    if akt is None:
        abort(404)
    form = _activity_form(AktivitetForm())
    if request.method == "GET":
        form.title.data, form.description.data = akt.title, akt.description
        form.responsible_role.data, form.lead_days.data = akt.responsible_role, akt.lead_days
        form.active.data = akt.active
        rule = akt.rule
        form.freq.data, form.start.data, form.interval.data = rule.freq, rule.start, rule.interval
        form.day.data, form.month.data, form.until.data = rule.day, rule.month, rule.until
        form.units.data = [u.id for u in akt.units]
        form.scope_kind.data = akt.scope_kind or ""
        form.egk_metod.data = akt.egk_metod or ""
    if form.validate_on_submit() and _save(form, akt) is not None:
        flash(f"Aktiviteten ”{akt.title}” är sparad.", "success")
        return redirect(url_for("arshjul.activities"))
    status = 422 if form.is_submitted() else 200
    return render_template("arshjul/activity_form.html", form=form, akt=akt), status


@bp.route("/uppgift/<ref>", methods=["GET", "POST"])
@login_required
def task(ref: str) -> Any:
    item = load_item(ref, current_user, ArshjulUppgift)
    form = DueDateForm(obj=item)
    if request.method == "POST":
        if not can(current_user, "edit", item):
            abort(403)
        if form.validate_on_submit():
            try:
                operations.set_due_date(current_user, item, form.due_date.data, form_version())
            except OperationError as error:
                apply_operation_error(form, error)
            else:
                flash(f"{item.ref}: nytt datum {item.due_date}.", "success")
                return redirect(url_for("arshjul.task", ref=item.ref))
        return render_template("arshjul/task.html", item=item, form=form), 422
    return render_template("arshjul/task.html", item=item, form=form)
