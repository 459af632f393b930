"""Login, logout and the user's own account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from kvalitet.core import audit
from kvalitet.core.errors import OperationError
from kvalitet.core.web import apply_operation_error, safe_next
from kvalitet.extensions import limiter
from kvalitet.org import operations
from kvalitet.org.forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("items.inbox"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data or "", form.password.data or "")
        except OperationError as exc:
            error = exc.message
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next"), url_for("items.inbox")))
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/logga-ut", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        audit.record(current_user, "logout", target=f"user:{current_user.id}", summary="Loggade ut")
    logout_user()
    flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/konto", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(
                current_user, form.current.data or "", form.new.data or "", form.repeat.data or ""
            )
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            login_user(current_user)  # new session token
            flash("Lösenordet är bytt.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
