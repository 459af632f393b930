"""Lex Sarah (DOMAIN.md §5.2): the case, its utredning entries, the reporter kept apart, and
the spreading of lessons to other units."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.provenance import ProvenanceEntry
from kvalitet.org.models import Unit, User


class LexSarahStatus(enum.StrEnum):
    RAPPORTERAD = "rapporterad"  # waits for SAS first assessment
    UTREDNING = "utredning"  # investigation, ends with the beslut
    ANMALAN = "anmalan"  # allvarligt: to be reported to IVO
    SPRIDNING = "spridning"  # actions and spreading
    AVSLUTAD = "avslutad"


class Bedomning(enum.StrEnum):
    MISSFORHALLANDE = "missforhallande"
    PATAGLIG_RISK = "pataglig_risk"
    EJ_MISSFORHALLANDE = "ej_missforhallande"
    OSAKERT = "osakert"

    @property
    def label(self) -> str:
        return BEDOMNING_LABELS[self]


BEDOMNING_LABELS = {
    Bedomning.MISSFORHALLANDE: "Missförhållande",
    Bedomning.PATAGLIG_RISK: "Påtaglig risk för missförhållande",
    Bedomning.EJ_MISSFORHALLANDE: "Ej missförhållande",
    Bedomning.OSAKERT: "Oklart, utreds",
}


class Utfall(enum.StrEnum):
    """The outcome of the beslut."""

    EJ_MISSFORHALLANDE = "ej_missforhallande"
    MISSFORHALLANDE = "missforhallande"
    PATAGLIG_RISK = "pataglig_risk"

    @property
    def label(self) -> str:
        return UTFALL_LABELS[self]


UTFALL_LABELS = {
    Utfall.EJ_MISSFORHALLANDE: "Ej missförhållande",
    Utfall.MISSFORHALLANDE: "Missförhållande",
    Utfall.PATAGLIG_RISK: "Påtaglig risk för missförhållande",
}


class Kanal(enum.StrEnum):
    """How the anmälan reached IVO. Never e-mail (secrecy)."""

    ETJANST = "etjanst"
    POST = "post"

    @property
    def label(self) -> str:
        return KANAL_LABELS[self]


KANAL_LABELS = {Kanal.ETJANST: "IVO:s e-tjänst", Kanal.POST: "Post"}


class Sektion(enum.StrEnum):
    """The content points of an utredning that SOSFS 2011:5 requires."""

    HANDELSE = "handelse"
    UPPMARKSAMMAT = "uppmarksammat"
    TIDPUNKT = "tidpunkt"
    ORSAKER = "orsaker"
    TIDIGARE = "tidigare"
    UPPREPNING = "upprepning"
    ATGARDER = "atgarder"
    OVRIGT = "ovrigt"
    AVSLUTANDE = "avslutande"

    @property
    def label(self) -> str:
        return SEKTION_LABELS[self]


SEKTION_LABELS = {
    Sektion.HANDELSE: "Vad som hänt och konsekvenserna för den enskilde",
    Sektion.UPPMARKSAMMAT: "När och hur missförhållandet uppmärksammades",
    Sektion.TIDPUNKT: "När missförhållandet inträffade",
    Sektion.ORSAKER: "Orsaker som har identifierats",
    Sektion.TIDIGARE: "Om det har hänt tidigare och varför det i så fall har upprepats",
    Sektion.UPPREPNING: "Om det kan hända igen",
    Sektion.ATGARDER: "Åtgärder (med tidpunkt) för att avhjälpa och förebygga",
    Sektion.OVRIGT: "Annat som har framkommit",
    Sektion.AVSLUTANDE: "Avslutande ställningstagande",
}

# Sections that must hold at least one entry before the beslut. "Annat som har framkommit"
# may be empty.
REQUIRED_SECTIONS = tuple(s for s in Sektion if s is not Sektion.OVRIGT)


class LexSarahArende(Item):
    __tablename__ = "lexsarah_arende"
    __table_args__ = (Index("ix_lexsarah_arende_ivo_due", "ivo_utredning_due"),)  # type: ignore[assignment]

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    # The rapport
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    noticed_how: Mapped[str] = mapped_column(FreeText, default="")
    consequences: Mapped[str] = mapped_column(FreeText, default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    # Immediate protective measures ("omedelbart")
    immediate_measures: Mapped[str] = mapped_column(FreeText, default="")
    immediate_measures_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SAS first assessment
    assessment: Mapped[str | None] = mapped_column(String(30))
    assessment_text: Mapped[str] = mapped_column(FreeText, default="")
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Beslut
    outcome: Mapped[str | None] = mapped_column(String(30), index=True)
    allvarligt: Mapped[bool | None] = mapped_column(Boolean)
    decision_reason: Mapped[str] = mapped_column(FreeText, default="")
    decision_maker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    decision_date: Mapped[date | None] = mapped_column(Date, index=True)
    # Anmälan till IVO
    ivo_filed_date: Mapped[date | None] = mapped_column(Date, index=True)
    ivo_channel: Mapped[str | None] = mapped_column(String(20))
    ivo_region: Mapped[str | None] = mapped_column(String(100))
    ivo_diarienummer: Mapped[str] = mapped_column(String(60), default="")
    ivo_utredning_attached: Mapped[bool | None] = mapped_column(Boolean)
    # When the investigation was not attached: it must reach IVO within two months.
    ivo_utredning_due: Mapped[date | None] = mapped_column(Date)
    ivo_utredning_sent_date: Mapped[date | None] = mapped_column(Date)
    # Spreading: the avdelning's ledningsgrupp reviewed the decision
    spread_text: Mapped[str] = mapped_column(FreeText, default="")
    ledningsgrupp_date: Mapped[date | None] = mapped_column(Date)
    closing_note: Mapped[str] = mapped_column(FreeText, default="")

    assessed_by: Mapped[User | None] = relationship(foreign_keys=[assessed_by_id])
    decision_maker: Mapped[User | None] = relationship(foreign_keys=[decision_maker_id])
    entries: Mapped[list[UtredningPost]] = relationship(
        back_populates="arende", order_by="(UtredningPost.entry_date, UtredningPost.id)"
    )
    spreading: Mapped[list[Spridning]] = relationship(
        back_populates="arende", order_by="Spridning.id"
    )

    __mapper_args__ = {"polymorphic_identity": "LXS"}

    @property
    def assessment_label(self) -> str:
        return BEDOMNING_LABELS[Bedomning(self.assessment)] if self.assessment else "–"

    @property
    def outcome_label(self) -> str:
        return UTFALL_LABELS[Utfall(self.outcome)] if self.outcome else "–"

    @property
    def channel_label(self) -> str:
        return KANAL_LABELS[Kanal(self.ivo_channel)] if self.ivo_channel else "–"

    def entries_in(self, section: str) -> list[UtredningPost]:
        return [e for e in self.entries if e.section == section]


class Rapportor(db.Model):  # type: ignore[name-defined,misc]
    """Who reported: kept apart from the case and shown only to SAS (DOMAIN.md §5.2 step 1)."""

    __tablename__ = "lexsarah_rapportor"
    __table_args__ = (UniqueConstraint("arende_id", name="uq_lexsarah_rapportor_arende"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arende_id: Mapped[int] = mapped_column(ForeignKey("lexsarah_arende.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user: Mapped[User | None] = relationship()


class UtredningPost(ProvenanceEntry, db.Model):  # type: ignore[name-defined,misc]
    """One entry of the utredning: date, source, fact or assessment, author name and title
    (the columns shared with lex Maria's händelseanalys, kvalitet.items.provenance)."""

    __tablename__ = "lexsarah_utredning_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    arende_id: Mapped[int] = mapped_column(ForeignKey("lexsarah_arende.id"), index=True)

    arende: Mapped[LexSarahArende] = relationship(back_populates="entries")

    @property
    def section_label(self) -> str:
        return Sektion(self.section).label


class Spridning(db.Model):  # type: ignore[name-defined,misc]
    """A unit where the same risk exists; its chef confirms the measures are known and
    applied."""

    __tablename__ = "lexsarah_spridning"
    __table_args__ = (UniqueConstraint("arende_id", "unit_id", name="uq_lexsarah_spridning"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    arende_id: Mapped[int] = mapped_column(ForeignKey("lexsarah_arende.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    confirm_note: Mapped[str] = mapped_column(FreeText, default="")

    arende: Mapped[LexSarahArende] = relationship(back_populates="spreading")
    unit: Mapped[Unit] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
