"""Operations on the organisation: login, passwords, units, users and roles."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, has_request_context, request
from sqlalchemy import column, event, func, or_, select, table
from sqlalchemy.orm import Session, lazyload
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from kvalitet.core import audit, clock, refcache
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.notify.models import OutboxMail
from kvalitet.org import sessions
from kvalitet.org.models import LoginThrottle, PasswordReset, RoleAssignment, Unit, UnitKind, User


def _hasher() -> PasswordHasher:
    """argon2id with the parameters in config (argon2-cffi's defaults unless overridden)."""
    config = current_app.config
    return PasswordHasher(
        time_cost=int(config.get("ARGON2_TIME_COST", 3)),
        memory_cost=int(config.get("ARGON2_MEMORY_COST", 65536)),
        parallelism=int(config.get("ARGON2_PARALLELISM", 4)),
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        ok = _hasher().verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    return bool(ok)


_SWEDISH_COMMON = Path(__file__).with_name("common_passwords_sv.txt")


@functools.cache
def _common_passwords() -> frozenset[str]:
    """Common and breached passwords: zxcvbn's list of the 30,000 most frequent passwords in
    breaches, and a shipped Swedish supplement (kvalitet/org/common_passwords_sv.txt)."""
    swedish = [
        line.strip().lower()
        for line in _SWEDISH_COMMON.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(swedish)


_TRAILING = re.compile(r"[\d\W_]+$")


def check_password_rules(
    password: str, field: str = "password", *, name: str = "", email: str = ""
) -> None:
    """NIST SP 800-63B: a minimum length, no upper limit below 64, and no password that is
    common, breached, repetitive or built on the user's own name or e-mail address. No
    composition rules."""
    minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
    password = password or ""
    if len(password) < minimum:
        raise OperationError(f"Lösenordet måste ha minst {minimum} tecken.", field=field)
    if len(password) > 200:
        raise OperationError("Lösenordet är för långt (högst 200 tecken).", field=field)
    lowered = password.lower()
    base = _TRAILING.sub("", lowered)
    common = _common_passwords()
    if lowered in common or (len(base) >= 4 and base in common):
        raise OperationError(
            "Lösenordet är för vanligt: det finns på listor över vanliga eller läckta "
            "lösenord. Välj ett annat, gärna en mening på flera ord.",
            field=field,
        )
    local = (email or "").lower().split("@")[0]
    personal = [p for p in re.split(r"[\s._+-]+", f"{name} {local}".lower()) if len(p) >= 4]
    if len(local) >= 4:
        personal.append(local)
    if any(part in lowered for part in personal):
        raise OperationError(
            "Lösenordet får inte innehålla ditt namn eller din e-postadress.", field=field
        )
    if zxcvbn(password[:100], user_inputs=[*personal, "kvalitet"])["score"] < 2:
        raise OperationError(
            "Lösenordet är för lätt att gissa (till exempel upprepade tecken, en talföljd "
            "eller ett enstaka ord). Välj ett längre, gärna en mening på flera ord.",
            field=field,
        )


def find_user_by_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


BAD_LOGIN_MESSAGE = "Fel e-postadress eller lösenord."
LOCAL_LOGIN_OFF_MESSAGE = (
    "Inloggning med lösenord är avstängd. Logga in med kommunens konto i stället."
)


def local_login_allowed(email: str) -> bool:
    """LOCAL_LOGIN_ENABLED off: only the break-glass admin accounts may use a password."""
    config = current_app.config
    if config.get("LOCAL_LOGIN_ENABLED", True):
        return True
    allowed = {str(e).strip().lower() for e in config.get("LOCAL_LOGIN_BREAK_GLASS") or []}
    return (email or "").strip().lower() in allowed


THROTTLED_MESSAGE = (
    "För många misslyckade inloggningar härifrån. Vänta en stund: försök igen om {wait}. "
    "En administratör kan se och häva spärren under Administration, Inloggningsspärrar."
)


def wait_text(seconds: float) -> str:
    """A wait in Swedish, rounded up: "1 minut", "15 minuter", "under en minut"."""
    if seconds < 60:
        return "under en minut"
    minutes = -(-int(seconds) // 60)
    return "1 minut" if minutes == 1 else f"{minutes} minuter"


def throttled_message(until: datetime, now: datetime) -> str:
    """The lock-out message, with how long the lock lasts."""
    return THROTTLED_MESSAGE.format(wait=wait_text((until - now).total_seconds()))


class LoginRefused(OperationError):
    status_code = 401


def request_address() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def _throttle(scope: str, key: str) -> LoginThrottle | None:
    return db.session.scalar(
        select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)
    )


def _blocked(row: LoginThrottle | None, now: datetime) -> bool:
    return bool(row is not None and row.blocked_until is not None and row.blocked_until > now)


def _count_failure(scope: str, key: str, address: str, email: str, now: datetime) -> LoginThrottle:
    config = current_app.config
    row = _throttle(scope, key)
    if row is None:
        row = LoginThrottle(
            scope=scope,
            key=key,
            address=address,
            email=email,
            failures=0,
            first_failure_at=now,
            last_failure_at=now,
        )
        db.session.add(row)
    if scope == "adress" and now - row.first_failure_at > timedelta(
        minutes=int(config["LOGIN_ADDRESS_WINDOW_MINUTES"])
    ):
        row.failures, row.first_failure_at = 0, now
    row.failures += 1
    row.last_failure_at = now
    if scope == "konto":
        free = int(config["LOGIN_FREE_FAILURES"])
        if row.failures > free:
            delay = int(config["LOGIN_DELAY_SECONDS"]) * 2 ** min(row.failures - free - 1, 30)
            delay = min(delay, int(config["LOGIN_DELAY_MAX_SECONDS"]))
            row.blocked_until = now + timedelta(seconds=delay)
    elif row.failures >= int(config["LOGIN_ADDRESS_MAX_FAILED"]) and not _blocked(row, now):
        row.blocked_until = now + timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"]))
        audit.record(
            None,
            "login_address_locked",
            target=f"address:{address}",
            summary=f"Inloggning från {address} spärrades efter {row.failures} misslyckade försök",
        )
    return row


def authenticate(email: str, password: str, address: str | None = None) -> User:
    """Check e-mail and password. The answer is the same for a wrong password, an unknown or
    inactive account: "Fel e-postadress eller lösenord". Failures slow down the e-mail+client
    address pair exponentially and, past a limit, lock the client address; an account is
    never locked, so nobody can lock a colleague out. Raises LoginRefused."""
    if not local_login_allowed(email):
        # Decided on the address alone, before any lookup: reveals nothing about accounts.
        raise LoginRefused(LOCAL_LOGIN_OFF_MESSAGE)
    now = clock.now()
    address = request_address() if address is None else address
    typed = (email or "").strip().lower()[:254]
    pair_key = f"{typed}|{address}"
    rows = [_throttle("adress", address), _throttle("konto", pair_key)]
    if any(_blocked(row, now) for row in rows):
        # Attempts while waiting still count against the address, so hammering locks it.
        counted = _count_failure("adress", address, address, "", now)
        # Flushed, not rolled back: the view answers normally and the request commits.
        db.session.flush()
        until = max(
            row.blocked_until
            for row in [*rows, counted]
            if row is not None and _blocked(row, now) and row.blocked_until is not None
        )
        raise LoginRefused(throttled_message(until, now))
    user = find_user_by_email(typed)
    ok = False
    if user is None or not user.active:
        # Same work as a real check: the time taken does not reveal which accounts exist.
        _hasher().hash(password or "x")
    else:
        ok = verify_password(user, password or "")
    if not ok:
        _count_failure("konto", pair_key, address, typed, now)
        _count_failure("adress", address, address, "", now)
        if user is not None:
            user.failed_logins += 1
            audit.record(
                None,
                "login_failed",
                target=f"user:{user.id}",
                summary=f"Misslyckad inloggning från {address or 'okänd adress'}",
            )
        # Flushed: the view answers normally, so the request commits the counted failure
        # although the login is refused.
        db.session.flush()
        raise LoginRefused(BAD_LOGIN_MESSAGE)
    assert user is not None
    pair = _throttle("konto", pair_key)
    if pair is not None:
        db.session.delete(pair)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if not user.session_token:
        user.session_token = secrets.token_hex(16)
    audit.record(user, "login", target=f"user:{user.id}", summary="Loggade in")
    db.session.flush()
    return user


def current_locks(now: datetime | None = None) -> list[LoginThrottle]:
    """Throttles in force (address locks and slowed account+address pairs), newest first."""
    now = now or clock.now()
    return list(
        db.session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.blocked_until > now)
            .order_by(LoginThrottle.last_failure_at.desc())
        )
    )


def lift_lock(actor: User, throttle_id: int) -> None:
    row = db.session.get(LoginThrottle, throttle_id)
    if row is None:
        raise OperationError("Spärren finns inte längre.")
    with transaction():
        what = f"{row.email} från {row.address}" if row.scope == "konto" else row.address
        audit.record(
            actor,
            "login_lock_lifted",
            target=f"address:{row.address}",
            summary=f"Hävde inloggningsspärren för {what}",
        )
        db.session.delete(row)


def change_password(user: User, current: str, new: str, repeat: str) -> None:
    if not verify_password(user, current or ""):
        raise OperationError("Nuvarande lösenord stämmer inte.", field="current")
    check_password_rules(new, "new", name=user.name, email=user.email)
    if new != repeat:
        raise OperationError("Lösenorden är inte lika.", field="repeat")
    with transaction():
        user.password_hash = hash_password(new)
        user.session_token = secrets.token_hex(16)
        sessions.end_all(user, "nytt_losenord")
        audit.record(user, "password_changed", target=f"user:{user.id}", summary="Bytte lösenord")


# --- password reset by e-mail ---------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str, base_url: str) -> None:
    """Mail a single-use, expiring reset link to the account, if there is an active one. The
    caller answers the same whether or not the address exists. Only the link is in the mail."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    now = clock.now()
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    token = secrets.token_urlsafe(32)
    with transaction():
        for old in db.session.scalars(
            select(PasswordReset).where(
                PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
            )
        ):
            old.used_at = now  # only the newest link works
        db.session.add(
            PasswordReset(
                user_id=user.id,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + timedelta(minutes=minutes),
            )
        )
        link = f"{base_url.rstrip('/')}/aterstall-losenord/{token}"
        body = "\n".join(
            [
                "Hej!",
                "",
                "Någon (förhoppningsvis du) har bett om att få välja ett nytt lösenord till "
                "Kvalitet.",
                f"Öppna länken inom {minutes} minuter. Den fungerar en gång:",
                link,
                "",
                "Om du inte bad om det kan du bortse från meddelandet: lösenordet är oförändrat.",
            ]
        )
        db.session.add(
            OutboxMail(
                user_id=user.id,
                to_addr=user.email,
                subject="Kvalitet: nytt lösenord",
                body=body,
                purpose="password_reset",
                next_attempt_at=now,
            )
        )
        audit.record(
            None,
            "password_reset_requested",
            target=f"user:{user.id}",
            summary=f"Länk för nytt lösenord skickades (från {request_address()})",
        )


def reset_for_token(token: str) -> PasswordReset | None:
    """The open, unexpired reset for `token`, or None."""
    if not token or len(token) > 100:
        return None
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= clock.now():
        return None
    if not reset.user.active:
        return None
    return reset


def reset_password(token: str, new: str, repeat: str) -> User:
    reset = reset_for_token(token)
    if reset is None:
        raise OperationError("Länken är ogiltig, redan använd eller för gammal. Be om en ny länk.")
    user = reset.user
    check_password_rules(new, "new", name=user.name, email=user.email)
    if new != repeat:
        raise OperationError("Lösenorden är inte lika.", field="repeat")
    with transaction():
        reset.used_at = clock.now()
        user.password_hash = hash_password(new)
        user.session_token = secrets.token_hex(16)
        sessions.end_all(user, "nytt_losenord")
        audit.record(
            user,
            "password_reset",
            target=f"user:{user.id}",
            summary="Valde nytt lösenord via länk i e-post",
        )
    return user


# --- units ------------------------------------------------------------------------------


def _set_path(unit: Unit) -> None:
    parent = unit.parent
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = (parent.depth + 1) if parent else 0


def create_unit(
    actor: User | None,
    name: str,
    kind: str,
    parent: Unit | None,
    public: bool = False,
) -> Unit:
    name = (name or "").strip()
    if not name:
        raise OperationError("Ange ett namn.", field="name")
    if len(name) > 200:
        raise OperationError("Namnet är för långt (högst 200 tecken).", field="name")
    if kind not in set(UnitKind):
        raise OperationError("Välj en giltig typ av enhet.", field="kind")
    if parent is not None and not parent.active:
        raise OperationError("Den överordnade enheten är inaktiverad.", field="parent_id")
    unit = Unit(name=name, kind=UnitKind(kind), parent=parent, public=public, path="")
    db.session.add(unit)
    db.session.flush()
    _set_path(unit)
    audit.record(actor, "unit_created", target=f"unit:{unit.id}", summary=f"Skapade enheten {name}")
    db.session.flush()
    return unit


def update_unit(
    actor: User, unit: Unit, *, name: str, kind: str, public: bool, parent: Unit | None
) -> Unit:
    name = (name or "").strip()
    if not name:
        raise OperationError("Ange ett namn.", field="name")
    if kind not in set(UnitKind):
        raise OperationError("Välj en giltig typ av enhet.", field="kind")
    if parent is not None and (parent.id == unit.id or parent.path.startswith(unit.path)):
        raise OperationError(
            "En enhet kan inte flyttas in under sig själv eller en av sina underenheter.",
            field="parent_id",
        )
    with transaction():
        before = audit.snapshot(unit, ["name", "kind", "public", "parent_id"])
        unit.name, unit.kind, unit.public = name, UnitKind(kind), public
        if (parent.id if parent else None) != unit.parent_id:
            old_path = unit.path
            unit.parent = parent
            _set_path(unit)
            new_path = unit.path
            descendants = db.session.scalars(
                select(Unit).where(Unit.path.startswith(old_path), Unit.id != unit.id)
            )
            for child in descendants:
                child.path = new_path + child.path[len(old_path) :]
                child.depth = child.path.count("/") - 2
        after = audit.snapshot(unit, ["name", "kind", "public", "parent_id"])
        old, new = audit.changed(before, after)
        audit.record(
            actor,
            "unit_changed",
            target=f"unit:{unit.id}",
            summary=f"Ändrade enheten {name}",
            before=old,
            after=new,
        )
    return unit


def set_unit_active(actor: User, unit: Unit, active: bool) -> Unit:
    with transaction():
        if not active:
            open_children = db.session.scalar(
                select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.active.is_(True))
            )
            if open_children:
                raise OperationError(
                    "Enheten har aktiva underenheter. Inaktivera eller flytta dem först."
                )
        unit.active = active
        audit.record(
            actor,
            "unit_activated" if active else "unit_deactivated",
            target=f"unit:{unit.id}",
            summary=("Aktiverade" if active else "Inaktiverade") + f" enheten {unit.name}",
        )
    return unit


# The item table, asked only whether a unit still has items (org sits below the items).
ITEM = table("item", column("unit_id"))


def delete_unit(actor: User, unit: Unit) -> None:
    """Only an empty unit can be deleted: no items, no sub-units, no roles, no users."""
    reasons = []
    if db.session.scalar(select(func.count()).select_from(ITEM).where(ITEM.c.unit_id == unit.id)):
        reasons.append("enheten har ärenden (inaktivera den i stället)")
    if db.session.scalar(select(func.count(Unit.id)).where(Unit.parent_id == unit.id)):
        reasons.append("enheten har underenheter")
    if db.session.scalar(
        select(func.count(RoleAssignment.id)).where(RoleAssignment.unit_id == unit.id)
    ):
        reasons.append("någon har en roll vid enheten")
    if db.session.scalar(select(func.count(User.id)).where(User.home_unit_id == unit.id)):
        reasons.append("någon har enheten som sin arbetsplats")
    if reasons:
        raise OperationError("Enheten kan inte tas bort: " + "; ".join(reasons) + ".")
    with transaction():
        audit.record(
            actor, "unit_deleted", target=f"unit:{unit.id}", summary=f"Tog bort enheten {unit.name}"
        )
        db.session.delete(unit)


def unit_choices(
    active_only: bool = True, units: Sequence[Unit | refcache.UnitRow] | None = None
) -> list[tuple[int, str]]:
    """(id, indented name) in tree order, for select fields. The active units come from
    the unit tree the process keeps (core.refcache) when it may."""
    if units is None:
        tree = refcache.unit_tree() if active_only else None
        if tree is not None:
            units = [u for u in tree if u.active]
        else:
            units = (
                active_units()
                if active_only
                else list(db.session.scalars(select(Unit).order_by(Unit.path)))
            )
    names = {u.id: u.name for u in units}  # once, not once per unit
    ordered = sorted(units, key=lambda u: _tree_sort_key(u, names))
    return [(u.id, "\u00a0\u00a0" * u.depth + u.name) for u in ordered]


def _tree_sort_key(unit: Unit | refcache.UnitRow, names: dict[int, str]) -> list[str]:
    return [names.get(i, str(i)) for i in unit.ancestor_ids()]


# --- users and roles --------------------------------------------------------------------


def create_user(
    actor: User | None,
    *,
    name: str,
    email: str,
    title: str = "",
    password: str | None = None,
    home_unit: Unit | None = None,
    is_demo: bool = False,
    password_hash: str | None = None,
) -> User:
    """A new account. `password_hash` is for demo accounts only (kvalitet.demo): one argon2
    hash made once for the documented demo password and shared, instead of hashing it for
    every account; real accounts give `password` (checked and hashed here) or nothing."""
    if password_hash is not None and not is_demo:
        raise ValueError("a shared password hash is for demo accounts only")
    name = (name or "").strip()
    email = (email or "").strip().lower()
    if not name:
        raise OperationError("Ange namn.", field="name")
    if "@" not in email or len(email) > 254:
        raise OperationError("Ange en giltig e-postadress.", field="email")
    if find_user_by_email(email) is not None:
        raise OperationError("Det finns redan en användare med den e-postadressen.", field="email")
    if password is not None:
        check_password_rules(password, name=name, email=email)
    user = User(
        name=name,
        email=email,
        title=(title or "").strip(),
        password_hash=password_hash or (hash_password(password) if password else ""),
        home_unit=home_unit,
        session_token=secrets.token_hex(16),
        is_demo=is_demo,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user_created", target=f"user:{user.id}", summary=f"Skapade {name}")
    db.session.flush()
    return user


def update_user(actor: User, user: User, **fields: Any) -> User:
    name = (fields.get("name") or "").strip()
    email = (fields.get("email") or "").strip().lower()
    if not name:
        raise OperationError("Ange namn.", field="name")
    if "@" not in email:
        raise OperationError("Ange en giltig e-postadress.", field="email")
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise OperationError("Det finns redan en användare med den e-postadressen.", field="email")
    with transaction():
        keys = ["name", "email", "title", "active", "home_unit_id"]
        before = audit.snapshot(user, keys)
        user.name, user.email = name, email
        user.title = (fields.get("title") or "").strip()
        user.home_unit_id = fields.get("home_unit_id")
        was_active = user.active
        user.active = bool(fields.get("active", True))
        if was_active and not user.active:
            user.session_token = secrets.token_hex(16)
            sessions.end_all(user, "inaktiverad")
        if fields.get("password"):
            check_password_rules(fields["password"], name=user.name, email=user.email)
            user.password_hash = hash_password(fields["password"])
            user.session_token = secrets.token_hex(16)
            sessions.end_all(user, "nytt_losenord")
            user.locked_until = None
            user.failed_logins = 0
        old, new = audit.changed(before, audit.snapshot(user, keys))
        audit.record(
            actor,
            "user_changed",
            target=f"user:{user.id}",
            summary=f"Ändrade {user.name}",
            before=old,
            after=new,
        )
    return user


def grant_role(actor: User | None, user: User, role: str, unit: Unit) -> None:
    if role not in set(Role):
        raise OperationError("Välj en giltig roll.", field="role")
    exists_ = db.session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user.id,
            RoleAssignment.role == role,
            RoleAssignment.unit_id == unit.id,
        )
    )
    if exists_ is not None:
        raise OperationError("Personen har redan den rollen vid enheten.", field="role")
    db.session.add(RoleAssignment(user=user, role=role, unit=unit))
    audit.record(
        actor,
        "role_granted",
        target=f"user:{user.id}",
        summary=f"Gav {user.name} rollen {Role(role).label} vid {unit.name}",
    )
    db.session.flush()


def revoke_role(actor: User, assignment: RoleAssignment) -> None:
    with transaction():
        audit.record(
            actor,
            "role_revoked",
            target=f"user:{assignment.user_id}",
            summary=f"Tog bort rollen {assignment.role_label} vid {assignment.unit.name} "
            f"från {assignment.user.name}",
        )
        db.session.delete(assignment)


# Rows whose change can change who holds a role over a unit.
_HOLDER_TABLES = frozenset({"role_assignment", "user_account", "unit"})


def _holders_cache() -> dict[Any, Any] | None:
    """The answers of holders_over, people_near and active_units within one request (an
    import asks the same unit's chef for every row; a case page has two people pickers and
    two unit pickers), or None when they cannot be trusted: outside a request, or while a
    change to roles, users or units is waiting to be flushed. Emptied by any flush that
    wrote such a change."""
    if not has_request_context():
        return None
    if _changes_holders(db.session()):
        g.pop("_holders_cache", None)
        return None
    cache: dict[Any, Any] = g.setdefault("_holders_cache", {})
    return cache


_NEW_HOLDERS = "kvalitet.org.new_holder_rows"


def _changes_holders(session: Any) -> bool:
    """Does the session hold a change to roles, users or units (flushed or not yet)? The
    new rows are looked through only when one of those tables got one (an import's batch
    holds thousands of new rows, and asks this for every row)."""
    if session.info.get(_NEW_HOLDERS):
        if any(getattr(o, "__tablename__", None) in _HOLDER_TABLES for o in session.new):
            return True
        session.info.pop(_NEW_HOLDERS, None)
    changed = (*session.dirty, *session.deleted)
    return any(getattr(o, "__tablename__", None) in _HOLDER_TABLES for o in changed)


def _note_new_holder(session: Any, instance: Any) -> None:
    if getattr(instance, "__tablename__", None) in _HOLDER_TABLES:
        session.info[_NEW_HOLDERS] = True


def _forget_holders(session: Any, flush_context: Any) -> None:
    if has_request_context() and _changes_holders(session):
        g.pop("_holders_cache", None)


if not event.contains(Session, "after_flush", _forget_holders):
    event.listen(Session, "after_flush", _forget_holders)
if not event.contains(Session, "transient_to_pending", _note_new_holder):
    event.listen(Session, "transient_to_pending", _note_new_holder)


def holders_over(unit: Unit, roles: tuple[str, ...] | list[str]) -> list[User]:
    """Active users holding one of `roles` at the nearest unit at or above `unit` where anyone
    holds it (the unit's own chef before the avdelning's)."""
    cache = _holders_cache()
    key = (unit.id, frozenset(str(r) for r in roles))
    if cache is not None and key in cache:
        return list(cache[key])
    found = _holders_over(unit, roles)
    if cache is not None:
        cache[key] = found
    return list(found)


def _holders_over(unit: Unit, roles: tuple[str, ...] | list[str]) -> list[User]:
    ids = list(reversed(unit.ancestor_ids()))
    if not ids:
        return []
    rows = db.session.execute(
        select(RoleAssignment.unit_id, User)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.unit_id.in_(ids),
            RoleAssignment.role.in_([str(r) for r in roles]),
            User.active.is_(True),
        )
    ).all()
    by_unit: dict[int, list[User]] = {}
    for unit_id, user in rows:
        by_unit.setdefault(unit_id, []).append(user)
    for unit_id in ids:
        if unit_id in by_unit:
            return sorted(by_unit[unit_id], key=lambda u: u.id)
    return []


def chefs_of(unit: Unit) -> list[User]:
    """The unit's chef: enhetschef at the unit or nearest above, else avdelningschef."""
    return holders_over(unit, [Role.ENHETSCHEF]) or holders_over(unit, list(CHEF_ROLES))


def all_holders_over(unit: Unit, roles: list[str], with_roles: bool = True) -> list[User]:
    """Every active user holding one of `roles` at `unit` or any unit above it; with their
    own roles loaded (one more statement) unless `with_roles` is false (a picker that shows
    only names)."""
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.unit_id.in_(unit.ancestor_ids()),
            RoleAssignment.role.in_([str(r) for r in roles]),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.id)
    )
    if not with_roles:
        query = query.options(lazyload(User.roles))
    return list(db.session.scalars(query))


