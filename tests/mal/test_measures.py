"""Kvalitet measures itself: an indikator bound to a measure shows the value that an
independent SQL count over the same items gives, for a period and a unit subtree, and the
utfall fills in by itself when the period has closed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.operations import cancel_item
from kvalitet.mal import jobs, measures, periods, queries
from kvalitet.mal import operations as ops
from tests.avvikelser.helpers import report

INDEPENDENT = text(
    "SELECT count(*) FROM avvikelse a JOIN item i ON i.id = a.id JOIN unit u ON u.id = i.unit_id "
    "WHERE u.path LIKE :path AND i.created_at >= :start AND i.created_at < :end "
    "AND i.cancelled_at IS NULL AND (:sex = '' OR a.sex = :sex)"
)


def hand_count(root: Any, period: Any, sex: str = "") -> int:
    start = period.start_utc().astimezone(UTC).replace(tzinfo=None)
    end = period.end_utc().astimezone(UTC).replace(tzinfo=None)
    return int(
        db.session.execute(
            INDEPENDENT, {"path": root.path + "%", "start": start, "end": end, "sex": sex}
        ).scalar_one()
    )


def at(day: str) -> None:
    clock.freeze(datetime.fromisoformat(day))


def seed(org: Any) -> None:
    at("2026-01-01T00:30")  # first half hour of T1, local time
    report(org.med_a1, org.a1, sex="kvinna")
    at("2026-02-10T10:00")
    report(org.med_a1, org.a1, sex="kvinna")
    report(org.med_a1, org.a1, sex="man")
    report(org.med_a2, org.a2)
    gone = report(org.med_a2, org.a2, sex="kvinna")
    cancel_item(gone, org.chef_a2, "Dubblett")
    report(org.chef_b1, org.b1, sex="kvinna")  # other avdelning
    at("2026-04-30T23:50")
    report(org.med_a1, org.a1, sex="man")
    at("2026-05-01T00:10")  # T2
    report(org.med_a1, org.a1, sex="kvinna")
    clock.freeze(None)


def test_measure_equals_independent_sql_count(org: Any) -> None:
    seed(org)
    t1 = periods.period_of(2026, "T1")
    result = measures.compute("avvikelser_antal", org.avd_a, t1)
    assert result.value == hand_count(org.avd_a, t1) == 5
    assert result.value_k == hand_count(org.avd_a, t1, "kvinna") == 2
    assert result.value_m == hand_count(org.avd_a, t1, "man") == 2
    whole = measures.compute("avvikelser_antal", org.forv, t1)
    assert whole.value == hand_count(org.forv, t1) == 6
    t2 = periods.period_of(2026, "T2")
    assert (
        measures.compute("avvikelser_antal", org.avd_a, t2).value == hand_count(org.avd_a, t2) == 1
    )


def test_utfall_fills_in_when_the_period_closes(org: Any) -> None:
    seed(org)
    plan = ops.create_plan(org.avdchef_a, unit=org.avd_a, year=2026)
    goal = ops.create_goal(org.avdchef_a, plan, None, name="Avvikelser rapporteras")
    ind = ops.create_indikator(
        org.avdchef_a,
        goal,
        name="Antal rapporterade avvikelser",
        measure="avvikelser_antal",
        direction="hogre",
        target="4",
        periods=["T1", "T2"],
        by_sex=True,
        responsible_id=org.chef_a1.id,
    )
    assert (ind.method, ind.unit_of_measure) == ("kvalitet", "antal")
    at("2026-04-30T12:00")
    assert jobs.fill_measures() == 0  # T1 has not ended
    at("2026-05-02T06:00")
    assert jobs.fill_measures() == 1  # T1 only; T2 is still running
    assert jobs.fill_measures() == 0  # safe to repeat
    u = queries.utfall_map([ind])[(ind.id, "T1")]
    assert (u.value, u.value_k, u.value_m, u.computed) == (5, 2, 2, True)
    assert "5 rapporterade" in u.comment
    assert queries.indicator_status(ind, "T1", queries.utfall_map([ind])) is True
    # The responsible person writes the analysis; the figure stays.
    ops.save_utfall(
        org.chef_a1,
        ind,
        "T1",
        value=u.value,
        value_k=2,
        value_m=2,
        comment="Fler rapporter efter APT i februari.",
    )
    clock.freeze(None)


def test_other_measures_compute(org: Any) -> None:
    seed(org)
    t1 = periods.period_of(2026, "T1")
    for key in measures.MEASURES:
        result = measures.compute(key, org.forv, t1)
        assert result.value is None or result.value >= 0, key
