"""Generation of occurrences from the recurrence rules, idempotency, missed occurrences, and
time travel with the frozen clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, update

from kvalitet.core import clock, summary, uow
from kvalitet.core.audit import AuditEntry
from kvalitet.core.periods import quality_year
from kvalitet.core.recurrence import Rule
from kvalitet.core.workflow import run_system_transition
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.jobs import JOBS
from kvalitet.egenkontroll.kinds import WORKFLOW
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.operations import cancel_item
from kvalitet.notify.models import DigestEntry, Notification, OutboxMail
from kvalitet.notify.operations import mail_for_notification, set_mail_mode
from kvalitet.search.index import matching_ids
from tests.conftest import PG_URL
from tests.egenkontroll.helpers import make_plan
from tests.scale.test_query_counts import counting


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


# --- missed occurrences in bulk -------------------------------------------------------------


def _weekly_plan(org: Any, units: list[Any]) -> None:
    """Weekly occurrences from 1 Sep 2025 (Mondays) at `units`: 18 each up to 31 Dec."""
    _at(date(2025, 12, 1))
    make_plan(org, rule=Rule("weeks", date(2025, 9, 1)), units=units,
              adopt_on=date(2025, 9, 1))  # fmt: skip
    db.session.commit()


def _at_unit(unit: Any) -> list[Egenkontroll]:
    return [i for i in _occurrences() if i.unit_id == unit.id]


def _transitions(item_id: int) -> list[tuple[Any, ...]]:
    return [
        (e.at, e.user_id, e.action, e.summary, e.before, e.after, e.target)
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.item_id == item_id, AuditEntry.action == "transition")
            .order_by(AuditEntry.id)
        )
    ]


def _new(model: Any, after: int, **where: Any) -> list[Any]:
    query = select(model).where(model.id > after).order_by(model.id)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return list(db.session.scalars(query))


def _last_id(model: Any) -> int:
    return int(db.session.scalar(select(func.max(model.id))) or 0)


def test_overdue_occurrences_are_missed_in_bulk_as_one_by_one(app, org):
    """Occurrences of three owners at three units missed in one run (in batches of 4): each
    gets the status, missed_at and the very audit entry `run_system_transition` writes, the
    owner one notification each, mail as escalation spreads it (a direct-mail reader told
    about more than NOTIFY_BULK_MAIL_AFTER gets one mail), and nothing else changes; a
    second run does nothing."""
    app.config["EGENKONTROLL_MISS_BATCH"] = 4
    _weekly_plan(org, [org.a1, org.a2, org.b1])
    set_mail_mode(org.chef_a1, "direkt")
    set_mail_mode(org.chef_a2, "direkt")
    set_mail_mode(org.chef_b1, "sammandrag")
    a1, a2, b1 = _at_unit(org.a1), _at_unit(org.a2), _at_unit(org.b1)
    assert len(a1) == len(a2) == len(b1) == 18
    # At A1 one is performed and one started (answers saved); at A2 only two are overdue;
    # at B1 one is cancelled and one is missed first on the one-by-one path, for comparison.
    questions = a1[0].kontroll.active_fragor
    answers = {(q.id, c): "ja" for q in questions for c in (1, 2, 3)}
    ops.save_answers(org.chef_a1, a1[0], case_count=3, answers=answers, summary="Klart",
                     complete=True)  # fmt: skip
    ops.save_answers(org.chef_a1, a1[1], case_count=3, answers={}, summary="")
    assert (a1[0].status, a1[1].status) == (EgkStatus.GENOMFORD, EgkStatus.PAGAENDE)
    later = [i.id for i in a2[2:]]
    db.session.execute(update(Item).where(Item.id.in_(later)).values(due_date=date(2026, 6, 1)))
    cancel_item(b1[0], org.kvalitet, "Enheten stängd i december")
    db.session.commit()

    _at(date(2026, 1, 15))
    reference = b1[1]
    run_system_transition(reference, "missa")
    db.session.commit()
    (expected,) = _transitions(reference.id)
    missed = [a1[1], *a1[2:], *a2[:2], *b1[2:]]
    untouched = {i.id: (i.status, i.version) for i in (a1[0], b1[0], *a2[2:])}
    versions = {i.id: i.version for i in missed}
    marks = (_last_id(AuditEntry), _last_id(Notification), _last_id(OutboxMail))

    with uow.unit_of_work():
        assert ops.mark_missed() == len(missed) == 17 + 2 + 16

    db.session.expire_all()
    now = clock.now()
    for item in missed:
        item = db.session.get(Egenkontroll, item.id)
        assert item.status == EgkStatus.MISSAD and item.is_open
        assert item.missed_at == now and item.updated_at == now and item.closed_at is None
        assert item.version == versions[item.id] + 1
        before = "Påbörjad" if item.id == a1[1].id else "Planerad"
        entry = (now, None, "transition", expected[3].replace("Planerad", before),
                 {"status": "pagaende" if before == "Påbörjad" else "planerad"},
                 {"status": "missad"}, None)  # fmt: skip
        steps = _transitions(item.id)
        assert steps[-1] == entry and [s for s in steps if s[-2] == {"status": "missad"}] == [entry]
        if before == "Planerad":
            assert entry == (now, *expected[1:])  # the one-by-one path's entry
    for item_id, (status, version) in untouched.items():
        item = db.session.get(Egenkontroll, item_id)
        assert (item.status, item.version, item.missed_at) == (status, version, None)
        assert not _transitions(item_id) or item_id == a1[0].id  # performed: its own steps
    assert {e.item_id for e in _new(AuditEntry, marks[0])} == {i.id for i in missed}

    notes = _new(Notification, marks[1])
    assert sorted((n.user_id, n.item_id) for n in notes) == sorted(
        (i.owner_id, i.id) for i in missed
    )
    for note in notes:
        item = db.session.get(Egenkontroll, note.item_id)
        assert note.message == f"Egenkontroll {item.ref} har inte genomförts i tid"
        assert (note.url, note.purpose, note.read_at) == (None, "egenkontroll", None)
    mails = _new(OutboxMail, marks[2])
    to_a1 = [m for m in mails if m.user_id == org.chef_a1.id]
    to_a2 = sorted((m for m in mails if m.user_id == org.chef_a2.id), key=lambda m: m.subject)
    assert len(mails) == 3 and len(to_a1) == 1 and len(to_a2) == 2
    assert to_a1[0].subject == "Kvalitet: Egenkontroller som inte genomförts i tid (17 ärenden)"
    assert all(i.ref in to_a1[0].body for i in a1[1:])
    # Two are no more than NOTIFY_BULK_MAIL_AFTER: one mail each, as notify makes them.
    for mail, item in zip(to_a2, a2[:2], strict=True):
        note = next(n for n in notes if n.item_id == item.id)
        made = mail_for_notification(org.chef_a2, note)
        assert (mail.subject, mail.body, mail.purpose) == (made.subject, made.body, made.purpose)
    digest = list(db.session.scalars(
        select(DigestEntry).where(DigestEntry.notification_id > marks[1])))  # fmt: skip
    assert sorted(d.notification_id for d in digest) == sorted(
        n.id for n in notes if n.user_id == org.chef_b1.id
    )
    # The statistics summary and the search index are as the rows say.
    assert summary.differences(quality_year(2025), ["EGK"]) == []
    found = set(db.session.scalars(matching_ids(a1[5].ref)))
    assert a1[5].id in found

    waiting = db.session.scalar(select(func.count()).select_from(DigestEntry))
    with uow.unit_of_work():
        assert ops.mark_missed() == 0
    assert (_last_id(AuditEntry), _last_id(Notification), _last_id(OutboxMail)) == (
        marks[0] + len(missed), marks[1] + len(notes), marks[2] + len(mails))  # fmt: skip
    assert db.session.scalar(select(func.count()).select_from(DigestEntry)) == waiting


def test_missing_costs_the_same_statements_for_3_and_for_30(app, org):
    """A constant number of statements: 3 overdue occurrences and 30 (in one batch), with
    a direct-mail reader and a digest reader told both times."""
    _weekly_plan(org, [org.a1, org.b1])
    set_mail_mode(org.chef_a1, "direkt")
    a1, b1 = _at_unit(org.a1), _at_unit(org.b1)
    db.session.execute(update(Item).values(due_date=date(2026, 6, 1)))
    db.session.commit()
    _at(date(2026, 1, 15))
    counts = []
    for chosen in ([*a1[:2], b1[0]], [*a1[2:17], *b1[1:16]]):
        ids = [i.id for i in chosen]
        db.session.execute(update(Item).where(Item.id.in_(ids)).values(due_date=date(2026, 1, 5)))
        db.session.commit()
        with counting() as statements, uow.unit_of_work():
            assert ops.mark_missed() == len(ids)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 40


@pytest.mark.skipif(not PG_URL, reason="two connections writing at once: PostgreSQL")
def test_an_occurrence_changed_by_another_process_meanwhile_is_left_alone(app, org, monkeypatch):
    """Another process performs an occurrence (or marks it missed) after this run found it
    overdue and before it changes it: the guarded UPDATE leaves it as the other made it,
    with no audit entry or notification of this run."""
    _weekly_plan(org, [org.a1])
    _at(date(2026, 1, 15))
    items = _at_unit(org.a1)
    other, taken_meanwhile = items[0], items[1]
    real = ops.run_system_transition_in_bulk

    def meanwhile(model, ids, name, **kw):  # type: ignore[no-untyped-def]
        engine = create_engine(db.engine.url)
        with engine.begin() as conn:
            conn.execute(
                update(Item.__table__)
                .where(Item.__table__.c.id == other.id)
                .values(status="genomford", version=Item.__table__.c.version + 1)
            )
            conn.execute(
                update(Item.__table__)
                .where(Item.__table__.c.id == taken_meanwhile.id)
                .values(status="missad", version=Item.__table__.c.version + 1)
            )
        engine.dispose()
        return real(model, ids, name, **kw)

    monkeypatch.setattr(ops, "run_system_transition_in_bulk", meanwhile)
    marks = (_last_id(AuditEntry), _last_id(Notification))
    with uow.unit_of_work():
        assert ops.mark_missed() == len(items) - 2
    db.session.expire_all()
    assert db.session.get(Egenkontroll, other.id).status == EgkStatus.GENOMFORD
    assert db.session.get(Egenkontroll, taken_meanwhile.id).missed_at is None
    assert {e.item_id for e in _new(AuditEntry, marks[0])} == {i.id for i in items[2:]}
    assert {n.item_id for n in _new(Notification, marks[1])} == {i.id for i in items[2:]}


def test_a_guard_is_asked_per_occurrence_and_effects_run_one_by_one(app, org, monkeypatch):
    """Should "missa" get guards or effects: a guard is asked for each occurrence (a refused
    one is left as it is), and a transition with effects is taken item by item."""
    _weekly_plan(org, [org.a1])
    _at(date(2026, 1, 15))
    items = _at_unit(org.a1)
    refused = items[3].id
    ran: list[int] = []
    missa = WORKFLOW.transition("missa")

    def declare(changed: Any) -> None:
        steps = [changed if t.name == "missa" else t for t in WORKFLOW.transitions]
        monkeypatch.setattr(WORKFLOW, "transitions", steps)

    declare(replace(missa, guards=(lambda i: "Nej" if i.id == refused else None,)))
    with uow.unit_of_work():
        assert ops.mark_missed() == len(items) - 1
    assert db.session.get(Egenkontroll, refused).status == EgkStatus.PLANERAD

    declare(replace(missa, effects=(lambda i, u, d: ran.append(i.id),)))
    with uow.unit_of_work():
        assert ops.mark_missed() == 1
    assert ran == [refused]
    assert db.session.get(Egenkontroll, refused).status == EgkStatus.MISSAD
    assert len(_transitions(refused)) == 1
