"""Verksamhetsplan (a unit's plan for a year), its goals in up to three levels with
indikatorer beneath (four levels in all), utfall per indikator and period, the samlad
bedömning per goal and period, the follow-up task (item kind MUP) and frozen reports."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kvalitet.core.base import FreeText, TimestampMixin, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.mal.periods import year_label
from kvalitet.org.models import Unit, User

if TYPE_CHECKING:
    from kvalitet.egenkontroll.models import Kontroll

DEFAULT_LEVELS = ["Inriktningsmål", "Nämndmål", "Utvecklingsområde"]
MAX_GOAL_LEVELS = 3  # plus the indikator: four levels in all


class Matmetod(enum.StrEnum):
    BRUKARUNDERSOKNING = "brukarundersokning"
    AKTGRANSKNING = "aktgranskning"
    REGISTER = "register"
    KVALITET = "kvalitet"
    MANUELL = "manuell"

    @property
    def label(self) -> str:
        return METOD_LABELS[self]


METOD_LABELS = {
    Matmetod.BRUKARUNDERSOKNING: "Brukarundersökning",
    Matmetod.AKTGRANSKNING: "Aktgranskning",
    Matmetod.REGISTER: "Register",
    Matmetod.KVALITET: "Kvalitets egen statistik",
    Matmetod.MANUELL: "Manuell räkning",
}


class Enhetstyp(enum.StrEnum):
    """The unit of measure of an indikator."""

    PROCENT = "procent"
    ANTAL = "antal"
    DAGAR = "dagar"
    JANEJ = "janej"
    SKALA = "skala"

    @property
    def label(self) -> str:
        return ENHET_LABELS[self]


ENHET_LABELS = {
    Enhetstyp.PROCENT: "Procent",
    Enhetstyp.ANTAL: "Antal",
    Enhetstyp.DAGAR: "Dagar",
    Enhetstyp.JANEJ: "Ja/nej",
    Enhetstyp.SKALA: "Skala",
}


class Riktning(enum.StrEnum):
    HOGRE = "hogre"
    LAGRE = "lagre"
    EXAKT = "exakt"
    INTERVALL = "intervall"

    @property
    def label(self) -> str:
        return RIKTNING_LABELS[self]


RIKTNING_LABELS = {
    Riktning.HOGRE: "Högre är bättre",
    Riktning.LAGRE: "Lägre är bättre",
    Riktning.EXAKT: "Exakt värde",
    Riktning.INTERVALL: "Inom intervall",
}


class Kon(enum.StrEnum):
    """How a per-sex breakdown is labelled."""

    KVINNOR_MAN = "kvinnor_man"
    FLICKOR_POJKAR = "flickor_pojkar"

    @property
    def labels(self) -> tuple[str, str]:
        return ("Kvinnor", "Män") if self == Kon.KVINNOR_MAN else ("Flickor", "Pojkar")


class Bedomning(enum.StrEnum):
    UPPNATT = "uppnatt"
    DELVIS = "delvis"
    EJ_UPPNATT = "ej_uppnatt"
    GAR_EJ = "gar_ej"

    @property
    def label(self) -> str:
        return BEDOMNING_LABELS[self]

    @property
    def symbol(self) -> str:
        return BEDOMNING_SYMBOLS[self]


BEDOMNING_LABELS = {
    Bedomning.UPPNATT: "Målet är uppnått",
    Bedomning.DELVIS: "Målet är delvis uppnått",
    Bedomning.EJ_UPPNATT: "Målet är inte uppnått",
    Bedomning.GAR_EJ: "Går ej att bedöma",
}
# Shape and text carry the meaning; the colour (CSS class) only repeats it.
BEDOMNING_SYMBOLS = {
    Bedomning.UPPNATT: "●",
    Bedomning.DELVIS: "◐",
    Bedomning.EJ_UPPNATT: "○",
    Bedomning.GAR_EJ: "–",
}


plan_goal_area = Table(
    "mal_mal_area",
    db.metadata,
    Column("mal_id", ForeignKey("mal_mal.id"), primary_key=True),
    Column("quality_area_id", ForeignKey("quality_area.id"), primary_key=True, index=True),
)

plan_goal_unit = Table(
    "mal_mal_unit",
    db.metadata,
    Column("mal_id", ForeignKey("mal_mal.id"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)

bedomning_atgard = Table(
    "mal_bedomning_atgard",
    db.metadata,
    Column("bedomning_id", ForeignKey("mal_bedomning.id"), primary_key=True),
    Column("item_id", ForeignKey("item.id"), primary_key=True, index=True),
)


class Verksamhetsplan(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A unit's verksamhetsplan for a year. `levels` names the goal levels (data, up to
    three; the indikator is the level below the last)."""

    __tablename__ = "mal_plan"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="mal_plan_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(FreeText, default="")
    levels: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_LEVELS))
    # The plan this one was copied from (last year's) and the plan whose goals it adopts.
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("mal_plan.id"))
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("mal_plan.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    parent_plan: Mapped[Verksamhetsplan | None] = relationship(
        remote_side=[id], foreign_keys=[parent_plan_id]
    )
    goals: Mapped[list[Mal]] = relationship(
        back_populates="plan", order_by="(Mal.level, Mal.sort_order, Mal.id)"
    )

    @property
    def year_label(self) -> str:
        """ "2026", or "2025/26" when the plans' year starts in another month."""
        return year_label(self.year)

    def level_name(self, level: int) -> str:
        if 1 <= level <= len(self.levels):
            return self.levels[level - 1]
        return "Indikator" if level == len(self.levels) + 1 else f"Nivå {level}"


