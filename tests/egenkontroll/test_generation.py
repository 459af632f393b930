"""Generation of occurrences from the recurrence rules, idempotency, missed occurrences, and
time travel with the frozen clock."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.recurrence import Rule
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.jobs import JOBS
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus
from kvalitet.extensions import db
from kvalitet.notify.models import Notification
from tests.egenkontroll.helpers import make_plan


def _occurrences() -> list[Egenkontroll]:
    return list(
        db.session.scalars(
            select(Egenkontroll).order_by(Egenkontroll.planned_date, Egenkontroll.unit_id)
        )
    )


def _at(day: date, hour: int = 8) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, hour, 0))


def test_occurrences_appear_ahead_on_the_right_days_and_become_missed(app, org):
    app.config["EGENKONTROLL_GENERATE_AHEAD_DAYS"] = 7
    _at(date(2026, 1, 1))
    make_plan(org, adopt_on=date(2026, 1, 1), due_days=5)
    # adopted 1 Jan with 7 days' look-ahead: 15 Jan is not generated yet
    assert _occurrences() == []
    _at(date(2026, 1, 7))
    ops.generate_due_occurrences()
    assert _occurrences() == []
    _at(date(2026, 1, 8))  # 15 Jan - 7 days
    ops.generate_due_occurrences()
    items = _occurrences()
    assert [(i.unit_id, i.planned_date) for i in items] == [
        (org.a1.id, date(2026, 1, 15)),
        (org.b1.id, date(2026, 1, 15)),
    ]
    first = items[0]
    assert first.status == EgkStatus.PLANERAD
    assert first.owner_id == org.chef_a1.id
    assert items[1].owner_id == org.chef_b1.id
    # due = 5 working days after Thursday 15 Jan = Thursday 22 Jan
    assert first.due_date == date(2026, 1, 22)
    assert first.ref.startswith("EGK-2026-")
    # the owner is told
    assert db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == org.chef_a1.id)
    )

    # performed at A1 in time; B1 never
    _at(date(2026, 1, 20))
    questions = first.kontroll.active_fragor
    answers = {(q.id, c): "ja" for q in questions for c in (1, 2, 3)}
    ops.save_answers(org.chef_a1, first, case_count=3, answers=answers, summary="Allt i ordning",
                     complete=True)  # fmt: skip

    _at(date(2026, 1, 22))  # the due date itself: not missed yet
    ops.generate_due_occurrences()
    assert db.session.get(Egenkontroll, items[1].id).status == EgkStatus.PLANERAD

    _at(date(2026, 1, 23))
    result = ops.generate_due_occurrences()
    assert result["missed"] == 1
    db.session.expire_all()
    a1, b1 = _occurrences()[:2]
    assert a1.status == EgkStatus.GENOMFORD
    assert b1.status == EgkStatus.MISSAD and b1.is_open  # stays visible as missed
    assert b1.missed_at is not None
    # running again marks nothing twice
    assert ops.generate_due_occurrences()["missed"] == 0

    # the February occurrence appears on 8 Feb (15 Feb - 7)
    _at(date(2026, 2, 7))
    ops.generate_due_occurrences()
    assert len(_occurrences()) == 2
    _at(date(2026, 2, 8))
    ops.generate_due_occurrences()
    assert [i.planned_date for i in _occurrences()][2:] == [date(2026, 2, 15)] * 2


def test_generation_is_idempotent(app, org):
    _at(date(2026, 1, 20))
    make_plan(org)
    first = len(_occurrences())
    assert first == 4  # 15 Jan and 15 Feb (within 30 days) at two units
    assert ops.generate_occurrences() == 0
    assert ops.generate_occurrences() == 0
    assert len(_occurrences()) == first
    refs = [i.ref for i in _occurrences()]
    assert len(set(refs)) == len(refs)


def test_catch_up_after_downtime_and_last_working_day(app, org):
    # last working day of the month; the scheduler was down from adoption until March
    _at(date(2026, 3, 2))
    make_plan(org, rule=Rule("last_working_day", date(2025, 9, 1)), units=[org.a1],
              adopt_on=date(2025, 11, 15))  # fmt: skip
    planned = [i.planned_date for i in _occurrences()]
    # Nov, Dec (30 Dec: 31 Dec is nyårsafton), Jan (Fri 30), Feb (Fri 27); March is > 30 days
    # ahead of 2 March? 31 March is 29 days ahead: included.
    assert planned == [
        date(2025, 11, 28),
        date(2025, 12, 30),
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 31),
    ]
    ops.mark_missed()
    statuses = [i.status for i in _occurrences()]
    assert statuses[:3] == [EgkStatus.MISSAD] * 3
    # Feb's due date (5 working days after 27 Feb = 6 March) has not passed
    assert statuses[3:] == [EgkStatus.PLANERAD] * 2


def test_only_adopted_plans_and_only_within_the_quality_year(app, org):
    _at(date(2026, 8, 10))
    plan, _ = make_plan(org, adopt_on=None)
    assert ops.generate_occurrences() == 0
    ops.adopt_plan(org.kvalitet, plan, on=date(2026, 8, 10))
    # quality year 2025/26 ends 31 Aug: only 15 Aug, not 15 Sep
    assert {i.planned_date for i in _occurrences()} == {date(2026, 8, 15)}


def test_owner_falls_back_to_nearest_holder(app, org):
    from kvalitet.core.roles import Role

    _at(date(2026, 1, 10))
    plan, kontroll = make_plan(org, adopt_on=None, units=[org.a1])
    ops.save_kontroll(
        org.kvalitet, plan, kontroll, title=kontroll.title, rule=kontroll.rule,
        units=[org.a1], questions=["Fråga"], responsible_role=Role.AVDELNINGSCHEF,
    )  # fmt: skip
    ops.adopt_plan(org.kvalitet, plan, on=date(2026, 1, 10))
    assert {i.owner_id for i in _occurrences()} == {org.avdchef_a.id}


def test_job_is_exposed_for_the_scheduler(app, org):
    (job,) = JOBS
    assert job["id"] == "egenkontroll.generate"
    assert job["trigger"] == "cron" and job["minute"] == "5"
    _at(date(2026, 1, 1))
    make_plan(org, adopt_on=None)
    with app.app_context():
        assert job["func"]() == {"created": 0, "missed": 0}


def test_a_concurrent_duplicate_is_refused_by_the_constraint(app, org):
    """Another process created the same occurrence between our check and our insert: the
    unique constraint refuses ours, the savepoint rolls it back, the counter is not burnt."""
    _at(date(2026, 1, 10))
    _, kontroll = make_plan(org, units=[org.a1])
    (existing,) = _occurrences()
    assert ops._create_occurrence(kontroll, org.a1, existing.planned_date) is False
    db.session.commit()
    assert len(_occurrences()) == 1
    assert ops._create_occurrence(kontroll, org.a1, date(2026, 2, 15)) is True
    db.session.commit()
    refs = sorted(i.ref for i in _occurrences())
    assert refs == ["EGK-2026-0001", "EGK-2026-0002"]
