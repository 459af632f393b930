"""Legal references as data (issue 20): every law or regulation the product prints is a row
with the date it applies from, so that a report of 2021 prints the law of 2021 and an
administrator can correct a number when the law changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.org.models import User


class Lagrum(db.Model):  # type: ignore[name-defined,misc]
    """One wording of a reference (`key`), valid from `valid_from` until the next row of the
    same key."""

    __tablename__ = "lagrum"
    __table_args__ = (UniqueConstraint("key", "valid_from", name="uq_lagrum_key_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(500))
    # What the reference is for, shown to the administrator (e.g. "Lex Sarah i SoL").
    description: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_by: Mapped[User | None] = relationship()
