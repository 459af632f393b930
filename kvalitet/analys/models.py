"""Samlad analys: the analysis task (the ANA item kind) with its conclusions, and which
årshjul activities are analyses (docs/analys.md)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.org.models import User


class AnalysStatus(enum.StrEnum):
    PAGAR = "pagar"
    KLAR = "klar"


class Analys(Item):
    """A sammanställning och analys of one unit's subtree for one period: the task carries
    the compiled signals (shown live to the person who opens it, frozen when it is done) and
    the conclusions that feed the kvalitetsberättelse."""

    __tablename__ = "analys"

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    # The årshjul task that made it (None: started by hand).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slutsatser: Mapped[list[AnalysSlutsats]] = relationship(
        back_populates="analys", order_by="AnalysSlutsats.id", cascade="all, delete-orphan"
    )

    underlag: Mapped[AnalysUnderlag | None] = relationship(
        back_populates="analys", cascade="all, delete-orphan", uselist=False
    )

    __mapper_args__ = {"polymorphic_identity": "ANA", "inherit_condition": id == Item.id}


class AnalysUnderlag(db.Model):  # type: ignore[name-defined,misc]
    """What the person saw when the analysis was marked done: signals, flags and patterns as
    compiled for them. Kept apart from the item's own columns (which the generic API lists)
    and shown to each reader only as far as their own rights go
    (kvalitet.analys.compile.as_seen_by)."""

    __tablename__ = "analys_underlag"

    analys_id: Mapped[int] = mapped_column(ForeignKey("analys.id"), primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    compiled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    analys: Mapped[Analys] = relationship(back_populates="underlag")


class AnalysSlutsats(db.Model):  # type: ignore[name-defined,misc]
    """One conclusion of an analysis, optionally with the förbättringsåtgärd decided on it."""

    __tablename__ = "analys_slutsats"

    id: Mapped[int] = mapped_column(primary_key=True)
    analys_id: Mapped[int] = mapped_column(ForeignKey("analys.id"), index=True)
    text: Mapped[str] = mapped_column(FreeText)
    quality_area_id: Mapped[int | None] = mapped_column(ForeignKey("quality_area.id"), index=True)
    atgard_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    analys: Mapped[Analys] = relationship(back_populates="slutsatser", foreign_keys=[analys_id])
    quality_area: Mapped[QualityArea | None] = relationship()
    atgard: Mapped[Item | None] = relationship(foreign_keys=[atgard_id])
    created_by: Mapped[User | None] = relationship()


class AnalysPlan(db.Model):  # type: ignore[name-defined,misc]
    """An årshjul activity whose tasks are analyses, and the months each looks back over
    (3: the quarter's analysis per enhet for APT; 6: the half-year's per avdelning with SAS)."""

    __tablename__ = "analys_plan"

    aktivitet_id: Mapped[int] = mapped_column(ForeignKey("arshjul_aktivitet.id"), primary_key=True)
    months: Mapped[int] = mapped_column(Integer, default=3)
    # Free text for the kinds taken in ("avvikelser", "alla"): shown, not used in logic.
    scope: Mapped[str] = mapped_column(String(40), default="alla")
