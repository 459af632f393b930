"""Login, logout and the user's own account."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from kvalitet.core import audit, pii
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import Role
from kvalitet.core.web import apply_operation_error, safe_next
from kvalitet.extensions import limiter
from kvalitet.org import operations, sessions
from kvalitet.org.forms import ForgotPasswordForm, LoginForm, PasswordForm, ResetPasswordForm

bp = Blueprint("auth", __name__)
bp.record_once(lambda state: sessions.init_app(state.app))  # type: ignore[arg-type]


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
            login_user(current_user._get_current_object())  # a new session for this browser
            flash("Lösenordet är bytt.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/pii-kontroll", methods=["POST"])
@limiter.limit("240 per minute")
def pii_check() -> Any:
    """The personnummer guard for the live warning while typing (static/js/pii-warning.js).
    POST so the text never lands in an access log; open to the public e-tjänst too, it only
    answers whether the text would be refused."""
    payload = request.get_json(silent=True) or {}
    text = payload.get("text") if isinstance(payload, dict) else None
    found = isinstance(text, str) and len(text) <= 100_000 and pii.contains_personnummer(text)
    return jsonify({"found": bool(found), "message": pii.PII_MESSAGE if found else ""})


@bp.route("/glomt-losenord", methods=["GET", "POST"])
@limiter.limit("5 per minute; 30 per hour", methods=["POST"])
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data or "", current_app.config["BASE_URL"])
        # The same answer whether or not the address has an account.
        flash(
            "Om adressen hör till ett konto har vi skickat en länk för att välja nytt lösenord. "
            "Länken fungerar en gång och en kort tid.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("org/forgot_password.html", form=form)


@bp.route("/aterstall-losenord/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def reset_password(token: str) -> Any:
    if operations.reset_for_token(token) is None:
        return render_template("org/reset_password.html", form=None), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.new.data or "", form.repeat.data or "")
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            if current_user.is_authenticated:
                logout_user()
            flash("Lösenordet är bytt. Logga in med det nya lösenordet.", "success")
            return redirect(url_for("auth.login"))
    return render_template("org/reset_password.html", form=form)


def _require_admin() -> None:
    if not current_user.has_role(Role.ADMIN):
        abort(403)


@bp.route("/admin/inloggningssparrar")
@login_required
def locks() -> Any:
    _require_admin()
    return render_template("org/locks.html", locks=operations.current_locks())


@bp.route("/admin/inloggningssparrar/<int:throttle_id>/hav", methods=["POST"])
@login_required
def lift_lock(throttle_id: int) -> Any:
    _require_admin()
    try:
        operations.lift_lock(current_user, throttle_id)
    except OperationError as exc:
        flash(exc.message, "danger")
    else:
        flash("Spärren är hävd.", "success")
    return redirect(url_for("auth.locks"))
