"""Queueing notifications. Operations call `notify` inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import Notification

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import User


def notify(
    users: Iterable[User | int | None],
    message: str,
    *,
    item: Item | None = None,
    url: str | None = None,
    purpose: str = "info",
) -> list[Notification]:
    """Add an in-app notification for each user (deduplicated, inactive users skipped).

    `message` must hold no secret details: use the item's reference number, never its text.
    """
    from kvalitet.org.models import User

    created = []
    seen: set[int] = set()
    for user in users:
        if user is None:
            continue
        user_obj = db.session.get(User, user) if isinstance(user, int) else user
        if user_obj is None or not user_obj.active or user_obj.id in seen:
            continue
        seen.add(user_obj.id)
        note = Notification(
            user_id=user_obj.id, item=item, message=message[:300], url=url, purpose=purpose
        )
        db.session.add(note)
        created.append(note)
    return created


def unread_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(user: User, notification_ids: list[int] | None = None) -> None:
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    db.session.execute(query.values(read_at=clock.now()))
    db.session.commit()