class Mal(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A goal at one level of a plan (inriktningsmål, nämndmål, utvecklingsområde …)."""

    __tablename__ = "mal_mal"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mal_plan.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mal_mal.id"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    nr: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(FreeText, default="")
    processes: Mapped[str] = mapped_column(String(500), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # The goal of the higher unit's plan that this goal adopts (then it is read-only here).
    adopted_from_id: Mapped[int | None] = mapped_column(ForeignKey("mal_mal.id"), index=True)

    plan: Mapped[Verksamhetsplan] = relationship(back_populates="goals")
    parent: Mapped[Mal | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    owner: Mapped[User | None] = relationship()
    areas: Mapped[list[QualityArea]] = relationship(
        secondary=plan_goal_area, order_by=QualityArea.sort_order
    )
    units: Mapped[list[Unit]] = relationship(secondary=plan_goal_unit, order_by=Unit.path)
    indikatorer: Mapped[list[Indikator]] = relationship(
        back_populates="mal", order_by="(Indikator.sort_order, Indikator.id)"
    )


class Indikator(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "mal_indikator"

    id: Mapped[int] = mapped_column(primary_key=True)
    mal_id: Mapped[int] = mapped_column(ForeignKey("mal_mal.id"), index=True)
    nr: Mapped[str] = mapped_column(String(20), default="")
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(FreeText, default="")
    method: Mapped[str] = mapped_column(String(30), default=Matmetod.MANUELL)
    source: Mapped[str] = mapped_column(String(300), default="")
    unit_of_measure: Mapped[str] = mapped_column(String(20), default=Enhetstyp.PROCENT)
    scale_max: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[str | None] = mapped_column(String(20))
    target: Mapped[float | None] = mapped_column(Float)
    target_high: Mapped[float | None] = mapped_column(Float)  # upper end of a band
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    # Values of earlier years that are not in Kvalitet: {"2024": 71.0, ...}
    history: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    periods: Mapped[list[str]] = mapped_column(JSON, default=list)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    by_sex: Mapped[bool] = mapped_column(Boolean, default=False)
    sex_labels: Mapped[str] = mapped_column(String(20), default=Kon.KVINNOR_MAN)
    # Key of a measure Kvalitet computes itself (kvalitet.mal.measures), or None.
    measure: Mapped[str | None] = mapped_column(String(60))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    mal: Mapped[Mal] = relationship(back_populates="indikatorer")
    responsible: Mapped[User | None] = relationship()
    utfall: Mapped[list[Utfall]] = relationship(back_populates="indikator")

    @property
    def kon(self) -> Kon:
        return Kon(self.sex_labels) if self.sex_labels in set(Kon) else Kon.KVINNOR_MAN


class Utfall(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The result of an indikator for one period of the plan's year (T1, T2, T3, H1, H2,
    M01..M12, AR)."""

    __tablename__ = "mal_utfall"
    __table_args__ = (UniqueConstraint("indikator_id", "period", name="mal_utfall_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indikator_id: Mapped[int] = mapped_column(ForeignKey("mal_indikator.id"), index=True)
    period: Mapped[str] = mapped_column(String(5))
    value: Mapped[float | None] = mapped_column(Float)
    value_k: Mapped[float | None] = mapped_column(Float)  # kvinnor / flickor
    value_m: Mapped[float | None] = mapped_column(Float)  # män / pojkar
    # Number of persons behind each sex's figure, for the small-group rule.
    n_k: Mapped[int | None] = mapped_column(Integer)
    n_m: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(FreeText, default="")
    computed: Mapped[bool] = mapped_column(Boolean, default=False)  # filled by Kvalitet
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    indikator: Mapped[Indikator] = relationship(back_populates="utfall")
    reported_by: Mapped[User | None] = relationship()


class MalBedomning(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """The samlad bedömning of a goal for a period: proposed by the rule, confirmed by a
    person, with orsak, analys and åtgärder (linked förbättringsåtgärder)."""

    __tablename__ = "mal_bedomning"
    __table_args__ = (UniqueConstraint("mal_id", "period", name="mal_bedomning_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mal_id: Mapped[int] = mapped_column(ForeignKey("mal_mal.id"), index=True)
    period: Mapped[str] = mapped_column(String(5))
    proposed: Mapped[str | None] = mapped_column(String(20))
    value: Mapped[str | None] = mapped_column(String(20))
    orsak: Mapped[str] = mapped_column(FreeText, default="")
    analys: Mapped[str] = mapped_column(FreeText, default="")
    atgarder_text: Mapped[str] = mapped_column(FreeText, default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    mal: Mapped[Mal] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    atgarder: Mapped[list[Item]] = relationship(secondary=bedomning_atgard, order_by=Item.ref)

    @property
    def bedomning(self) -> Bedomning | None:
        return Bedomning(self.value) if self.value in set(Bedomning) else None


class UppfStatus(enum.StrEnum):
    ATT_RAPPORTERA = "att_rapportera"
    RAPPORTERAD = "rapporterad"


class Uppfoljningsuppgift(Item):
    """The follow-up task of one responsible person for one plan and period: "rapportera
    utfall och analys för T2". An item (kind MUP), so it is in Mina ärenden with a due date,
    reminders and escalation like every other deadline."""

    __tablename__ = "mal_uppgift"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("plan_id", "period", "person_id", name="mal_uppgift_person"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mal_plan.id"), index=True)
    period: Mapped[str] = mapped_column(String(5))
    # Copy of Item.owner_id for the uniqueness rule (the owner may be changed later).
    person_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date)

    plan: Mapped[Verksamhetsplan] = relationship(foreign_keys=[plan_id])

    __mapper_args__ = {"polymorphic_identity": "MUP"}


class MalRapportVersion(db.Model):  # type: ignore[name-defined,misc]
    """A frozen follow-up report (tertialrapport, delårsrapport, verksamhetsberättelse):
    the compiled document as canonical JSON with its SHA-256. Never changed or deleted."""

    __tablename__ = "mal_rapport_version"
    __table_args__ = (
        UniqueConstraint("plan_id", "period", "number", name="mal_rapport_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mal_plan.id"), index=True)
    period: Mapped[str] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(FreeText, default="")
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Verksamhetsplan] = relationship()
    unit: Mapped[Unit] = relationship()
    frozen_by: Mapped[User | None] = relationship()


class FrozenReportImmutable(Exception):
    pass


def _refuse_changes(session: Session, flush_context: object, instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, MalRapportVersion) and session.is_modified(obj):
            raise FrozenReportImmutable("a frozen report cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, MalRapportVersion):
            raise FrozenReportImmutable("a frozen report cannot be deleted")


if not event.contains(Session, "before_flush", _refuse_changes):
    event.listen(Session, "before_flush", _refuse_changes)


class Internkontroll(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A kontrollmoment of the nämnd's internkontrollplan (kommunallagen 6 kap. 6 §).

    The control itself is an egenkontroll control (kvalitet.egenkontroll `Kontroll`: what is
    checked, method, frequency, who performs it, its occurrences as tasks and their n/N
    results); this row adds what the internkontrollplan needs beside it: the process or
    rutin, the risk (sannolikhet × konsekvens, 1–4 each) and to whom the result is reported.
    """

    __tablename__ = "mal_internkontroll"
    __table_args__ = (UniqueConstraint("plan_id", "kontroll_id", name="mal_ik_kontroll"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("mal_plan.id"), index=True)
    kontroll_id: Mapped[int] = mapped_column(ForeignKey("egk_kontroll.id"), index=True)
    process: Mapped[str] = mapped_column(String(300), default="")
    sannolikhet: Mapped[int] = mapped_column(Integer)
    konsekvens: Mapped[int] = mapped_column(Integer)
    rapporteras_till: Mapped[str] = mapped_column(String(200), default="")

    plan: Mapped[Verksamhetsplan] = relationship()
    kontroll: Mapped[Kontroll] = relationship("Kontroll")

    @property
    def risk_value(self) -> int:
        return self.sannolikhet * self.konsekvens
