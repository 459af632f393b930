"""The grouped statistics (kvalitet.core.aggregates) give what the per-subtree queries gave,
on generated data: every kind, every subtree the report asks for, both years; and the SQL
medians agree with Python's statistics.median over the rows themselves."""

from __future__ import annotations

import random
import statistics as pystats
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bench.generate import Writer, generate_items, populate
from kvalitet.arshjul import stats as arshjul
from kvalitet.atgarder import stats as atgarder
from kvalitet.avvikelser import stats as avvikelser
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core import clock
from kvalitet.core.periods import quality_year, quality_year_of
from kvalitet.egenkontroll import stats as egenkontroll
from kvalitet.extensions import db
from kvalitet.lexsarah import stats as lexsarah
from kvalitet.org.models import Unit
from kvalitet.rapport.document import prefetch_stats
from kvalitet.risker import stats as risker
from kvalitet.synpunkter import stats as synpunkter
from kvalitet.synpunkter.models import Synpunkt
from tests.scale_stats import (
    reference_arshjul,
    reference_atgarder,
    reference_avvikelser,
    reference_egenkontroll,
    reference_lexsarah,
    reference_risker,
    reference_synpunkter,
)
from tests.scale_stats.helpers import generated_city

KINDS = [
    (avvikelser, reference_avvikelser),
    (synpunkter, reference_synpunkter),
    (egenkontroll, reference_egenkontroll),
    (lexsarah, reference_lexsarah),
    (atgarder, reference_atgarder),
    (risker, reference_risker),
    (arshjul, reference_arshjul),
]


def test_risker_and_arshjul_agree_on_the_big_city(app):  # type: ignore[no-untyped-def]
    """The risks and årshjul tasks of bench.generate's city (the statistics city above has
    none): the grouped queries give what the per-subtree queries gave."""
    city = populate(300, seed=9, years=3, people=100)
    generate_items(4000, city, Writer(), random.Random(9))  # noqa: S311
    db.session.commit()
    year = quality_year_of(clock.today())
    if year.start.year > quality_year(2000).start.year:
        year = year.previous_year()  # a whole year with closed and reviewed risks
    periods = [year, year.previous_year()]
    roots = [db.session.get(Unit, i) for i in [city.forv, *city.avdelningar, city.enheter[0]]]
    for new, old in [(risker, reference_risker), (arshjul, reference_arshjul)]:
        many = new.statistics_many(roots, periods)
        for root in roots:
            for index, period in enumerate(periods):
                expected = old.statistics(root, period)
                assert new.statistics(root, period) == expected, (new.__name__, root.name)
                assert many[(root.id, index)] == expected, (new.__name__, root.name)
    top = db.session.get(Unit, city.forv)
    risks = risker.statistics(top, periods[0])
    assert risks["identified"] > 20 and len(risks["heat"]) > 3 and risks["open_at_end"]
    assert risks["reviews_overdue"]
    tasks = arshjul.statistics(top, periods[0])
    assert tasks["planned"] > 10 and tasks["per_activity"] and tasks["done"] and tasks["not_done"]


def _normal(stats: dict[str, Any]) -> dict[str, Any]:
    """Lists whose order among equal keys the old queries left to the database, sorted."""
    out = dict(stats)
    for key in ("fragor", "fragor_per_enhet", "per_kontroll"):
        if key in out:
            out[key] = sorted(out[key], key=lambda r: sorted((k, str(v)) for k, v in r.items()))
    return out


@pytest.fixture
def city(app):  # type: ignore[no-untyped-def]
    clock.freeze(clock.local_midnight_utc(date(2026, 10, 15)))
    return generated_city()


def test_every_kind_agrees_with_the_per_subtree_queries(city):  # type: ignore[no-untyped-def]
    year = city["year"]
    roots = [city["forv"], *city["avdelningar"], city["enheter"][0], city["enheter"][-1]]
    periods = [year, year.previous_year()]
    for new, old in KINDS:
        many = new.statistics_many(roots, periods)
        for root in roots:
            for index, period in enumerate(periods):
                expected = _normal(old.statistics(root, period))
                assert _normal(new.statistics(root, period)) == expected, (new.__name__, root.name)
                assert _normal(many[(root.id, index)]) == expected, (new.__name__, root.name)
    # The totals are not trivially zero: the data exercises every figure.
    top = avvikelser.statistics(city["forv"], year)
    assert top["total"] > 1000 and top["closed"] > 100 and sum(top["by_cause"].values()) > 100
    assert sum(top["by_age"].values()) > 100 and top["by_category"].get("Utan kategori", 0) > 10
    assert egenkontroll.statistics(city["forv"], year)["fragor_per_enhet"]


def test_sql_medians_agree_with_python(city):  # type: ignore[no-untyped-def]
    year = city["year"]
    for root in [city["forv"], *city["avdelningar"]]:
        subtree = select(Unit.id).where(Unit.path.startswith(root.path))
        pairs = db.session.execute(
            select(Avvikelse.created_at, Avvikelse.closed_at).where(
                Avvikelse.unit_id.in_(subtree),
                Avvikelse.cancelled_at.is_(None),
                Avvikelse.closed_at.is_not(None),
                Avvikelse.created_at >= year.start_utc(),
                Avvikelse.created_at < year.end_utc(),
            )
        ).all()
        days = [max(0, (b - a).total_seconds() / 86400) for a, b in pairs]
        got = avvikelser.statistics(root, year)["median_days_to_close"]
        assert got == (round(pystats.median(days), 1) if days else None)
        answers = list(
            db.session.scalars(
                select(Synpunkt.answer_days).where(
                    Synpunkt.unit_id.in_(subtree),
                    Synpunkt.cancelled_at.is_(None),
                    Synpunkt.answer_days.is_not(None),
                    Synpunkt.received_date.between(year.start, year.end),
                )
            )
        )
        got_answer = synpunkter.statistics(root, year)["median_days_to_answer"]
        assert got_answer == (float(pystats.median(answers)) if answers else None)
        assert days and answers


def test_report_reads_each_kind_in_a_few_queries(city, app):  # type: ignore[no-untyped-def]
    """The report's statistics for the förvaltning and every avdelning, both years: a
    handful of queries per kind, not a dozen per unit and year."""
    from sqlalchemy import event

    app.config["RAPPORT_STATS_WORKERS"] = 1
    year = city["year"]
    units = [city["forv"], *city["avdelningar"]]
    functions = [(m.__name__.split(".")[1], m.statistics) for m, _ in KINDS]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        cache = prefetch_stats(functions, units, year, year.previous_year())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 40, len(statements)
    for module, reference in KINDS:
        name = module.__name__.split(".")[1]
        for unit in units:
            now, before = cache[(name, unit.id)]
            assert _normal(now) == _normal(reference.statistics(unit, year))
            assert _normal(before) == _normal(reference.statistics(unit, year.previous_year()))
