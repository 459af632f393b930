"""Avvikelse: a deviation reported by staff and investigated by the chef (or MAS)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ColumnElement, ForeignKey, Integer, String, and_
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.scales import risk_level

CATEGORY_LIST = "avvikelse_kategori"

DEFAULT_CATEGORIES = [
    "Handläggning/rättssäkerhet",
    "Dokumentation",
    "Sekretess och dataskydd",
    "Bemötande",
    "Samverkan med extern part",
    "Utbetalning",
    "Hot och våld",
    "Läkemedel",
    "Fall",
    "Övrigt",
]


class AvvikelseStatus(enum.StrEnum):
    RAPPORTERAD = "rapporterad"
    # A health-care deviation waits for MAS instead of the chef.
    RAPPORTERAD_HSL = "rapporterad_hsl"
    UNDER_UTREDNING = "under_utredning"
    ATGARDAD = "atgardad"
    AVSLUTAD = "avslutad"


class Orsak(enum.StrEnum):
    """Cause categories of the analysis."""

    RUTIN_SAKNAS = "rutin_saknas"
    RUTIN_EJ_FOLJD = "rutin_ej_foljd"
    KOMMUNIKATION = "kommunikation"
    KOMPETENS = "kompetens"
    BEMANNING = "bemanning"
    TEKNIK = "teknik"
    EXTERN_PART = "extern_part"
    ANNAT = "annat"

    @property
    def label(self) -> str:
        return ORSAK_LABELS[self]


ORSAK_LABELS = {
    Orsak.RUTIN_SAKNAS: "Rutin saknas",
    Orsak.RUTIN_EJ_FOLJD: "Rutin ej följd",
    Orsak.KOMMUNIKATION: "Kommunikation",
    Orsak.KOMPETENS: "Kompetens",
    Orsak.BEMANNING: "Bemanning",
    Orsak.TEKNIK: "Teknik/system",
    Orsak.EXTERN_PART: "Extern part",
    Orsak.ANNAT: "Annat",
}


class Kon(enum.StrEnum):
    KVINNA = "kvinna"
    MAN = "man"
    ANNAT = "annat"
    OKANT = "okant"


KON_LABELS = {
    Kon.KVINNA: "Flicka/kvinna",
    Kon.MAN: "Pojke/man",
    Kon.ANNAT: "Annat",
    Kon.OKANT: "Okänt / vill inte ange",
}

# Age groups of the person concerned (for equality statistics; never a name).
ALDERSGRUPPER = {
    "0-12": "0–12 år",
    "13-17": "13–17 år",
    "18-25": "18–25 år",
    "26-64": "26–64 år",
    "65-": "65 år eller äldre",
    "okand": "Okänd",
}

NOTICED_HOW = {
    "sjalv": "Jag upptäckte det själv",
    "kollega": "En kollega upptäckte det",
    "brukare": "Den enskilde eller närstående påtalade det",
    "extern": "Extern part påtalade det",
    "kontroll": "Vid egenkontroll eller granskning",
    "annat": "Annat sätt",
}


class Avvikelse(Item):
    __tablename__ = "avvikelse"

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    noticed_how: Mapped[str] = mapped_column(String(20), default="")
    noticed_how_text: Mapped[str] = mapped_column(FreeText, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("list_entry.id"), index=True)
    external_party: Mapped[str] = mapped_column(FreeText, default="")
    consequence_actual: Mapped[str] = mapped_column(FreeText, default="")
    consequence_possible: Mapped[str] = mapped_column(FreeText, default="")
    immediate_action: Mapped[str] = mapped_column(FreeText, default="")
    sex: Mapped[str | None] = mapped_column(String(10), index=True)
    age_group: Mapped[str | None] = mapped_column(String(10), index=True)
    # One attribute, two columns, item's first: the ORM writes both, and a statement that
    # asks Avvikelse.health_care asks item's (Item.health_care: MAS's branch of the policy).
    health_care: Mapped[bool] = column_property(
        Item.__table__.c.health_care, Column("health_care", Boolean, nullable=False, default=False)
    )
    # Severity: consequence × likelihood, 1-4 each; `severity` is the product (indexed filter).
    consequence: Mapped[int | None] = mapped_column(Integer)
    likelihood: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[int | None] = mapped_column(Integer, index=True)
    analysis: Mapped[str] = mapped_column(FreeText, default="")
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[ListEntry | None] = relationship()
    causes: Mapped[list[AvvikelseOrsak]] = relationship(
        cascade="all, delete-orphan", order_by="AvvikelseOrsak.orsak"
    )

    __mapper_args__ = {"polymorphic_identity": "AVV"}

    @classmethod
    def health_care_items(cls) -> ColumnElement[bool]:
        """On item alone (no join to this table): the health-care avvikelser."""
        return and_(Item.kind == cls.__mapper__.polymorphic_identity, Item.is_health_care())

    @property
    def cause_codes(self) -> list[str]:
        return [c.orsak for c in self.causes]

    @property
    def cause_labels(self) -> list[str]:
        return [ORSAK_LABELS.get(Orsak(c.orsak), c.orsak) for c in self.causes]

    @property
    def category_label(self) -> str:
        return self.category.label if self.category else ""

    @property
    def severity_level(self) -> int:
        return risk_level(self.severity)


class AvvikelseOrsak(db.Model):  # type: ignore[name-defined,misc]
    """One cause category chosen in the analysis (a row each, so statistics can group)."""

    __tablename__ = "avvikelse_orsak"

    avvikelse_id: Mapped[int] = mapped_column(ForeignKey("avvikelse.id"), primary_key=True)
    orsak: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
