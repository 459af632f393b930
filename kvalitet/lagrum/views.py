"""Admin › Lagrum: every legal reference, its wordings and the dates they apply from. Also
registers the template global `lagrum(key, on_date)`."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from kvalitet.core.errors import OperationError
from kvalitet.core.permissions import is_admin
from kvalitet.extensions import db
from kvalitet.lagrum import operations
from kvalitet.lagrum.forms import LagrumForm, NewLagrumForm
from kvalitet.lagrum.lookup import lagrum
from kvalitet.lagrum.models import Lagrum

bp = Blueprint("lagrum", __name__, url_prefix="/admin/lagrum")
bp.add_app_template_global(lagrum, "lagrum")


def _admin() -> None:
    if not is_admin(current_user):
        abort(403)


def _fail(form: Any, exc: OperationError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*list(target.errors), exc.message]
    else:
        form.form_errors.append(exc.message)


def _page(new_form: NewLagrumForm, status: int = 200) -> Any:
    rows = db.session.scalars(select(Lagrum).order_by(Lagrum.key, Lagrum.valid_from)).all()
    groups = [(key, list(items)) for key, items in groupby(rows, key=lambda r: r.key)]
    return render_template("lagrum/index.html", groups=groups, form=new_form), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> Any:
    _admin()
    form = NewLagrumForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                row = operations.add_lagrum(
                    current_user,
                    key=form.key.data or "",
                    valid_from=form.valid_from.data,
                    text=form.text.data or "",
                    description=form.description.data or "",
                )
            except OperationError as exc:
                _fail(form, exc)
            else:
                flash(f"Lagrummet {row.key} från {row.valid_from:%Y-%m-%d} är sparat.", "success")
                return redirect(url_for("lagrum.index"))
        return _page(form, 422)
    return _page(form)


@bp.route("/<int:row_id>", methods=["GET", "POST"])
@login_required
def edit(row_id: int) -> Any:
    _admin()
    row = db.session.get(Lagrum, row_id)
    if row is None:
        abort(404)
    form = LagrumForm(obj=row) if request.method == "GET" else LagrumForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                operations.update_lagrum(
                    current_user, row, valid_from=form.valid_from.data, text=form.text.data or ""
                )
            except OperationError as exc:
                db.session.rollback()
                _fail(form, exc)
            else:
                flash("Lagrummet är ändrat.", "success")
                return redirect(url_for("lagrum.index"))
    return render_template("lagrum/edit.html", row=row, form=form), status
