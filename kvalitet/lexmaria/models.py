"""Lex Maria (PSL 3 kap. 5 §, HSLF-FS 2017:40; DOMAIN.md §11): the case, its händelseanalys
entries with provenance, and the patientsäkerhetsberättelse with its texts and frozen
versions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.provenance import ProvenanceEntry
from kvalitet.lexsarah.models import KANAL_LABELS, Kanal
from kvalitet.org.models import Unit, User


class LexMariaStatus(enum.StrEnum):
    RAPPORTERAD = "rapporterad"  # waits for the MAS's assessment
    UTREDNING = "utredning"  # händelseanalys, ends with the decision
    ANMALAN = "anmalan"  # decided: to be reported to IVO snarast
    ATGARDER = "atgarder"  # information to the patient, actions, closing
    AVSLUTAD = "avslutad"


class Bedomning(enum.StrEnum):
    """The MAS's assessment of the händelse."""

    ALLVARLIG_VARDSKADA = "allvarlig_vardskada"
    RISK_ALLVARLIG = "risk_allvarlig"
    VARDSKADA = "vardskada"
    INGEN = "ingen"
    OSAKERT = "osakert"

    @property
    def label(self) -> str:
        return BEDOMNING_LABELS[self]


BEDOMNING_LABELS = {
    Bedomning.ALLVARLIG_VARDSKADA: "Händelsen har medfört en allvarlig vårdskada",
    Bedomning.RISK_ALLVARLIG: "Händelsen hade kunnat medföra en allvarlig vårdskada",
    Bedomning.VARDSKADA: "Vårdskada eller risk för vårdskada, inte allvarlig",
    Bedomning.INGEN: "Ingen vårdskada eller risk för vårdskada",
    Bedomning.OSAKERT: "Oklart, utreds",
}
# Assessments that make the händelse a lex Maria case (anmälan to IVO to be considered).
LEX_MARIA = (Bedomning.ALLVARLIG_VARDSKADA, Bedomning.RISK_ALLVARLIG)


class Sektion(enum.StrEnum):
    """The parts of the händelseanalys."""

    HANDELSE = "handelse"
    KONSEKVENS = "konsekvens"
    ORSAKER = "orsaker"
    ATGARDER = "atgarder"
    SLUTSATS = "slutsats"

    @property
    def label(self) -> str:
        return SEKTION_LABELS[self]


SEKTION_LABELS = {
    Sektion.HANDELSE: "Vad som hände (händelseförloppet)",
    Sektion.KONSEKVENS: "Konsekvenser för patienten",
    Sektion.ORSAKER: "Orsaker och bidragande faktorer",
    Sektion.ATGARDER: "Åtgärder för att förhindra att det händer igen",
    Sektion.SLUTSATS: "Slutsats",
}
REQUIRED_SECTIONS = (Sektion.HANDELSE, Sektion.ORSAKER, Sektion.ATGARDER)


class Mottagare(enum.StrEnum):
    """Who was informed (PSL 3 kap. 8 §)."""

    PATIENT = "patient"
    NARSTAENDE = "narstaende"

    @property
    def label(self) -> str:
        return "Patienten" if self is Mottagare.PATIENT else "Närstående"


class Informationssatt(enum.StrEnum):
    SAMTAL = "samtal"
    TELEFON = "telefon"
    MOTE = "mote"
    BREV = "brev"

    @property
    def label(self) -> str:
        return SATT_LABELS[self]


SATT_LABELS = {
    Informationssatt.SAMTAL: "Samtal på plats",
    Informationssatt.TELEFON: "Telefon",
    Informationssatt.MOTE: "Möte",
    Informationssatt.BREV: "Brev",
}

# The points PSL 3 kap. 8 § asks the information to cover: attribute -> label.
INFO_POINTS = {
    "info_handelse": "Vad som har hänt",
    "info_atgarder": "Vilka åtgärder som har vidtagits",
    "info_klagomal": "Möjligheten att klaga (vårdgivaren, patientnämnden, IVO)",
    "info_anmalan": "Att händelsen har anmälts till IVO",
}


