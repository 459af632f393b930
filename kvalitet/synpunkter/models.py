"""Synpunkt: a synpunkt, klagomål, förslag or beröm, registered with a diarienummer."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from kvalitet.core.base import FreeText
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry

THEME_LIST = "synpunkt_tema"


class SynpunktTyp(enum.StrEnum):
    KLAGOMAL = "klagomal"
    SYNPUNKT = "synpunkt"
    FORSLAG = "forslag"
    BEROM = "berom"

    @property
    def label(self) -> str:
        return TYP_LABELS[self]


TYP_LABELS = {
    SynpunktTyp.KLAGOMAL: "Klagomål",
    SynpunktTyp.SYNPUNKT: "Synpunkt",
    SynpunktTyp.FORSLAG: "Förslag",
    SynpunktTyp.BEROM: "Beröm",
}


class Kalla(enum.StrEnum):
    """Who it comes from (SOSFS 2011:9 5 kap. 3 §)."""

    BRUKARE = "brukare"
    NARSTAENDE = "narstaende"
    PERSONAL = "personal"
    VARDGIVARE = "vardgivare"
    ANNAN_UTFORARE = "annan_utforare"
    MYNDIGHET = "myndighet"
    FORENING = "forening"

    @property
    def label(self) -> str:
        return KALLA_LABELS[self]


KALLA_LABELS = {
    Kalla.BRUKARE: "Brukare / vård- och omsorgstagare",
    Kalla.NARSTAENDE: "Närstående",
    Kalla.PERSONAL: "Personal",
    Kalla.VARDGIVARE: "Vårdgivare",
    Kalla.ANNAN_UTFORARE: "Annan utförare",
    Kalla.MYNDIGHET: "Myndighet",
    Kalla.FORENING: "Förening / organisation",
}


class Kanal(enum.StrEnum):
    E_TJANST = "e_tjanst"
    E_POST = "e_post"
    BREV = "brev"
    TELEFON = "telefon"
    BESOK = "besok"
    MUNTLIGT = "muntligt"

    @property
    def label(self) -> str:
        return KANAL_LABELS[self]


KANAL_LABELS = {
    Kanal.E_TJANST: "E-tjänst",
    Kanal.E_POST: "E-post",
    Kanal.BREV: "Brev",
    Kanal.TELEFON: "Telefon",
    Kanal.BESOK: "Besök",
    Kanal.MUNTLIGT: "Muntligt vid möte",
}


class SvarSatt(enum.StrEnum):
    """How an acknowledgement or answer was given."""

    BREV = "brev"
    E_POST = "e_post"
    TELEFON = "telefon"
    MOTE = "mote"
    E_TJANST = "e_tjanst"

    @property
    def label(self) -> str:
        return SVAR_LABELS[self]


SVAR_LABELS = {
    SvarSatt.BREV: "Brev",
    SvarSatt.E_POST: "E-post",
    SvarSatt.TELEFON: "Telefon",
    SvarSatt.MOTE: "Personligt möte",
    SvarSatt.E_TJANST: "Via e-tjänsten",
}


class SynpunktStatus(enum.StrEnum):
    INKOMMEN = "inkommen"  # from the e-tjänst, waiting for the registrator
    MOTTAGEN = "mottagen"  # registered, at the unit, not yet acknowledged
    BEKRAFTAD = "bekraftad"  # receipt acknowledged, answer pending
    BESVARAD = "besvarad"
    AVSLUTAD = "avslutad"  # closed without an answer (anonymous, withdrawn, ...)


# Every theme of a synpunkt (a ListEntry of THEME_LIST): one row each, so statistics count a
# synpunkt under each of its themes.
synpunkt_tema = Table(
    "synpunkt_tema",
    db.metadata,
    Column("synpunkt_id", ForeignKey("synpunkt.id"), primary_key=True),
    Column("theme_id", ForeignKey("list_entry.id"), primary_key=True, index=True),
)


class Synpunkt(Item):
    __tablename__ = "synpunkt"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("diarie_year", "diarie_seq", name="synpunkt_diarie"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    diarienummer: Mapped[str] = mapped_column(String(40), unique=True)
    diarie_year: Mapped[int] = mapped_column(Integer)
    diarie_seq: Mapped[int] = mapped_column(Integer)
    received_date: Mapped[date] = mapped_column(Date, index=True)
    typ: Mapped[str] = mapped_column(String(20), index=True)
    kalla: Mapped[str] = mapped_column(String(20), index=True)
    kanal: Mapped[str] = mapped_column(String(20), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("list_entry.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    contact_name: Mapped[str] = mapped_column(FreeText, default="")
    contact_info: Mapped[str] = mapped_column(FreeText, default="")
    # Hälso- och sjukvård: the answer deadline is counted in weeks instead of working days.
    # Written to item's column as well (as Avvikelse.health_care).
    health_care: Mapped[bool] = column_property(
        Item.__table__.c.health_care, Column("health_care", Boolean, nullable=False, default=False)
    )
    public_submission: Mapped[bool] = mapped_column(Boolean, default=False)

    ack_due: Mapped[date | None] = mapped_column(Date)
    acknowledged_date: Mapped[date | None] = mapped_column(Date)
    ack_method: Mapped[str] = mapped_column(String(20), default="")

    answer_due: Mapped[date | None] = mapped_column(Date)
    answered_date: Mapped[date | None] = mapped_column(Date, index=True)
    answer_method: Mapped[str] = mapped_column(String(20), default="")
    answer_text: Mapped[str] = mapped_column(FreeText, default="")
    # The explanation given and what was done or will be done about it.
    explanation: Mapped[str] = mapped_column(FreeText, default="")
    # Calendar days from received to answered, stored at answer time for the median.
    answer_days: Mapped[int | None] = mapped_column(Integer)

    # The first of its themes (kept for readers of one theme: the analys module, imports);
    # `themes` holds them all (issue 19: several themes per synpunkt).
    theme: Mapped[ListEntry | None] = relationship(foreign_keys=[theme_id])
    themes: Mapped[list[ListEntry]] = relationship(
        secondary=synpunkt_tema, order_by=ListEntry.sort_order
    )

    __mapper_args__ = {"polymorphic_identity": "SYN"}

    @property
    def theme_labels(self) -> list[str]:
        return [t.label for t in self.themes]

    @property
    def typ_label(self) -> str:
        return TYP_LABELS.get(SynpunktTyp(self.typ), self.typ) if self.typ else ""

    @property
    def kalla_label(self) -> str:
        return KALLA_LABELS.get(Kalla(self.kalla), self.kalla) if self.kalla else ""

    @property
    def kanal_label(self) -> str:
        return KANAL_LABELS.get(Kanal(self.kanal), self.kanal) if self.kanal else ""

    @property
    def ack_method_label(self) -> str:
        return SVAR_LABELS[SvarSatt(self.ack_method)] if self.ack_method else ""

    @property
    def answer_method_label(self) -> str:
        return SVAR_LABELS[SvarSatt(self.answer_method)] if self.answer_method else ""

    @property
    def answer_owed(self) -> bool:
        return not self.anonymous

    @property
    def ack_in_time(self) -> bool | None:
        if self.ack_due is None or self.acknowledged_date is None:
            return None
        return self.acknowledged_date <= self.ack_due

    @property
    def answered_in_time(self) -> bool | None:
        if self.answer_due is None or self.answered_date is None:
            return None
        return self.answered_date <= self.answer_due
