"""In-app notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """A message in a user's bell list. Holds no secret details: a short text and a link."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    message: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(60), default="info")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[Item | None] = relationship()