class LexMariaArende(Item):
    __tablename__ = "lexmaria_arende"
    __table_args__ = (Index("ix_lexmaria_arende_ivo_due", "ivo_utredning_due"),)  # type: ignore[assignment]

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    # The händelse
    happened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    noticed_how: Mapped[str] = mapped_column(FreeText, default="")
    consequences: Mapped[str] = mapped_column(FreeText, default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    immediate_measures: Mapped[str] = mapped_column(FreeText, default="")
    immediate_measures_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The MAS's assessment
    assessment: Mapped[str | None] = mapped_column(String(30), index=True)
    assessment_text: Mapped[str] = mapped_column(FreeText, default="")
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The decision whether to report to IVO
    ivo_anmalan: Mapped[bool | None] = mapped_column(Boolean)
    decision_reason: Mapped[str] = mapped_column(FreeText, default="")
    decision_maker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    decision_date: Mapped[date | None] = mapped_column(Date, index=True)
    # The anmälan to IVO ("snarast")
    ivo_filed_date: Mapped[date | None] = mapped_column(Date, index=True)
    ivo_channel: Mapped[str | None] = mapped_column(String(20))
    ivo_region: Mapped[str | None] = mapped_column(String(100))
    ivo_diarienummer: Mapped[str] = mapped_column(String(60), default="")
    ivo_utredning_attached: Mapped[bool | None] = mapped_column(Boolean)
    ivo_utredning_due: Mapped[date | None] = mapped_column(Date)
    ivo_utredning_sent_date: Mapped[date | None] = mapped_column(Date)
    # Information to the patient or närstående (PSL 3 kap. 8 §)
    informed_date: Mapped[date | None] = mapped_column(Date, index=True)
    informed_who: Mapped[str | None] = mapped_column(String(20))
    informed_how: Mapped[str | None] = mapped_column(String(20))
    informed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    informed_by_name: Mapped[str] = mapped_column(String(200), default="")
    informed_by_title: Mapped[str] = mapped_column(String(200), default="")
    info_handelse: Mapped[bool] = mapped_column(Boolean, default=False)
    info_atgarder: Mapped[bool] = mapped_column(Boolean, default=False)
    info_klagomal: Mapped[bool] = mapped_column(Boolean, default=False)
    info_anmalan: Mapped[bool] = mapped_column(Boolean, default=False)
    informed_note: Mapped[str] = mapped_column(FreeText, default="")
    # Why nobody could be informed (no närstående, the patient declined ...)
    not_informed_reason: Mapped[str] = mapped_column(FreeText, default="")
    closing_note: Mapped[str] = mapped_column(FreeText, default="")

    assessed_by: Mapped[User | None] = relationship(foreign_keys=[assessed_by_id])
    decision_maker: Mapped[User | None] = relationship(foreign_keys=[decision_maker_id])
    entries: Mapped[list[LexMariaPost]] = relationship(
        back_populates="arende", order_by="(LexMariaPost.entry_date, LexMariaPost.id)"
    )

    __mapper_args__ = {"polymorphic_identity": "LXM"}

    @property
    def assessment_label(self) -> str:
        return BEDOMNING_LABELS[Bedomning(self.assessment)] if self.assessment else "–"

    @property
    def is_lex_maria(self) -> bool:
        """Assessed as (risk for) allvarlig vårdskada, or decided to be reported."""
        return bool(self.assessment in LEX_MARIA or self.ivo_anmalan)

    @property
    def channel_label(self) -> str:
        return KANAL_LABELS[Kanal(self.ivo_channel)] if self.ivo_channel else "–"

    @property
    def informed_who_label(self) -> str:
        return Mottagare(self.informed_who).label if self.informed_who else "–"

    @property
    def informed_how_label(self) -> str:
        return Informationssatt(self.informed_how).label if self.informed_how else "–"

    @property
    def info_points_given(self) -> list[str]:
        return [label for attr, label in INFO_POINTS.items() if getattr(self, attr)]

    def entries_in(self, section: str) -> list[LexMariaPost]:
        return [e for e in self.entries if e.section == section]


class LexMariaPost(ProvenanceEntry, db.Model):  # type: ignore[name-defined,misc]
    """One entry of the händelseanalys."""

    __tablename__ = "lexmaria_utredning_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    arende_id: Mapped[int] = mapped_column(ForeignKey("lexmaria_arende.id"), index=True)

    arende: Mapped[LexMariaArende] = relationship(back_populates="entries")

    @property
    def section_label(self) -> str:
        return Sektion(self.section).label


# --- patientsäkerhetsberättelse -----------------------------------------------------------


class PsbAvsnitt(enum.StrEnum):
    """The chapters of Socialstyrelsen's guidance for the patientsäkerhetsberättelse."""

    MAL = "mal"
    ANSVAR = "ansvar"
    UPPFOLJNING = "uppfoljning"
    SAMVERKAN = "samverkan"
    RISKANALYS = "riskanalys"
    EGENKONTROLL = "egenkontroll"
    AVVIKELSER = "avvikelser"
    LEXMARIA = "lexmaria"
    KLAGOMAL = "klagomal"
    RESULTAT = "resultat"
    KOMMANDE = "kommande"

    @property
    def label(self) -> str:
        return PSB_AVSNITT_LABELS[self]


PSB_AVSNITT_LABELS = {
    PsbAvsnitt.MAL: "Övergripande mål och strategier",
    PsbAvsnitt.ANSVAR: "Organisatoriskt ansvar för patientsäkerhetsarbetet",
    PsbAvsnitt.UPPFOLJNING: "Struktur för uppföljning och utvärdering",
    PsbAvsnitt.SAMVERKAN: "Samverkan för att förebygga vårdskador",
    PsbAvsnitt.RISKANALYS: "Riskanalys",
    PsbAvsnitt.EGENKONTROLL: "Egenkontroll",
    PsbAvsnitt.AVVIKELSER: "Avvikelser",
    PsbAvsnitt.LEXMARIA: "Händelser och vårdskador (lex Maria)",
    PsbAvsnitt.KLAGOMAL: "Klagomål och synpunkter",
    PsbAvsnitt.RESULTAT: "Resultat",
    PsbAvsnitt.KOMMANDE: "Mål och strategier för kommande år",
}


class Patientsakerhetsberattelse(db.Model):  # type: ignore[name-defined,misc]
    """The patientsäkerhetsberättelse of a vårdgivare (a förvaltning) for a calendar year."""

    __tablename__ = "patientsakerhetsberattelse"
    __table_args__ = (UniqueConstraint("unit_id", "year", name="uq_psb_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    unit: Mapped[Unit] = relationship()


class PsbText(Item):
    """A chapter text of a patientsäkerhetsberättelse: a task (kind "PSB") with owner and
    due date, so it shows in Mina ärenden."""

    __tablename__ = "psb_text"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("berattelse_id", "avsnitt", name="uq_psb_text_avsnitt"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    berattelse_id: Mapped[int] = mapped_column(
        ForeignKey("patientsakerhetsberattelse.id"), index=True
    )
    avsnitt: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(FreeText, default="")

    berattelse: Mapped[Patientsakerhetsberattelse] = relationship(foreign_keys=[berattelse_id])

    __mapper_args__ = {"polymorphic_identity": "PSB"}

    @property
    def heading(self) -> str:
        return PsbAvsnitt(self.avsnitt).label


class PsbVersion(db.Model):  # type: ignore[name-defined,misc]
    """A frozen version: the compiled document as canonical JSON with its sha256. Never
    changed or deleted."""

    __tablename__ = "psb_version"
    __table_args__ = (UniqueConstraint("berattelse_id", "number", name="uq_psb_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    berattelse_id: Mapped[int] = mapped_column(
        ForeignKey("patientsakerhetsberattelse.id"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(FreeText, default="")
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    berattelse: Mapped[Patientsakerhetsberattelse] = relationship()
    frozen_by: Mapped[User | None] = relationship()


class FrozenPsbImmutable(Exception):
    pass


def _refuse_changes(session: Session, flush_context: object, instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, PsbVersion) and session.is_modified(obj):
            raise FrozenPsbImmutable("a frozen version cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, PsbVersion):
            raise FrozenPsbImmutable("a frozen version cannot be deleted")


if not event.contains(Session, "before_flush", _refuse_changes):
    event.listen(Session, "before_flush", _refuse_changes)
