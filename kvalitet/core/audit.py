"""The append-only audit trail. Operations call `record` inside their transaction."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import User


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Append-only audit trail: who, when, which item, what, fields before and after.

    Rows are never updated or deleted (a flush listener refuses it). action "read" rows are
    the read log of sensitive kinds.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What the entry concerns when it is not an item: "unit:5", "user:7", "import:file.csv".
    target: Mapped[str | None] = mapped_column(String(200), index=True)

    user: Mapped[User | None] = relationship("User")
    item: Mapped[Item | None] = relationship("Item")


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
    """Write a read-log row for `item`. The request commits it before the response leaves
    (kvalitet.core.uow), so nothing is served whose read was not logged; views that log
    reads on GET are marked `@uow.writes`."""
    record(user, "read", item=item, summary="Öppnade ärendet")
    db.session.flush()


class AuditImmutable(Exception):
    pass


def _refuse_changes(session: Session, flush_context: object, instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditImmutable("audit entries cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditImmutable("audit entries cannot be deleted")


def install_guard() -> None:
    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
