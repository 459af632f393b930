"""Operations on the configurable lists (categories, themes, quality areas): add a value,
switch one on or off. Values are never deleted, so old items keep theirs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kvalitet.core import audit
from kvalitet.core.errors import OperationError
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.org.models import Unit, User

QUALITY_AREA_KEY = "quality_area"


def add_list_value(actor: User, list_key: str, label: str, known_keys: set[str]) -> None:
    label = (label or "").strip()
    if list_key == QUALITY_AREA_KEY:
        if not label or len(label) > 120:
            raise OperationError("Ange ett namn (högst 120 tecken).", field="label")
        if db.session.scalar(select(QualityArea).where(QualityArea.name == label)):
            raise OperationError("Det kvalitetsområdet finns redan.", field="label")
        with transaction():
            db.session.add(QualityArea(name=label, sort_order=100))
            audit.record(actor, "list_added", target=f"list:{list_key}", summary=label)
        return
    if list_key not in known_keys:
        raise OperationError("Okänd lista.", field="list_key")
    if not label or len(label) > 200:
        raise OperationError("Ange ett värde (högst 200 tecken).", field="label")
    if db.session.scalar(
        select(ListEntry).where(ListEntry.list_key == list_key, ListEntry.label == label)
    ):
        raise OperationError("Värdet finns redan i listan.", field="label")
    with transaction():
        db.session.add(ListEntry(list_key=list_key, label=label, sort_order=100))
        audit.record(actor, "list_added", target=f"list:{list_key}", summary=label)


def toggle_list_value(actor: User, value: QualityArea | ListEntry) -> None:
    with transaction():
        value.active = not value.active
        name = value.name if isinstance(value, QualityArea) else value.label
        key = QUALITY_AREA_KEY if isinstance(value, QualityArea) else value.list_key
        audit.record(
            actor,
            "list_activated" if value.active else "list_deactivated",
            target=f"list:{key}",
            summary=name,
        )


# --- units' life ----------------------------------------------------------------------------


def check_unit_life_dates(founded_on: date | None, closed_on: date | None) -> None:
    """The founding and closing dates of a unit, validated before anything is saved."""
    if founded_on is not None and not 1900 <= founded_on.year <= 2200:
        raise OperationError("Ange ett rimligt startdatum (ÅÅÅÅ-MM-DD).", field="founded_on")
    if closed_on is not None and not 1900 <= closed_on.year <= 2200:
        raise OperationError("Ange ett rimligt datum (ÅÅÅÅ-MM-DD).", field="closed_on")
    if founded_on is not None and closed_on is not None and closed_on < founded_on:
        raise OperationError("Enheten kan inte läggas ned före den startade.", field="closed_on")


def set_unit_life(actor: User, unit: Unit, founded_on: date | None, closed_on: date | None) -> Unit:
    """When the unit started and (if it has) was closed down in the organisation. History
    recorded for the unit (`?occurred_at=`, the import) must fall inside these dates."""
    check_unit_life_dates(founded_on, closed_on)
    with transaction():
        before = audit.snapshot(unit, ["founded_on", "closed_on"])
        unit.founded_on, unit.closed_on = founded_on, closed_on
        old, new = audit.changed(before, audit.snapshot(unit, ["founded_on", "closed_on"]))
        if new:
            audit.record(actor, "unit_changed", target=f"unit:{unit.id}",
                         summary=f"Ändrade enhetens start- och nedläggningsdatum: {unit.name}",
                         before=old, after=new)  # fmt: skip
    return unit
