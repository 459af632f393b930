"""Lex Sarah's statistics from the statistics summary (kinds LXS, LXS/B, LXS/D, LXS/I) give
what the old Python computation gave (tests/scale_stats/reference_lexsarah.py: the figures
counted per subtree, the working-day medians taken in Python over each case's local dates),
on a generated city whose cases are dated across the holidays (julafton, nyårsafton,
påsk, midsommar) and across local midnight; and the summary stays equal to the rows
through ORM changes of the dates, outcomes and units."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kvalitet.core import clock, summary
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.periods import custom_period
from kvalitet.core.workdays import working_days_between
from kvalitet.extensions import db
from kvalitet.lexsarah import stats as lexsarah
from kvalitet.lexsarah.models import LexSarahArende, Utfall
from tests.scale_stats import reference_lexsarah
from tests.scale_stats.helpers import generated_city

KINDS = ["LXS", "LXS/B", "LXS/D", "LXS/I"]
# Days before holidays (the spans after them cross closed days).
EVES = [date(2024, 12, 23), date(2024, 12, 30), date(2025, 4, 17), date(2025, 6, 19),
        date(2025, 12, 23), date(2025, 12, 30), date(2026, 4, 2), date(2026, 6, 18)]  # fmt: skip


def _at(day: date, rng: random.Random) -> datetime:
    """A moment of the local day, often just after midnight or before it (the UTC date is
    another day)."""
    minutes = rng.choice([5, 30, 23 * 60 + 50, rng.randrange(24 * 60)])
    return datetime.combine(day, time(), STOCKHOLM) + timedelta(minutes=minutes)


@pytest.fixture
def city(app):  # type: ignore[no-untyped-def]
    clock.freeze(clock.local_midnight_utc(date(2026, 10, 15)))
    city = generated_city(2500)
    rng = random.Random(12)  # noqa: S311 repeatable test data
    cases = list(db.session.scalars(select(LexSarahArende).order_by(LexSarahArende.id)))
    for case in cases:
        reported = clock.to_local(case.reported_at).date()  # type: ignore[union-attr]
        if rng.random() < 0.4:
            reported = rng.choice([d for d in EVES if abs((d - reported).days) < 200] or EVES)
        case.reported_at = _at(reported, rng)
        case.assessed_at = case.decision_date = case.ivo_filed_date = case.closed_at = None
        case.outcome = case.allvarligt = None
        if rng.random() < 0.85:
            case.assessed_at = _at(reported + timedelta(days=rng.randrange(0, 12)), rng)
            if rng.random() < 0.8:
                decided = reported + timedelta(days=rng.randrange(2, 40))
                case.decision_date = decided
                case.outcome = rng.choice(list(Utfall))
                case.allvarligt = rng.random() < 0.4
                if case.allvarligt and rng.random() < 0.8:
                    case.ivo_filed_date = decided + timedelta(days=rng.randrange(0, 16))
                if rng.random() < 0.6:
                    case.closed_at = _at(decided + timedelta(days=rng.randrange(0, 30)), rng)
    db.session.commit()
    city["cases"] = cases
    return city


def _compare(city: dict[str, Any], periods: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [city["forv"], *city["avdelningar"], city["enheter"][0], city["enheter"][-1]]
    expected = {
        (r.id, i): reference_lexsarah.statistics(r, p) for r in roots for i, p in enumerate(periods)
    }
    assert lexsarah.statistics_many(roots, periods) == expected
    with monkeypatch.context() as m:
        m.setattr(summary, "read_kinds", lambda *a: None)
        assert lexsarah.statistics_many(roots, periods) == expected  # live


def test_summary_and_live_agree_with_the_python_computation(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    year = city["year"]
    periods = [year, year.previous_year()]
    ids = [u.id for u in [city["forv"], *city["avdelningar"], *city["enheter"]]]
    assert summary.read_kinds(KINDS, periods, ids) is not None
    for period in periods:
        assert summary.differences(period, KINDS) == []
    _compare(city, periods, monkeypatch)
    # A period that is not whole months, and two that overlap: counted live.
    odd = custom_period(date(2025, 10, 3), date(2026, 2, 17))
    assert odd is not None
    _compare(city, [odd], monkeypatch)
    _compare(city, [year, odd], monkeypatch)
    # The data exercises every figure and step, and the holidays matter.
    top = lexsarah.statistics(city["forv"], year)
    assert top["rapporter"] > 40 and top["beslut"] > 20 and top["anmalda_ivo"] > 3
    assert top["allvarliga"] and all(top["per_utfall"].values())
    assert all(v is not None for v in top["median_arbetsdagar"].values())
    spans = [
        (clock.to_local(c.reported_at).date(), clock.to_local(c.assessed_at).date())  # type: ignore[union-attr]
        for c in city["cases"]
        if c.assessed_at is not None
    ]
    closed_between = [
        (a, b)
        for a, b in spans
        if (b - a).days - working_days_between(a, b) > (b - a).days // 7 * 2 + 2
    ]
    assert len(closed_between) > 5  # spans with a holiday inside, not only weekends


def test_orm_changes_keep_the_summary(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    year = city["year"]
    periods = [year, year.previous_year()]
    in_year = [c for c in city["cases"] if c.decision_date and c.decision_date >= year.start]
    a, b, c, d, e, f = in_year[:6]
    a.decision_date = a.decision_date - timedelta(days=370)  # into the year before
    b.outcome = (
        Utfall.PATAGLIG_RISK if b.outcome != Utfall.PATAGLIG_RISK else Utfall.MISSFORHALLANDE
    )
    c.unit_id = city["enheter"][-1].id
    d.reported_at = d.reported_at - timedelta(days=45)
    e.closed_at = None
    db.session.commit()
    f.ivo_filed_date = (f.decision_date or year.start) + timedelta(days=3)
    f.assessed_at = None  # an expired object: the old buckets are read from the row
    db.session.delete(in_year[6])
    db.session.commit()
    for period in periods:
        assert summary.differences(period, KINDS) == []
    _compare(city, periods, monkeypatch)
    # A rebuild writes the same buckets.
    summary.rebuild(KINDS)
    db.session.commit()
    for period in periods:
        assert summary.differences(period, KINDS) == []
    _compare(city, periods, monkeypatch)
