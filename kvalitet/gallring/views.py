"""The gallring page of the kvalitetsutvecklare: rules, preview, run, holds, gallringslogg."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from kvalitet.core.errors import OperationError
from kvalitet.core.web import apply_operation_error
from kvalitet.extensions import db
from kvalitet.gallring import operations as ops
from kvalitet.gallring.forms import HoldForm, RuleForm
from kvalitet.org.models import User

bp = Blueprint("gallring", __name__, url_prefix="/gallring")


def _require() -> None:
    if not ops.may_manage(current_user):
        abort(403)


def _page(hold_form: HoldForm | None = None, status: int = 200) -> Any:
    labels = ops.kind_labels()
    rule_forms = []
    for rule in ops.rules():
        form = RuleForm(prefix=f"r{rule.id}", formdata=None, kind=rule.kind, years=rule.years,
                        active=rule.active, basis=rule.basis)  # fmt: skip
        rule_forms.append((rule, form))
    return render_template(
        "gallring/index.html",
        labels=labels,
        rule_forms=rule_forms,
        preview=ops.preview(),
        logs=ops.logs(),
        holds=ops.holds(),
        hold_form=hold_form or HoldForm(),
        log_actor=_actor_name,
    ), status


def _actor_name(log: Any) -> str:
    if log.actor_id is None:
        return "Schemalagd körning"
    user = db.session.get(User, log.actor_id)
    return user.name if user else "–"


@bp.route("/")
@login_required
def index() -> Any:
    _require()
    return _page()


@bp.route("/regel/<int:rule_id>", methods=["POST"])
@login_required
def save_rule(rule_id: int) -> Any:
    _require()
    form = RuleForm(prefix=f"r{rule_id}")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("gallring.index"))
    try:
        ops.set_rule(current_user, form.kind.data or "", int(form.years.data or 0),
                     bool(form.active.data), form.basis.data or "")  # fmt: skip
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash("Regeln är sparad.", "success")
    return redirect(url_for("gallring.index"))


@bp.route("/kor", methods=["POST"])
@login_required
def run_now() -> Any:
    _require()
    logs = ops.run(current_user)
    total = sum(log.item_count for log in logs)
    flash(f"Gallringen är gjord: {total} ärenden. Se gallringsloggen.", "success")
    return redirect(url_for("gallring.index"))


@bp.route("/sparr", methods=["POST"])
@login_required
def hold() -> Any:
    _require()
    form = HoldForm()
    if form.validate_on_submit():
        try:
            ops.place_hold(current_user, form.ref.data or "", form.reason.data or "")
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            flash("Ärendet är spärrat från gallring.", "success")
            return redirect(url_for("gallring.index"))
    return _page(form, 422)


@bp.route("/sparr/<int:hold_id>/hav", methods=["POST"])
@login_required
def lift(hold_id: int) -> Any:
    _require()
    ops.lift_hold(current_user, hold_id)
    flash("Spärren är hävd.", "success")
    return redirect(url_for("gallring.index"))
