"""Risk: one risk of a unit's risk register, likelihood × consequence, residual risk."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kvalitet.core.base import FreeText
from kvalitet.items.models import Item
from kvalitet.items.scales import risk_level


class RiskStatus(enum.StrEnum):
    IDENTIFIERAD = "identifierad"
    ATGARDER = "atgarder"
    BEVAKAS = "bevakas"
    AVSLUTAD = "avslutad"


class Anledning(enum.StrEnum):
    """Why the analysis was made: continuously or before a change (5 kap. 1 § SOSFS 2011:9)."""

    LOPANDE = "lopande"
    ORGANISATION = "organisation"
    BEMANNING = "bemanning"
    ARBETSSATT = "arbetssatt"
    ANNAT = "annat"


ANLEDNING_LABELS = {
    Anledning.LOPANDE: "Löpande riskbedömning",
    Anledning.ORGANISATION: "Inför förändring i organisationen",
    Anledning.BEMANNING: "Inför förändring i bemanningen",
    Anledning.ARBETSSATT: "Inför förändrat arbetssätt",
    Anledning.ANNAT: "Annat",
}


class Risk(Item):
    __tablename__ = "risk"

    id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    anledning: Mapped[str] = mapped_column(String(20), default=Anledning.LOPANDE, index=True)
    # What could happen to the person if the risk occurs.
    consequence_text: Mapped[str] = mapped_column(FreeText, default="")
    likelihood: Mapped[int] = mapped_column(Integer)
    consequence: Mapped[int] = mapped_column(Integer)
    risk_value: Mapped[int] = mapped_column(Integer, index=True)
    residual_likelihood: Mapped[int | None] = mapped_column(Integer)
    residual_consequence: Mapped[int | None] = mapped_column(Integer)
    residual_value: Mapped[int | None] = mapped_column(Integer)
    review_date: Mapped[date | None] = mapped_column(Date, index=True)

    __mapper_args__ = {"polymorphic_identity": "RSK"}

    @property
    def level(self) -> int:
        return risk_level(self.risk_value)

    @property
    def residual_level(self) -> int:
        return risk_level(self.residual_value)

    @property
    def anledning_label(self) -> str:
        return ANLEDNING_LABELS.get(Anledning(self.anledning), self.anledning)
