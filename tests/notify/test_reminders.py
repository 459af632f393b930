"""Reminders and escalation by time travel: the right days, exactly once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.notify.models import Notification, OutboxMail, ReminderKey
from kvalitet.notify.operations import escalate_overdue, send_reminders
from tests.notify.helpers import make_action


def _reminders(user) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.message)
            .where(Notification.user_id == user.id, Notification.purpose == "paminnelse")
            .order_by(Notification.id)
        )
    )


def test_reminders_appear_7_and_1_days_before_and_on_the_day(app, org):
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    item = make_action(org, date(2026, 3, 20))
    days_with_reminder = []
    for _ in range(25):
        before = len(_reminders(org.chef_a1))
        send_reminders()
        send_reminders()  # a second run the same day adds nothing
        if len(_reminders(org.chef_a1)) > before:
            days_with_reminder.append(clock.today())
        clock.advance(timedelta(days=1))
    assert days_with_reminder == [date(2026, 3, 13), date(2026, 3, 19), date(2026, 3, 20)]
    messages = _reminders(org.chef_a1)
    assert all(item.ref in m for m in messages)
    assert "i dag" in messages[-1] and "i morgon" in messages[1]
    keys = db.session.execute(select(ReminderKey.offset_days).order_by(ReminderKey.id)).scalars()
    assert list(keys) == [7, 1, 0]


def test_offsets_are_configurable(app, org):
    app.config["REMINDER_OFFSETS_DAYS"] = [3]
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    make_action(org, date(2026, 3, 10))
    hits = []
    for _ in range(12):
        if send_reminders():
            hits.append(clock.today())
        clock.advance(timedelta(days=1))
    assert hits == [date(2026, 3, 7)]


def test_catch_up_after_downtime_sends_latest_missed_reminder_only(app, org):
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    make_action(org, date(2026, 3, 20))
    clock.freeze(datetime(2026, 3, 19, 9, 0))  # the scheduler was down 1–18 March
    assert send_reminders() == 1
    assert send_reminders() == 0
    assert len(_reminders(org.chef_a1)) == 1 and "i morgon" in _reminders(org.chef_a1)[0]


def test_item_created_inside_window_skips_points_before_it_existed(app, org):
    clock.freeze(datetime(2026, 3, 17, 8, 0))
    make_action(org, date(2026, 3, 20))  # the 7-day point (13 March) was before it existed
    assert send_reminders() == 0
    clock.freeze(datetime(2026, 3, 19, 8, 0))
    assert send_reminders() == 1


def test_moved_due_date_gets_new_reminders_and_closed_items_none(app, org):
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    item = make_action(org, date(2026, 3, 8))
    assert send_reminders() == 1
    clock.freeze(datetime(2026, 3, 2, 8, 0))
    item.due_date = date(2026, 3, 9)
    db.session.commit()
    assert send_reminders() == 1  # a new due date is a new reminder key
    assert send_reminders() == 0
    other = make_action(org, date(2026, 3, 2))
    clock.freeze(datetime(2026, 3, 2, 8, 0))
    run_transition(other, "ej_genomford", org.chef_a1, reason="Behövs inte")
    send_reminders()
    assert not db.session.scalar(select(ReminderKey.id).where(ReminderKey.item_id == other.id))


def test_reminder_mail_carries_only_ref_and_link(app, org):
    from kvalitet.notify.operations import set_mail_mode

    set_mail_mode(org.chef_a1, "direkt")
    clock.freeze(datetime(2026, 3, 19, 8, 0))
    item = make_action(org, date(2026, 3, 20))
    send_reminders()
    mail = db.session.scalars(select(OutboxMail)).one()
    assert mail.to_addr == org.chef_a1.email
    assert item.ref in mail.subject
    assert f"http://127.0.0.1:5000/arende/{item.ref}" in mail.body
    assert "loggkontroll" not in mail.body.lower()  # the title never goes by mail


def test_escalation_to_chef_once_after_configured_days(app, org):
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    item = make_action(org, date(2026, 3, 10), owner=org.med_a1)
    escalated_on = []
    for _ in range(20):
        if escalate_overdue():
            escalated_on.append(clock.today())
        clock.advance(timedelta(days=1))
    assert escalated_on == [date(2026, 3, 13)]
    notes = db.session.scalars(
        select(Notification).where(Notification.purpose == "eskalering")
    ).all()
    assert [n.user_id for n in notes] == [org.chef_a1.id]
    assert item.ref in notes[0].message


def test_escalation_goes_up_when_owner_is_the_chef(app, org):
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    make_action(org, date(2026, 3, 1), owner=org.chef_a1)
    assert escalate_overdue() == 1
    users = db.session.scalars(
        select(Notification.user_id).where(Notification.purpose == "eskalering")
    ).all()
    assert users == [org.avdchef_a.id]
    assert db.session.scalar(select(func.count(ReminderKey.id))) == 1
