"""Web plumbing shared by every blueprint: login loading, error pages, template helpers."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, g, has_request_context, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db, login_manager

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


def error_page(code: int, message: str | None = None) -> tuple[Any, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if wants_json():
        return jsonify(
            {"error": {"status": code, "title": title, "message": message or text}}
        ), code
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

    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure and app.config.get("HSTS_SECONDS"):
            response.headers.setdefault(
                "Strict-Transport-Security",
                f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains",
            )
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
        db.session.execute(select(1))
        return {"status": "ok"}


PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=()"
)


def csp_nonce() -> str:
    """The nonce of this response, for the few <style> blocks of print and PDF pages."""
    if not has_request_context():
        return ""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy() -> str:
    """No inline script or style anywhere: scripts and styles come from /static/ only (the
    print and PDF pages' <style> blocks carry this response's nonce). No framing."""
    style = "'self'" + (f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "")
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {style}; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


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
    """`target` if it is a path on this site, else `default`. Refuses control, format and
    space characters and backslashes outright (browsers and the framework drop or turn them
    into "/", so "/%09/evil.com" would become "//evil.com"), and anything with a scheme or a
    host."""
    if not target or len(target) > 2000:
        return default
    if any(unicodedata.category(c)[0] in "CZ" or c == "\\" for c in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


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