def active_units_under(paths: Sequence[str]) -> list[Unit | refcache.UnitRow]:
    """The active units in the subtrees at `paths`, in path order, for a page's pickers and
    its "may create" checks: from the unit tree the process keeps (core.refcache) when it
    may, else read. (A form that must find the chosen unit among them reads Unit rows.)"""
    if not paths:
        return []
    tree = refcache.unit_tree()
    if tree is not None:
        return [u for u in tree if u.active and u.path.startswith(tuple(paths))]
    return list(read_active_units_under(paths))


def read_active_units_under(paths: Sequence[str]) -> list[Unit]:
    """The active units in the subtrees at `paths` as Unit rows of this session, in path
    order (a statement)."""
    if not paths:
        return []
    return list(
        db.session.scalars(
            select(Unit)
            .where(or_(*[Unit.path.startswith(p) for p in paths]), Unit.active.is_(True))
            .order_by(Unit.path)
        )
    )


def active_units() -> list[Unit]:
    """The active units, in path order; read once per request (a page's unit pickers share
    them) and again after any change to units."""
    cache = _holders_cache()
    if cache is not None and "active_units" in cache:
        return list(cache["active_units"])
    units = list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.path)))
    if cache is not None:
        cache["active_units"] = units
    return list(units)


def people_near(unit: Unit, always: User | None = None) -> list[tuple[int, str]]:
    """(id, "Name, title") of active people working in the avdelning around `unit` (or the
    unit itself when it is at avdelning level or above), for owner and investigator pickers.
    `always` (the current user) is included even when they work elsewhere."""
    # The avdelning above (depth 2) is read off the unit's path, not by loading each parent
    # in turn (a statement each).
    top_path = unit.ancestor_path(2)
    cache = _holders_cache()  # a page with two pickers asks once
    key = ("people_near", top_path)
    if cache is not None and key in cache:
        found: list[tuple[int, str]] = cache[key]  # type: ignore[assignment]
    else:
        # Only the columns a picker shows (hundreds of rows: no User objects, no roles).
        rows = db.session.execute(
            select(User.id, User.name, User.title)
            .join(Unit, Unit.id == User.home_unit_id)
            .where(User.active.is_(True), Unit.path.startswith(top_path))
            .order_by(User.name)
        ).all()
        found = [(i, User.display_of(name, title)) for i, name, title in rows]
        if cache is not None:
            cache[key] = found  # type: ignore[assignment]
    choices = list(found)
    if always is not None and always.id not in {i for i, _ in found}:
        choices.insert(0, (always.id, always.display))
    return choices
