"""Small factories for avvikelse tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.avvikelser.models import CATEGORY_LIST
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry


def category(label: str = "Dokumentation") -> ListEntry:
    entry = db.session.scalar(
        select(ListEntry).where(ListEntry.list_key == CATEGORY_LIST, ListEntry.label == label)
    )
    assert entry is not None
    return entry


def report(actor: Any, unit: Any = None, **fields: Any) -> Any:
    from kvalitet.avvikelser.operations import report_avvikelse

    fields.setdefault("description", "Beslut skickades inte ut i tid.")
    fields.setdefault("category_id", category().id)
    if unit is not None:
        fields["unit"] = unit
    return report_avvikelse(actor, **fields)
