"""The append-only audit trail. Operations call `record` inside their transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from kvalitet.extensions import db

if TYPE_CHECKING:
    from kvalitet.items.models import AuditEntry, Item
    from kvalitet.org.models import User


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "ref"):
        return value.ref
    if hasattr(value, "name") and hasattr(value, "id"):
        return value.name
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name, None)) for name in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def record(
    user: User | None,
    action: str,
    *,
    item: Item | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    target: str | None = None,
) -> AuditEntry:
    from kvalitet.items.models import AuditEntry

    entry = AuditEntry(
        user_id=user.id if user is not None and getattr(user, "id", None) else None,
        item=item,
        action=action,
        summary=summary[:500],
        before={k: _plain(v) for k, v in before.items()} if before else None,
        after={k: _plain(v) for k, v in after.items()} if after else None,
        target=target,
    )
    db.session.add(entry)
    return entry


def log_read(user: User, item: Item) -> None:
    """Write a read-log row for `item` and commit it at once (reads are not transactions)."""
    record(user, "read", item=item, summary="Öppnade ärendet")
    db.session.commit()


class AuditImmutable(Exception):
    pass


def _refuse_changes(session: Session, flush_context: object, instances: object) -> None:
    from kvalitet.items.models import AuditEntry

    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditImmutable("audit entries cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditImmutable("audit entries cannot be deleted")


def install_guard() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
