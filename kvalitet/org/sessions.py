"""Server-side sessions: every login starts a `UserSession` row, the browser's (signed) cookie
carries only its random key, and each request checks that the row is still open and within
the idle and absolute timeouts (settings SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_MINUTES).
Logout, a password change, a deactivated account or a timeout end the row, so a cookie copied
before that stops working at once.

Any login path (password, SSO) goes through Flask-Login's `login_user`, whose signal starts
the session here; `logout_user` ends it.

Times are wall-clock time (`wall_now`), not the business clock (`kvalitet.core.clock`) that
tests and the demo move around: freezing the business date must not log people out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, request, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.orm import contains_eager

from kvalitet.core import memo
from kvalitet.extensions import db
from kvalitet.org.models import RoleAssignment, Unit, User, UserSession

SESSION_KEY = "_kv_sid"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute


def wall_now() -> datetime:
    return datetime.now(UTC)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=int(current_app.config[name]))


def start(user: User) -> str:
    """Open a session for `user`, put its key in the cookie and return the key."""
    key = secrets.token_urlsafe(32)
    now = wall_now()
    db.session.add(
        UserSession(user_id=user.id, key_hash=_hash(key), created_at=now, last_seen_at=now)
    )
    db.session.flush()  # committed with the request's unit of work, before the response
    session[SESSION_KEY] = key
    return key


# Values every page shows about the logged-in user that ride along in the session's
# statement: name -> (the model whose rows they are read from, a scalar subquery of the
# user id). Registered by the layers above (kvalitet.web: the bell's unread count); each is
# kept for the request with core.memo, so a flush of that model's rows or a rollback
# forgets it and the next reader asks again. The statement is built once (_session_statement),
# so a rider must not bind a value of the request (the time, the user): only columns.
RIDERS: dict[str, tuple[type, Callable[[Any], ColumnElement[Any]]]] = {}


def current() -> UserSession | None:
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or not key:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.key_hash == _hash(key)))


def _current_with_user() -> UserSession | None:
    """The session row, and in the same statement its user, the user's roles with their
    units (what the policy asks on every page) and the RIDERS: one statement instead of
    three or four. The user lands in the session's identity map, where Flask-Login's
    user loader (kvalitet.web) finds it without asking again."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or not key:
        return None
    row = db.session.execute(_session_statement(), {"key_hash": _hash(key)}).unique().first()
    if row is None:
        return None
    cookie_user = str(session.get("_user_id", "")).partition(":")[0]
    if cookie_user == str(row[1].id):
        # The session's identity map holds its objects weakly: keep the user for the
        # request, so the user loader finds it there.
        g.session_user = row[1]
        for index, (name, (model, _make)) in enumerate(RIDERS.items(), start=2):
            memo.remember(name, model, row[index])
    return row[0]  # type: ignore[no-any-return]


# The session's statement, built once per set of RIDERS: the same object on every request,
# so SQLAlchemy finds its compiled form without building the statement and its cache key
# again (2-3 % of a page's CPU; docs/benchmarks.md, session 15).
_STATEMENTS: dict[tuple[str, ...], Any] = {}


def _session_statement() -> Any:
    names = tuple(RIDERS)
    statement = _STATEMENTS.get(names)
    if statement is None:
        riders = [make(UserSession.user_id).label(name) for name, (_, make) in RIDERS.items()]
        statement = (
            select(UserSession, User, *riders)
            .join(User, User.id == UserSession.user_id)
            .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
            .outerjoin(Unit, Unit.id == RoleAssignment.unit_id)
            .options(contains_eager(User.roles).contains_eager(RoleAssignment.unit))
            .where(UserSession.key_hash == bindparam("key_hash"))
        )
        _STATEMENTS[names] = statement
    return statement


def end_current(reason: str = "utloggad") -> None:
    row = current()
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = wall_now(), reason
        db.session.flush()
    session.pop(SESSION_KEY, None)


def end_all(user: User, reason: str) -> int:
    """End every open session of `user` (flush only: the caller's unit of work commits)."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=wall_now(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.created_at.desc())
        )
    )


def _expired(row: UserSession, now: datetime) -> str | None:
    if row.ended_at is not None:
        return row.end_reason or "avslutad"
    if now - row.last_seen_at > _minutes("SESSION_IDLE_MINUTES"):
        return "inaktiv"
    if now - row.created_at > _minutes("SESSION_ABSOLUTE_MINUTES"):
        return "maxtid"
    return None


def check_request() -> None:
    """Before each request: a cookie that claims a login must name an open session. (Runs
    before the request's unit of work, so it commits its own bookkeeping.)"""
    if "_user_id" not in session or request.endpoint == "static":
        return
    row = _current_with_user()
    now = wall_now()
    reason = "saknas" if row is None else _expired(row, now)
    if reason is not None:
        if row is not None and row.ended_at is None:
            row.ended_at, row.end_reason = now, reason
            db.session.commit()
        session.clear()
        if reason in ("inaktiv", "maxtid"):
            flash("Du har loggats ut eftersom sessionen hade gått ut. Logga in igen.", "info")
        return
    assert row is not None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()


def _on_login(sender: Any, user: User, **extra: Any) -> None:
    start(user)


def _on_logout(sender: Any, user: Any = None, **extra: Any) -> None:
    end_current()


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def cookies_secure(config: Any) -> bool:
    """Secure cookies by default; only testing and local development over http are not."""
    if config.get("TESTING"):
        return False
    host = (urlsplit(str(config.get("BASE_URL") or "")).hostname or "").lower()
    return host not in LOCAL_HOSTS


def init_app(app: Flask) -> None:
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(name) is None:
            app.config[name] = cookies_secure(app.config)
    user_logged_in.connect(_on_login, app)
    user_logged_out.connect(_on_logout, app)
    app.before_request(check_request)
