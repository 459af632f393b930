"""Synpunkt statistics: SQL aggregates by kind, source, channel, theme and unit, shares in
time, median days to answer, the previous year beside."""

from datetime import date, datetime

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.periods import quality_year
from kvalitet.core.permissions import suppress_small
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry
from kvalitet.items.operations import cancel_item
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.models import THEME_LIST
from kvalitet.synpunkter.stats import statistics


def on(day: date) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 10, 0))


def reg(org, unit, received, **kw):
    fields = dict(typ="klagomal", kalla="brukare", kanal="brev", description="Text")
    fields.update(kw)
    return ops.register(org.registrator, unit=unit, received_date=received, **fields)


def test_statistics(app, org):
    theme = db.session.scalar(
        select(ListEntry).where(ListEntry.list_key == THEME_LIST, ListEntry.label == "Väntetid")
    )
    on(date(2025, 3, 10))
    reg(org, org.a1, date(2025, 3, 10))  # previous quality year
    on(date(2026, 3, 2))
    a = reg(org, org.a1, date(2026, 3, 2), theme_id=theme.id)
    b = reg(org, org.a2, date(2026, 3, 2), kanal="telefon", kalla="narstaende")
    on(date(2026, 3, 3))
    ops.acknowledge(a, org.chef_a1, method="brev")
    on(date(2026, 3, 5))
    reg(org, org.a1, date(2026, 3, 5), anonymous=True, typ="berom")
    on(date(2026, 3, 10))
    ops.answer(a, org.chef_a1, text="Svar", method="brev")
    on(date(2026, 3, 20))
    ops.answer(b, org.chef_a2, text="Svar", method="telefon")
    on(date(2026, 3, 25))
    reg(org, org.a1, date(2026, 3, 25))  # not acknowledged: late by 31 March
    reg(org, org.b1, date(2026, 3, 25))  # outside avdelning A
    cancelled = reg(org, org.a1, date(2026, 3, 25))
    cancel_item(cancelled, org.registrator, "Dubblett")
    on(date(2026, 3, 31))

    period = quality_year(2025)
    stats = statistics(org.avd_a, period)
    assert stats["total"] == 4
    assert stats["anonymous"] == 1
    assert stats["by_typ"] == {"Klagomål": 3, "Beröm": 1}
    assert stats["by_kanal"] == {"Brev": 3, "Telefon": 1}
    assert stats["by_kalla"]["Närstående"] == 1
    assert stats["by_tema"] == {"Ej angivet": 3, "Väntetid": 1}
    assert stats["by_unit"] == {"Enhet A1": 3, "Enhet A2": 1}
    assert (stats["ack_owed"], stats["ack_in_time"], stats["ack_share"]) == (3, 1, 0.333)
    assert (stats["answer_owed"], stats["answered"], stats["answered_in_time"]) == (2, 2, 1)
    assert stats["answer_share"] == 0.5
    assert stats["median_days_to_answer"] == 13.0  # 8 and 18 days
    assert stats["open"] == 2

    previous = statistics(org.avd_a, period.previous_year())
    assert previous["total"] == 1 and previous["median_days_to_answer"] is None
    assert previous["ack_share"] == 0.0  # one owed, never acknowledged
    assert statistics(org.forv, period)["total"] == 5
    assert statistics(org.b1, quality_year(2020))["total"] == 0


def test_suppress_small_groups():
    breakdown = {"by_tema": {"a": 4, "b": 5, "c": 0}, "total": 3}
    assert suppress_small(breakdown) == {"by_tema": {"a": "<5", "b": 5, "c": 0}, "total": 3}
