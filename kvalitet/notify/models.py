"""In-app notifications, the e-mail outbox, mail preferences and reminder keys."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import User


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


class MailMode(enum.StrEnum):
    DIREKT = "direkt"  # one mail per notification, sent at once
    SAMMANDRAG = "sammandrag"  # one daily digest mail
    INGA = "inga"  # only in the app

    @property
    def label(self) -> str:
        return MAIL_MODE_LABELS[self]


MAIL_MODE_LABELS = {
    MailMode.DIREKT: "Direkt: ett e-postmeddelande per notis",
    MailMode.SAMMANDRAG: "Dagligt sammandrag: högst ett e-postmeddelande per dag",
    MailMode.INGA: "Inga e-postmeddelanden (bara notiser i Kvalitet)",
}


class NotifyPreference(db.Model):  # type: ignore[name-defined,misc]
    """A user's choice of how notifications reach them by e-mail, and their calendar token."""

    __tablename__ = "notify_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    mail_mode: Mapped[str] = mapped_column(String(20), default=MailMode.SAMMANDRAG)
    # sha256 of the secret in the calendar feed URL (the secret itself is shown once and never
    # stored); None = no feed (revoked or never created). The URL stops working at expiry.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    calendar_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    calendar_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxStatus(enum.StrEnum):
    VANTAR = "vantar"  # waiting to be sent (or to be retried)
    SKICKAD = "skickad"
    MISSLYCKAD = "misslyckad"  # refused by the mail server for good (bad address)


class OutboxMail(db.Model):  # type: ignore[name-defined,misc]
    """A mail waiting to be sent, or sent. Rows are written in the same transaction as what
    caused them and marked sent one by one, so nothing is lost and nothing duplicated."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(60), default="info")
    # Makes a mail unique when it must exist only once (a digest per user and day).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.VANTAR, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()


class DigestEntry(db.Model):  # type: ignore[name-defined,misc]
    """A notification waiting for the user's daily digest (removed when the digest is made)."""

    __tablename__ = "digest_entry"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    notification: Mapped[Notification] = relationship()


class ReminderKey(db.Model):  # type: ignore[name-defined,misc]
    """One row per reminder ever made. The unique key (item, purpose, due date, offset) is
    inserted in the same transaction as the reminder's notification and mail, so two
    scheduler runs can never make the same reminder twice."""

    __tablename__ = "reminder_key"
    __table_args__ = (
        UniqueConstraint("item_id", "purpose", "due_date", "offset_days", name="reminder_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    offset_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class UndeliverableNotice(db.Model):  # type: ignore[name-defined,misc]
    """A reminder or escalation that found no one to tell (no active owner, no chef and no
    one in a role up the tree that can act). It is shown on the admins' page of
    undeliverable notices; its reminder key is stored with it, since the admins are told."""

    __tablename__ = "undeliverable_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    item: Mapped[Item] = relationship()
    handled_by: Mapped[User | None] = relationship()
