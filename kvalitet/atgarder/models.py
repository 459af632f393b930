"""Förbättringsåtgärd: an improvement action with owner, due date and follow-up of effect."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import FreeText
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit


class AtgardTyp(enum.StrEnum):
    OMEDELBAR = "omedelbar"
    KORRIGERANDE = "korrigerande"
    FOREBYGGANDE = "forebyggande"
    FORBATTRING = "forbattring"

    @property
    def label(self) -> str:
        return ATGARD_TYP_LABELS[self]


ATGARD_TYP_LABELS = {
    AtgardTyp.OMEDELBAR: "Omedelbar",
    AtgardTyp.KORRIGERANDE: "Korrigerande",
    AtgardTyp.FOREBYGGANDE: "Förebyggande",
    AtgardTyp.FORBATTRING: "Förbättring",
}


class AtgardStatus(enum.StrEnum):
    FORESLAGEN = "foreslagen"
    PABORJAD = "paborjad"
    PAGAR = "pagar"
    GENOMFORD = "genomford"
    EJ_GENOMFORD = "ej_genomford"


atgard_unit = Table(
    "atgard_unit",
    db.metadata,
    Column("atgard_id", ForeignKey("atgard.id"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True, index=True),
)


class Atgard(Item):
    __tablename__ = "atgard"

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    atgard_typ: Mapped[str] = mapped_column(String(20), default=AtgardTyp.FORBATTRING)
    # Why the action is needed (the item's description says what is to be done).
    why: Mapped[str] = mapped_column(FreeText, default="")
    # Where the proposal came from when not linked to an item: "årlig analys", ...
    source_text: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    done_text: Mapped[str] = mapped_column(FreeText, default="")
    effect_text: Mapped[str] = mapped_column(FreeText, default="")
    effect_date: Mapped[date | None] = mapped_column(Date)
    # "Återkommer nästa år": carry into next year's kvalitetsberättelse.
    carry_over: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consciously deferred ("medvetet uppskjuten") so a deviation can close with it open.
    deferred: Mapped[bool] = mapped_column(Boolean, default=False)

    units_concerned: Mapped[list[Unit]] = relationship(secondary=atgard_unit, order_by=Unit.name)

    __mapper_args__ = {"polymorphic_identity": "ATG"}

    @property
    def typ_label(self) -> str:
        return ATGARD_TYP_LABELS.get(AtgardTyp(self.atgard_typ), self.atgard_typ)
