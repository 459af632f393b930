"""Web plumbing shared by every blueprint: login loading, error pages, template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, flash, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from kvalitet import inputguard
from kvalitet.arshjul import scheduler
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db, login_manager
from kvalitet.inputguard import InputRefused

ERROR_TEXTS = {
    400: (
        "Felaktig begäran",
        "Det som skickades gick inte att förstå. Gå tillbaka och försök igen.",
    ),
    403: ("Ingen behörighet", "Du har inte behörighet att göra det här."),
    404: (
        "Sidan finns inte",
        "Sidan eller ärendet finns inte, eller så har du inte tillgång till det.",
    ),
    405: ("Metoden stöds inte", "Den här sidan kan inte användas på det sättet."),
    409: ("Konflikt", "Ärendet har ändrats av någon annan. Ladda om sidan och försök igen."),
    413: ("För stor fil", "Det du skickade är för stort."),
    422: ("Uppgifterna kunde inte sparas", "Kontrollera uppgifterna och försök igen."),
    429: (
        "För många försök",
        "Du har gjort för många försök på kort tid. Vänta en stund och försök igen.",
    ),
    500: (
        "Något gick fel",
        "Ett oväntat fel inträffade. Inget har sparats. Försök igen om en stund.",
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_page(
    code: int, message: str | None = None, fields: dict[str, list[str]] | None = None
) -> tuple[Any, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if wants_json():
        error: dict[str, Any] = {"status": code, "title": title, "message": message or text}
        if fields:
            error["fields"] = fields
        return jsonify({"error": error}), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def init_app(app: Flask) -> None:
    from kvalitet.org.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        ident, _, token = user_id.partition(":")
        if not ident.isdigit():
            return None
        user = db.session.get(User, int(ident))
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return error_page(
            400,
            "Formuläret hade gått ut eller saknade sin säkerhetskod. Inget sparades. "
            "Ladda om sidan och försök igen.",
        )

    inputguard.install(app)

    @app.errorhandler(InputRefused)
    def input_refused(error: InputRefused) -> Any:
        db.session.rollback()
        if wants_json():
            fields = {key: [message] for key, message in error.fields.items()}
            return error_page(error.status, error.message, fields)
        details = " ".join(f"{key}: {message}" for key, message in sorted(error.fields.items()))
        text = f"{error.message} {details} Gå tillbaka och försök igen."
        return error_page(error.status if error.status == 413 else 400, text)

    @app.errorhandler(OperationError)
    def operation_error(error: OperationError) -> Any:
        db.session.rollback()
        return error_page(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if code == 429:
            return error_page(429)
        return error_page(code if code in ERROR_TEXTS else 400)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return error_page(500)

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith("/static/"):
            return response
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.jinja_env.filters["datum"] = format_date
    app.jinja_env.filters["tid"] = format_datetime
    app.jinja_env.filters["ja_nej"] = lambda v: "Ja" if v else "Nej"
    app.jinja_env.globals["today"] = clock.today
    app.jinja_env.globals["nav_entries"] = nav_entries
    app.jinja_env.globals["page_url"] = page_url
    _item_globals(app)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "organisation_name": app.config["ORGANISATION_NAME"],
            "unread_count": unread_count(),
        }

    @app.route("/healthz")
    def healthz() -> Any:
        """JSON for monitoring: 200 when the database answers and the scheduler's heartbeat
        is fresh, 503 (with what is missing) otherwise. Never the HTML error page."""
        try:
            db.session.execute(select(1))
            lease = scheduler.lease_status()
        except Exception as error:  # the database is down or unreachable
            db.session.rollback()
            app.logger.warning("healthz: database unavailable: %s", error)
            return {"status": "fel", "database": "fel", "scheduler": None}, 503
        body = {
            "status": "ok" if lease["alive"] else "fel",
            "database": "ok",
            "scheduler": {
                "status": "ok" if lease["alive"] else "saknas",
                "heartbeat_at": lease["heartbeat_at"],
                "holder": lease["holder"],
            },
        }
        return body, 200 if lease["alive"] else 503


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_local(value).date()  # type: ignore[union-attr]
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = clock.to_local(value)
    assert local is not None
    return local.strftime("%Y-%m-%d %H:%M")


def page_url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "items.inbox", **(request.view_args or {}), **args)


def unread_count() -> int:
    if not current_user.is_authenticated:
        return 0
    from kvalitet.notify.operations import unread_count as count

    return count(current_user)


def nav_entries() -> list[dict[str, Any]]:
    """Menu entries from every module's nav.py, for the current user."""
    import importlib
    import importlib.util

    from kvalitet.modules import MODULES

    entries: list[dict[str, Any]] = []
    if not current_user.is_authenticated:
        return entries
    for name in MODULES:
        if importlib.util.find_spec(f"kvalitet.{name}.nav") is None:
            continue
        module = importlib.import_module(f"kvalitet.{name}.nav")
        entries.extend(module.nav(current_user))
    entries.sort(key=lambda e: e.get("order", 100))
    return entries


def apply_operation_error(form: Any, error: OperationError) -> None:
    """Show an OperationError next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(error.message, "danger")


def arg_int(raw: str | None) -> int | None:
    """A positive whole number from a query-string value, or None for anything else."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def arg_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) from a query-string value, or None for anything else."""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_version() -> int | None:
    """The item version a form was rendered with (hidden field "version"), for the stale-save
    check; None when absent or not a number."""
    return arg_int(request.form.get("version"))


def safe_next(target: str | None, default: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def _item_globals(app: Flask) -> None:
    """Helpers for templates/items/_panel.html, the part every item page shares."""
    from flask_wtf import FlaskForm

    from kvalitet.core.permissions import can
    from kvalitet.core.workflow import available_transitions, check_transition
    from kvalitet.items import queries
    from kvalitet.items.models import LINK_LABELS

    def item_can(action: str, item: Any) -> bool:
        return can(current_user, action, item)

    def item_transitions(item: Any) -> list[dict[str, Any]]:
        return [
            {"t": t, "problems": check_transition(current_user, item, t, reason="x")}
            for t in available_transitions(current_user, item)
        ]

    app.jinja_env.globals.update(
        item_can=item_can,
        item_timeline=queries.timeline,
        item_attachments=queries.attachments,
        item_links=lambda item: queries.visible_links(item, current_user),
        item_transitions=item_transitions,
        item_read_log=queries.read_log,
        link_labels=LINK_LABELS,
        empty_form=FlaskForm,
    )
