"""What an investigation entry with provenance is, for every kind that investigates (lex
Sarah's SOSFS 2011:5 utredning, lex Maria's händelseanalys): date, source, fact or
assessment, the text, and the author's name and title as they were when written.

`ProvenanceEntry` is the mixin of the entry table; `entry_fields` validates one entry and
returns the column values. Kinds import this module; it imports nothing from the kinds."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kvalitet.core import clock
from kvalitet.core.base import FreeText, UTCDateTime
from kvalitet.core.errors import OperationError
from kvalitet.core.pii import check_text

if TYPE_CHECKING:
    from kvalitet.org.models import User


class Karaktar(enum.StrEnum):
    FAKTA = "fakta"
    BEDOMNING = "bedomning"

    @property
    def label(self) -> str:
        return "Fakta" if self is Karaktar.FAKTA else "Bedömning"


class ProvenanceEntry:
    """Columns of an entry with provenance (mixed into a kind's own entry table)."""

    section: Mapped[str] = mapped_column(String(30), index=True)
    entry_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(FreeText)
    karaktar: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(FreeText)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Name and title as they were when written (people change titles).
    author_name: Mapped[str] = mapped_column(String(200))
    author_title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def karaktar_label(self) -> str:
        return Karaktar(self.karaktar).label


def clean_text(
    value: str | None, field: str, label: str, required: bool = True, limit: int = 20000
) -> str:
    """Stripped text; a Swedish message at `field` when empty (if required), too long, or
    holding a personnummer."""
    value = (value or "").strip()
    if required and not value:
        raise OperationError(f"Fyll i {label}.", field=field)
    if len(value) > limit:
        raise OperationError(f"Texten är för lång (högst {limit} tecken).", field=field)
    check_text(value, field)
    return value


def not_future(value: datetime | date | None, field: str) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        if value > clock.now():
            raise OperationError("Tidpunkten kan inte ligga i framtiden.", field=field)
    elif value > clock.today():
        raise OperationError("Datumet kan inte ligga i framtiden.", field=field)


def entry_fields(
    actor: User,
    *,
    section: str,
    sections: set[str],
    entry_date: date | None,
    source: str,
    karaktar: str,
    text: str,
) -> dict[str, Any]:
    """The validated column values of one entry written by `actor`."""
    if section not in sections:
        raise OperationError("Välj avsnitt.", field="section")
    if karaktar not in set(Karaktar):
        raise OperationError("Ange om uppgiften är fakta eller bedömning.", field="karaktar")
    if entry_date is None:
        raise OperationError("Ange datum.", field="entry_date")
    not_future(entry_date, "entry_date")
    return {
        "section": section,
        "entry_date": entry_date,
        "source": clean_text(source, "source", "källa", limit=300),
        "karaktar": karaktar,
        "text": clean_text(text, "text", "uppgiften"),
        "author_id": actor.id,
        "author_name": actor.name,
        "author_title": actor.title or "",
    }
