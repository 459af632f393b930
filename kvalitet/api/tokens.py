"""Operations on personal API tokens: create (the token is returned once), revoke, and
authenticate a bearer token. Only sha256(token) is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from kvalitet.api.models import ApiToken
from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.org.models import User

TOKEN_PREFIX = "kv_"
# A token's last_used_at is written at most this often, so reads do not write every time.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def max_days() -> int:
    if has_app_context():
        return int(current_app.config.get("API_TOKEN_MAX_DAYS", 365))
    return 365


def default_days() -> int:
    if has_app_context():
        return int(current_app.config.get("API_TOKEN_DEFAULT_DAYS", 90))
    return 90


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    actor: User | None, user: User, *, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user` (by the user themself, or by an admin / the CLI with actor
    None). Returns (row, token); the token is never stored and cannot be shown again."""
    if actor is not None and actor.id != user.id and not actor.is_admin:
        raise Forbidden()
    if not user.active:
        raise OperationError("Användaren är inaktiverad.", field="user")
    name = (name or "").strip()
    if len(name) > 100:
        raise OperationError("Namnet är för långt (högst 100 tecken).", field="name")
    days = default_days() if days is None else days
    if not isinstance(days, int) or not 1 <= days <= max_days():
        raise OperationError(f"Giltighetstiden ska vara 1–{max_days()} dagar.", field="days")
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}{secret}"
    with transaction():
        row = ApiToken(
            user_id=user.id,
            name=name or "API-nyckel",
            prefix=token[: len(TOKEN_PREFIX) + 6],
            token_hash=hash_token(token),
            created_by_id=actor.id if actor is not None else None,
            expires_at=clock.now() + timedelta(days=days),
        )
        db.session.add(row)
        db.session.flush()
        audit.record(
            actor,
            "api_token_created",
            summary=f"Skapade API-nyckel {row.prefix}… för {user.name}",
            after={"namn": row.name, "giltig_till": row.expires_at},
            target=f"user:{user.id}",
        )
    return row, token


def revoke_token(actor: User | None, row: ApiToken) -> ApiToken:
    if actor is not None and actor.id != row.user_id and not actor.is_admin:
        raise Forbidden()
    if row.revoked_at is not None:
        return row
    with transaction():
        row.revoked_at = clock.now()
        audit.record(
            actor,
            "api_token_revoked",
            summary=f"Återkallade API-nyckel {row.prefix}…",
            target=f"user:{row.user_id}",
        )
    return row


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )


def authenticate(token: str) -> User | None:
    """The active user of a valid (not revoked, not expired) token, else None."""
    token = (token or "").strip()
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or not secrets.compare_digest(row.token_hash, hash_token(token)):
        return None
    if not row.is_valid or not row.user.active:
        return None
    moment = clock.now()
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = moment
        db.session.flush()
    return row.user
