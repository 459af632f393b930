"""Kvalitetsberättelse: the report of a förvaltning for a quality year, its narrative text
blocks (an item kind, so they are tasks with owner and due date) and frozen versions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.org.models import Unit, User


class Kvalitetsberattelse(db.Model):  # type: ignore[name-defined,misc]
    """One report: a förvaltning (or any unit chosen as scope) and a quality year."""

    __tablename__ = "kvalitetsberattelse"
    __table_args__ = (UniqueConstraint("unit_id", "first_year", name="kb_unit_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The quality year that starts in this calendar year (2025 = 2025/26).
    first_year: Mapped[int] = mapped_column(Integer, index=True)
    # Inledning written by the kvalitetsutvecklare (purpose etc.), shown first.
    inledning: Mapped[str] = mapped_column(FreeText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Title page: the nämnd's diarienummer and the date of its decision.
    diarienummer: Mapped[str] = mapped_column(String(60), default="", server_default="")
    beslutsdatum: Mapped[date | None] = mapped_column(Date)
    # Headings numbered 1 / 1.1 / 2.1.1; full statistics per avdelning in an appendix.
    numrerade_rubriker: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    bilaga_statistik: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()


class BlockTyp(enum.StrEnum):
    OMRADE = "omrade"  # narrative per unit and quality area
    FORBATTRINGSOMRADEN = "forbattringsomraden"  # "Identifierade förbättringsområden"

    @property
    def label(self) -> str:
        return BLOCK_TYP_LABELS[self]


BLOCK_TYP_LABELS = {
    BlockTyp.OMRADE: "Analys per kvalitetsområde",
    BlockTyp.FORBATTRINGSOMRADEN: "Identifierade förbättringsområden",
}


class TextStatus(enum.StrEnum):
    EJ_PABORJAD = "ej_paborjad"
    UTKAST = "utkast"
    KLAR = "klar"


class Berattelsetext(Item):
    """A narrative block of a kvalitetsberättelse, written by a chef: a task (item kind
    "KBN") with owner and due date, so it shows in Mina ärenden and gets reminders.

    Item.unit is the avdelning (or the förvaltning for the sammanfattande bedömning)."""

    __tablename__ = "berattelsetext"
    __table_args__ = (  # type: ignore[assignment]
        UniqueConstraint("rapport_id", "block_unit_id", "block_typ", "area_id", name="kbn_block"),
    )

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    rapport_id: Mapped[int] = mapped_column(ForeignKey("kvalitetsberattelse.id"), index=True)
    # Copy of Item.unit_id for the uniqueness rule.
    block_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    block_typ: Mapped[str] = mapped_column(String(30), default=BlockTyp.OMRADE)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("quality_area.id"), index=True)
    text: Mapped[str] = mapped_column(FreeText, default="")
    # The unit's key figures when the text was last saved ("Område: Mått" -> value as
    # printed), compared at freezing (kvalitet.rapport.figures).
    figures_seen: Mapped[dict[str, str] | None] = mapped_column(JSON)

    rapport: Mapped[Kvalitetsberattelse] = relationship(foreign_keys=[rapport_id])
    area: Mapped[QualityArea | None] = relationship(foreign_keys=[area_id])

    __mapper_args__ = {"polymorphic_identity": "KBN"}

    @property
    def heading(self) -> str:
        if self.block_typ == BlockTyp.FORBATTRINGSOMRADEN:
            name = "Identifierade förbättringsområden"
            return f"{name}: {self.area.name}" if self.area else name
        return self.area.name if self.area else "Analys"


class RapportVersion(db.Model):  # type: ignore[name-defined,misc]
    """A frozen version: the compiled document as stored JSON, who, when and a checksum.
    Never changed or deleted (a flush listener refuses it)."""

    __tablename__ = "rapport_version"
    __table_args__ = (UniqueConstraint("rapport_id", "number", name="rapport_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rapport_id: Mapped[int] = mapped_column(ForeignKey("kvalitetsberattelse.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON of the document
    sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(FreeText, default="")
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    rapport: Mapped[Kvalitetsberattelse] = relationship()
    frozen_by: Mapped[User | None] = relationship()


class FrozenVersionImmutable(Exception):
    pass


def _refuse_changes(session: Session, flush_context: object, instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, RapportVersion) and session.is_modified(obj):
            raise FrozenVersionImmutable("a frozen version cannot be changed")
    for obj in session.deleted:
        if isinstance(obj, RapportVersion):
            raise FrozenVersionImmutable("a frozen version cannot be deleted")


if not event.contains(Session, "before_flush", _refuse_changes):
    event.listen(Session, "before_flush", _refuse_changes)
