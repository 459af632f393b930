"""No escalation is lost: without a chef above the owner it goes to the next role up that
can act, and with no one at all to the admins' page of undeliverable notices. The reminder
key is stored only when someone (or that page) was told."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import Notification, ReminderKey, UndeliverableNotice
from kvalitet.notify.operations import escalate_overdue, send_reminders
from kvalitet.org.models import Role
from tests.conftest import make_user
from tests.notify.helpers import make_action


def _told(purpose: str = "eskalering") -> list[int]:
    return list(
        db.session.scalars(
            select(Notification.user_id)
            .where(Notification.purpose == purpose)
            .order_by(Notification.user_id)
        )
    )


def _keys() -> int:
    return int(db.session.scalar(select(func.count(ReminderKey.id))) or 0)


def test_avdelning_level_item_of_the_avdelningschef_goes_to_the_kvalitetsutvecklare(app, org):
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    make_action(org, date(2026, 3, 1), owner=org.avdchef_a, unit=org.avd_a)
    assert escalate_overdue() == 1
    assert _told() == [org.kvalitet.id]
    assert _keys() == 1
    assert escalate_overdue() == 0 and _told() == [org.kvalitet.id]


def test_an_avdelningschef_higher_up_comes_before_the_kvalitetsutvecklare(app, org):
    director = make_user("Forvaltnings Chef", Role.AVDELNINGSCHEF, org.forv)
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    make_action(org, date(2026, 3, 1), owner=org.avdchef_a, unit=org.avd_a)
    assert escalate_overdue() == 1
    assert _told() == [director.id]


def test_no_one_to_tell_goes_to_the_admins_page_once(app, org, login_as):
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    # A yearly activity at förvaltning level owned by the only kvalitetsutvecklare.
    item = make_action(org, date(2026, 3, 1), owner=org.kvalitet, unit=org.forv)
    assert escalate_overdue() == 1
    assert _told() == []
    notice = db.session.scalars(select(UndeliverableNotice)).one()
    assert notice.item_id == item.id and notice.purpose == "eskalering"
    assert item.ref in notice.message and "Förvaltning" in notice.reason
    assert _keys() == 1  # the admins' page was told: never made twice
    assert escalate_overdue() == 0
    assert db.session.scalar(select(func.count(UndeliverableNotice.id))) == 1

    admin = login_as(org.admin)
    html = admin.get("/admin/notiser-utan-mottagare").get_data(as_text=True)
    assert item.ref in html and "Markera som hanterad" in html
    assert login_as(org.chef_a1).get("/admin/notiser-utan-mottagare").status_code == 403
    response = admin.post("/admin/notiser-utan-mottagare", data={"notice": notice.id})
    assert response.status_code == 302
    db.session.refresh(notice)
    assert notice.handled_at is not None and notice.handled_by_id == org.admin.id
    html = admin.get("/admin/notiser-utan-mottagare").get_data(as_text=True)
    assert item.ref not in html
    assert item.ref in admin.get("/admin/notiser-utan-mottagare?visa=alla").get_data(as_text=True)


def test_reminder_to_an_inactive_owner_goes_to_the_admins_page(app, org):
    clock.freeze(datetime(2026, 3, 1, 8, 0))
    make_action(org, date(2026, 3, 1), owner=org.med_a1)
    org.med_a1.active = False
    db.session.commit()
    assert send_reminders() == 1
    assert _told("paminnelse") == []
    notice = db.session.scalars(select(UndeliverableNotice)).one()
    assert notice.purpose == "paminnelse" and "inte längre aktiv" in notice.reason
    assert send_reminders() == 0


def test_ordinary_escalation_still_goes_to_the_units_chef(app, org):
    clock.freeze(datetime(2026, 3, 20, 8, 0))
    make_action(org, date(2026, 3, 1), owner=org.med_a1)
    assert escalate_overdue() == 1
    assert _told() == [org.chef_a1.id]
    assert db.session.scalar(select(func.count(UndeliverableNotice.id))) == 0
