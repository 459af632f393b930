"""Årshjul activities (the plan), their occurrences as tasks (the ARS item kind), and the
scheduler's lease and once-markers."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import FreeText, TimestampMixin, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.core.recurrence import Rule
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit


class ArsStatus(enum.StrEnum):
    PLANERAD = "planerad"
    GENOMFORD = "genomford"
    EJ_GENOMFORD = "ej_genomford"


aktivitet_unit = Table(
    "arshjul_aktivitet_unit",
    db.metadata,
    Column("aktivitet_id", ForeignKey("arshjul_aktivitet.id"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


class ArshjulAktivitet(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A recurring quality activity of the årshjul: what, when (a recurrence rule), who (a
    role) and where (units, optionally every unit of a kind under them)."""

    __tablename__ = "arshjul_aktivitet"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(FreeText, default="")
    rule_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    responsible_role: Mapped[str] = mapped_column(String(30))
    # None: one task per chosen unit; "enhet"/"avdelning": one per unit of that kind under them.
    scope_kind: Mapped[str | None] = mapped_column(String(20))
    # Tasks are created this many days before their date.
    lead_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Done as an egenkontroll of this method (kvalitet.egenkontroll.models.Metod, e.g.
    # "loggkontroll"): where an adopted egenkontroll plan has a control of that method at a
    # unit in a month, the egenkontroll occurrence is the task (the årshjul makes none and
    # shows and links the occurrence), so the inbox has it once.
    egk_metod: Mapped[str | None] = mapped_column(String(20))

    units: Mapped[list[Unit]] = relationship(secondary=aktivitet_unit, order_by=Unit.path)

    @property
    def rule(self) -> Rule:
        return Rule.from_dict(self.rule_data)

    @rule.setter
    def rule(self, value: Rule) -> None:
        self.rule_data = value.to_dict()


class ArshjulUppgift(Item):
    """One occurrence of an activity at one unit: a task with a planned date (fixed) and a
    due date (editable), owned by the holder of the responsible role."""

    __tablename__ = "arshjul_uppgift"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("aktivitet_id", "plan_unit_id", "planned_date", name="ars_occurrence"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    aktivitet_id: Mapped[int] = mapped_column(ForeignKey("arshjul_aktivitet.id"), index=True)
    # The unit the occurrence was generated for (copy of item.unit_id, for the unique key).
    plan_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    planned_date: Mapped[date] = mapped_column(Date, index=True)
    done_note: Mapped[str] = mapped_column(FreeText, default="")

    aktivitet: Mapped[ArshjulAktivitet] = relationship()

    __mapper_args__ = {"polymorphic_identity": "ARS"}


class SchedulerLease(db.Model):  # type: ignore[name-defined,misc]
    """Who may run scheduled jobs now. Taken with UPDATE ... WHERE expired or mine."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The holder's last renewal (its heartbeat thread), shown by /healthz.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OnceMarker(db.Model):  # type: ignore[name-defined,misc]
    """Work that must be done once per key (the report draft once per quality year)."""

    __tablename__ = "scheduler_once"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
