"""Retention rules per kind (data, set by the kvalitetsutvecklare), the gallringslogg that is
itself kept, legal holds, and the mark on each item whose contents were removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db


class GallringRule(db.Model):  # type: ignore[name-defined,misc]
    """Items of `kind` are gallrade `years` after they were closed (or cancelled)."""

    __tablename__ = "gallring_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), unique=True)
    years: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the rule comes from, e.g. "Dokumenthanteringsplan SN 2026, 4.2".
    basis: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class GallringLog(db.Model):  # type: ignore[name-defined,misc]
    """One rule applied in one run: which rule, how many items, by whom (None: the scheduled
    job), when. Never removed."""

    __tablename__ = "gallring_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("gallring_rule.id"))
    kind: Mapped[str] = mapped_column(String(10))
    years: Mapped[int] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)
    refs: Mapped[list[Any]] = mapped_column(JSON, default=list)


class GallradItem(db.Model):  # type: ignore[name-defined,misc]
    """The mark on an item whose contents were removed. The row of the item stays as a
    skeleton (kind, unit, dates, status, classification) so statistics are unchanged."""

    __tablename__ = "gallrad_item"

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("gallring_log.id"), index=True)
    gallrad_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class LegalHold(db.Model):  # type: ignore[name-defined,misc]
    """An item that must not be gallrat (a request for the documents, a court case)."""

    __tablename__ = "gallring_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
