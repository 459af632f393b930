"""Web plumbing shared by every blueprint: login loading, error pages, template helpers."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import itertools
import secrets
from typing import Any

from flask import Flask, g, has_request_context, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from kvalitet import inputguard
from kvalitet.arshjul import scheduler
from kvalitet.core import clock, memo, refcache, uow
from kvalitet.core.errors import OperationError
from kvalitet.core.numbers import format_number, format_percent
from kvalitet.core.permissions import can
from kvalitet.core.web import (
    ERROR_TEXTS,
    error_page,
    format_date,
    format_datetime,
    page_url,
    wants_json,
)
from kvalitet.core.workflow import available_transitions, check_transition
from kvalitet.extensions import db, login_manager
from kvalitet.inputguard import InputRefused
from kvalitet.items import fieldlabels, queries
from kvalitet.items.models import LINK_LABELS
from kvalitet.modules import MODULES
from kvalitet.notify.models import Notification
from kvalitet.notify.operations import UNREAD_KEY, unread_subquery
from kvalitet.notify.operations import unread_count as count
from kvalitet.org import sessions
from kvalitet.org.models import User
from kvalitet.sso import providers as sso_providers

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class KvalitetFlask(Flask):
    """Flask with one unit of work per request: the view runs, then the request commits
    once; a view that raises rolls everything back (see kvalitet.core.uow)."""

    def full_dispatch_request(self) -> Any:
        view = self.view_functions.get(request.endpoint or "")
        token = uow.write_intent.set(request.method not in SAFE_METHODS or uow.view_writes(view))
        try:
            return super().full_dispatch_request()
        finally:
            uow.write_intent.reset(token)

    def dispatch_request(self) -> Any:
        # make_response inside the unit: a template that fails to render rolls back too.
        return uow.run(lambda: self.make_response(Flask.dispatch_request(self)))


def init_app(app: Flask) -> None:

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    sessions.RIDERS[UNREAD_KEY] = (Notification, unread_subquery)
    # The reference tables' counters: the unit tree and the lagrum table kept by the
    # process are used only for the stamp they were read at (core.refcache).
    sessions.RIDERS[refcache.STAMP_KEY] = (refcache.ReferenceStamp, refcache.stamp_rider)

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
            title = ERROR_TEXTS.get(error.status, ERROR_TEXTS[400])[0]
            body: dict[str, Any] = {"status": error.status, "title": title,
                                    "message": error.message}  # fmt: skip
            if error.fields:
                body["fields"] = {key: [message] for key, message in error.fields.items()}
            return jsonify({"error": body}), error.status
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

    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["unique_id"] = lambda prefix="id": f"{prefix}{next(_unique_ids)}"

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
    app.jinja_env.filters["tal"] = format_number
    app.jinja_env.filters["procent"] = format_percent
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


PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=()"
)


_unique_ids = itertools.count(1)  # element ids that must not repeat on a page (fitted tables)


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
    # Forms may lead on to the identity provider (logout there, the SAML POST binding).
    form_action = " ".join(["'self'", *sso_providers.form_action_origins()])
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {style}; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        f"object-src 'none'; base-uri 'none'; form-action {form_action}; "
        "frame-ancestors 'none'"
    )


def unread_count() -> int:
    """The bell's count of unread notices, once per request: read with the session's
    statement (org.sessions.RIDERS), forgotten by a flush of notification rows or a rollback
    (core.memo) and by notify's bulk writes, then asked again."""
    if not current_user.is_authenticated:
        return 0
    return int(memo.remembered(UNREAD_KEY, Notification, lambda: count(current_user)))


def warm_templates(app: Flask) -> int:
    """Compile every template of the app now (Jinja keeps them; up to its cache size of 400,
    more than there are) instead of on the first request that draws each: gunicorn.conf.py
    calls it as each worker starts. Returns how many."""
    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


@functools.cache
def _nav_modules() -> tuple[Any, ...]:
    """The modules' nav.py, found once per process (looking for them on every page cost a
    file-system search per module that has none)."""
    return tuple(
        importlib.import_module(f"kvalitet.{name}.nav")
        for name in MODULES
        if importlib.util.find_spec(f"kvalitet.{name}.nav") is not None
    )


def nav_entries() -> list[dict[str, Any]]:
    """Menu entries from every module's nav.py, for the current user."""
    entries: list[dict[str, Any]] = []
    if not current_user.is_authenticated:
        return entries
    for module in _nav_modules():
        entries.extend(module.nav(current_user))
    entries.sort(key=lambda e: e.get("order", 100))
    return entries


def _item_globals(app: Flask) -> None:
    """Helpers for templates/items/_panel.html, the part every item page shares."""
    from flask_wtf import FlaskForm

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
        item_field_changes=fieldlabels.changes,
        item_attachments=queries.attachments,
        item_links=lambda item: queries.visible_links(item, current_user),
        item_transitions=item_transitions,
        item_read_log=queries.read_log,
        link_labels=LINK_LABELS,
        empty_form=FlaskForm,
    )
