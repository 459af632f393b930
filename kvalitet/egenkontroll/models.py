"""Egenkontrollplan, kontroller with checklist questions, and the occurrences (item kind EGK)
that are generated from each control's recurrence rule, one per unit and planned date."""

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
from kvalitet.core.recurrence import Rule
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit, User


class Metod(enum.StrEnum):
    AKTGRANSKNING = "aktgranskning"
    LOGGKONTROLL = "loggkontroll"
    CHECKLISTA = "checklista"
    STICKPROV = "stickprov"
    BRUKARENKAT = "brukarenkat"
    OBSERVATION = "observation"

    @property
    def label(self) -> str:
        return METOD_LABELS[self]


METOD_LABELS = {
    Metod.AKTGRANSKNING: "Aktgranskning",
    Metod.LOGGKONTROLL: "Loggkontroll",
    Metod.CHECKLISTA: "Checklista",
    Metod.STICKPROV: "Stickprov",
    Metod.BRUKARENKAT: "Brukarenkät",
    Metod.OBSERVATION: "Observation",
}

# Roles that can be made responsible for performing a control at a unit.
RESPONSIBLE_ROLES = (
    Role.ENHETSCHEF,
    Role.AVDELNINGSCHEF,
    Role.KVALITETSUTVECKLARE,
    Role.SAS,
    Role.MAS,
)


class PlanStatus(enum.StrEnum):
    UTKAST = "utkast"
    FASTSTALLD = "faststalld"

    @property
    def label(self) -> str:
        return {"utkast": "Utkast", "faststalld": "Fastställd"}[self.value]


class Svar(enum.StrEnum):
    JA = "ja"
    NEJ = "nej"
    EJ_AKTUELLT = "ej_aktuellt"

    @property
    def label(self) -> str:
        return SVAR_LABELS[self]


SVAR_LABELS = {Svar.JA: "Ja", Svar.NEJ: "Nej", Svar.EJ_AKTUELLT: "Ej aktuellt"}


class EgkStatus(enum.StrEnum):
    PLANERAD = "planerad"
    PAGAENDE = "pagaende"
    GENOMFORD = "genomford"
    MISSAD = "missad"
    AVSKRIVEN = "avskriven"


class EgenkontrollPlan(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The plan for one quality year and one scope (a unit and its subtree)."""

    __tablename__ = "egk_plan"
    __table_args__ = (UniqueConstraint("year", "scope_unit_id", "name", name="egk_plan_unik"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # First calendar year of the quality year (2025 for 2025/26).
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(FreeText, default="")
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.UTKAST, index=True)
    adopted_on: Mapped[date | None] = mapped_column(Date)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)

    scope_unit: Mapped[Unit] = relationship()
    adopted_by: Mapped[User | None] = relationship(foreign_keys=[adopted_by_id])
    kontroller: Mapped[list[Kontroll]] = relationship(back_populates="plan", order_by="Kontroll.id")

    @property
    def status_label(self) -> str:
        return PlanStatus(self.status).label


kontroll_unit = Table(
    "egk_kontroll_unit",
    db.metadata,
    Column("kontroll_id", ForeignKey("egk_kontroll.id"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


class Kontroll(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One control of a plan: what is checked, how, how often, by whom, where."""

    __tablename__ = "egk_kontroll"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("egk_plan.id"), index=True)
    title: Mapped[str] = mapped_column(FreeText)  # what is checked
    description: Mapped[str] = mapped_column(FreeText, default="")  # scope, how, routine
    method: Mapped[str] = mapped_column(String(20), default=Metod.CHECKLISTA, index=True)
    sample_size: Mapped[int] = mapped_column(Integer, default=5)
    rule_data: Mapped[dict[str, Any]] = mapped_column(JSON)
    responsible_role: Mapped[str] = mapped_column(String(40), default=Role.ENHETSCHEF)
    # The due date is this many working days after the planned date (editable per occurrence).
    due_working_days: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    plan: Mapped[EgenkontrollPlan] = relationship(back_populates="kontroller")
    units: Mapped[list[Unit]] = relationship(secondary=kontroll_unit, order_by=Unit.name)
    fragor: Mapped[list[Fraga]] = relationship(
        back_populates="kontroll", order_by="Fraga.sort_order"
    )

    @property
    def rule(self) -> Rule:
        return Rule.from_dict(self.rule_data)

    @property
    def method_label(self) -> str:
        return METOD_LABELS.get(Metod(self.method), self.method)

    @property
    def active_fragor(self) -> list[Fraga]:
        return [f for f in self.fragor if f.active]

    @property
    def responsible_label(self) -> str:

        return ROLE_LABELS.get(Role(self.responsible_role), self.responsible_role)


