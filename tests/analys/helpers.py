"""Factories for the samlad analys tests: items placed at a chosen time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from kvalitet.avvikelser.operations import report_avvikelse
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry
from kvalitet.lexsarah import operations as lexsarah_ops
from kvalitet.synpunkter import operations as synpunkter_ops


def entry(list_key: str, label: str) -> ListEntry:
    found = db.session.scalar(
        select(ListEntry).where(ListEntry.list_key == list_key, ListEntry.label == label)
    )
    assert found is not None, label
    return found


def at(day: date, hour: int = 10) -> datetime:
    return clock.local_midnight_utc(day) + timedelta(hours=hour)


def avvikelse(actor: Any, unit: Any, day: date, category: str = "Dokumentation",
              text: str = "Anteckningen saknades.") -> Any:  # fmt: skip
    item = report_avvikelse(actor, unit=unit, description=text,
                            category_id=entry("avvikelse_kategori", category).id)  # fmt: skip
    item.created_at = at(day)
    db.session.flush()
    return item


def monthly_avvikelser(actor: Any, unit: Any, first: date, counts: list[int], **kw: Any) -> None:
    for n, count in enumerate(counts):
        month = first + relativedelta(months=n)
        for i in range(count):
            avvikelse(actor, unit, month + timedelta(days=i % 27), **kw)


def klagomal(actor: Any, unit: Any, day: date, text: str, theme: str | None = None) -> Any:
    return synpunkter_ops.register(
        actor, unit=unit, typ="klagomal", kalla="brukare", kanal="brev", description=text,
        received_date=day, theme_id=entry("synpunkt_tema", theme).id if theme else None,
    )  # fmt: skip


def lex_sarah(actor: Any, unit: Any, day: date, title: str, text: str) -> Any:
    item = lexsarah_ops.report(actor, unit=unit, title=title, description=text)
    item.reported_at = at(day)
    item.created_at = at(day)
    db.session.flush()
    return item
