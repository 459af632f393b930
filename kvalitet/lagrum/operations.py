"""Changing legal references: administrators only, every change in the audit log."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import is_admin
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.lagrum.models import Lagrum
from kvalitet.org.models import User

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def _check(actor: User, text: str, valid_from: date | None) -> str:
    if not is_admin(actor):
        raise Forbidden("Bara en administratör kan ändra lagrum.")
    text = (text or "").strip()
    if not text:
        raise OperationError("Skriv lagrummet.", field="text")
    if len(text) > 500:
        raise OperationError("Texten är för lång (högst 500 tecken).", field="text")
    if valid_from is None:
        raise OperationError("Ange från vilket datum lydelsen gäller.", field="valid_from")
    return text


def _taken(key: str, valid_from: date, except_id: int | None = None) -> bool:
    query = select(Lagrum.id).where(Lagrum.key == key, Lagrum.valid_from == valid_from)
    if except_id is not None:
        query = query.where(Lagrum.id != except_id)
    return db.session.scalar(query) is not None


def add_lagrum(
    actor: User, *, key: str, valid_from: date | None, text: str, description: str = ""
) -> Lagrum:
    """A new wording of `key` from `valid_from` (a new law number, an amendment), or a new
    key."""
    text = _check(actor, text, valid_from)
    assert valid_from is not None
    key = (key or "").strip().lower()
    if not KEY_PATTERN.match(key):
        raise OperationError(
            "Nyckeln ska bestå av små bokstäver a–z, siffror och understreck.", field="key"
        )
    if _taken(key, valid_from):
        raise OperationError("Det finns redan en lydelse från det datumet.", field="valid_from")
    description = (description or "").strip()[:300]
    if not description:
        description = (
            db.session.scalar(select(Lagrum.description).where(Lagrum.key == key).limit(1)) or ""
        )
    with transaction():
        row = Lagrum(
            key=key,
            valid_from=valid_from,
            text=text,
            description=description,
            updated_by_id=actor.id,
        )
        db.session.add(row)
        db.session.flush()
        audit.record(
            actor,
            "lagrum",
            summary=f"Nytt lagrum {key} från {valid_from:%Y-%m-%d}",
            after={"text": text},
            target=f"lagrum:{row.id}",
        )
    return row


def update_lagrum(actor: User, row: Lagrum, *, valid_from: date | None, text: str) -> Lagrum:
    """Correct a wording or its date."""
    text = _check(actor, text, valid_from)
    assert valid_from is not None
    if _taken(row.key, valid_from, except_id=row.id):
        raise OperationError("Det finns redan en lydelse från det datumet.", field="valid_from")
    with transaction():
        before = audit.snapshot(row, ["valid_from", "text"])
        row.valid_from = valid_from
        row.text = text
        row.updated_by_id = actor.id
        row.updated_at = clock.now()
        audit.record(
            actor,
            "lagrum",
            summary=f"Ändrade lagrum {row.key}",
            before=before,
            after=audit.snapshot(row, ["valid_from", "text"]),
            target=f"lagrum:{row.id}",
        )
    return row