class Fraga(db.Model):  # type: ignore[name-defined,misc]
    """A checklist question. Deactivated (never deleted) when removed, so answers keep it."""

    __tablename__ = "egk_fraga"

    id: Mapped[int] = mapped_column(primary_key=True)
    kontroll_id: Mapped[int] = mapped_column(ForeignKey("egk_kontroll.id"), index=True)
    text: Mapped[str] = mapped_column(FreeText)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    kontroll: Mapped[Kontroll] = relationship(back_populates="fragor")


class Egenkontroll(Item):
    """One occurrence of a control at one unit: a task with a fixed planned date."""

    __tablename__ = "egenkontroll"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("kontroll_id", "occurrence_unit_id", "planned_date", name="egk_tillfalle"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    kontroll_id: Mapped[int] = mapped_column(ForeignKey("egk_kontroll.id"), index=True)
    # Same as Item.unit_id; repeated here so the uniqueness can be a table constraint.
    occurrence_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    planned_date: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(FreeText, default="")
    case_count: Mapped[int] = mapped_column(Integer, default=0)
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The Swedish date it was performed (for "performed late" in SQL).
    performed_on: Mapped[date | None] = mapped_column(Date, index=True)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kontroll: Mapped[Kontroll] = relationship()
    performed_by: Mapped[User | None] = relationship(foreign_keys=[performed_by_id])
    svar: Mapped[list[SvarRad]] = relationship(
        back_populates="egenkontroll", order_by="SvarRad.case_no"
    )
    fynd: Mapped[list[Fynd]] = relationship(
        back_populates="egenkontroll", order_by="Fynd.id", foreign_keys="Fynd.egenkontroll_id"
    )

    __mapper_args__ = {"polymorphic_identity": "EGK"}

    @property
    def performed_late(self) -> bool:
        return bool(self.performed_on and self.due_date and self.performed_on > self.due_date)


class SvarRad(db.Model):  # type: ignore[name-defined,misc]
    """The answer to one question for one sampled case (numbered 1..N, never identified)."""

    __tablename__ = "egk_svar"
    __table_args__ = (
        UniqueConstraint("egenkontroll_id", "fraga_id", "case_no", name="egk_svar_unik"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    egenkontroll_id: Mapped[int] = mapped_column(ForeignKey("egenkontroll.id"), index=True)
    fraga_id: Mapped[int] = mapped_column(ForeignKey("egk_fraga.id"), index=True)
    case_no: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(20), index=True)

    egenkontroll: Mapped[Egenkontroll] = relationship(back_populates="svar")
    fraga: Mapped[Fraga] = relationship()


class Fynd(db.Model):  # type: ignore[name-defined,misc]
    """A finding of a performed control; may be turned into an avvikelse or åtgärd."""

    __tablename__ = "egk_fynd"

    id: Mapped[int] = mapped_column(primary_key=True)
    egenkontroll_id: Mapped[int] = mapped_column(ForeignKey("egenkontroll.id"), index=True)
    text: Mapped[str] = mapped_column(FreeText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The avvikelse or förbättringsåtgärd created from the finding.
    result_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)

    egenkontroll: Mapped[Egenkontroll] = relationship(
        back_populates="fynd", foreign_keys=[egenkontroll_id]
    )
    result_item: Mapped[Item | None] = relationship(foreign_keys=[result_item_id])
