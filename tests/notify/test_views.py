"""Settings, the calendar feed (parsed with icalendar, only the user's deadlines) and the
admins' outbox page."""

from __future__ import annotations

import re
from datetime import date, datetime

from icalendar import Calendar
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import NotifyPreference, OutboxMail
from kvalitet.notify.operations import notify, set_mail_mode
from tests.notify.helpers import make_action


def _feed_url(client) -> str:
    page = client.get("/notiser/installningar").get_data(as_text=True)
    match = re.search(r'value="http://[^"]+(/kalender/[^"]+\.ics)"', page)
    assert match, page
    return match.group(1)


def test_calendar_feed_shows_only_own_open_deadlines(app, org, login_as):
    clock.freeze(datetime(2026, 4, 1, 9, 0))
    mine = make_action(org, date(2026, 4, 20), owner=org.chef_a1)
    make_action(org, None, owner=org.chef_a1)  # no due date: not in the feed
    theirs = make_action(org, date(2026, 4, 21), owner=org.chef_a2, unit=org.a2)
    c = login_as(org.chef_a1)
    assert "Du har ingen kalenderadress" in c.get("/notiser/installningar").get_data(as_text=True)
    assert c.post("/notiser/kalender", {"action": "ny"}).status_code == 302
    url = _feed_url(c)
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = [e for e in cal.walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [f"{mine.ref}@kvalitet"]
    event = events[0]
    assert event.decoded("dtstart") == date(2026, 4, 20)
    assert mine.ref in str(event["summary"]) and "Rutin" not in str(event["summary"])
    assert theirs.ref not in response.get_data(as_text=True)


def test_calendar_token_can_be_regenerated_and_revoked(app, org, login_as):
    c = login_as(org.chef_a1)
    c.post("/notiser/kalender", {"action": "ny"})
    first = _feed_url(c)
    c.post("/notiser/kalender", {"action": "ny"})
    second = _feed_url(c)
    anonymous = app.test_client()
    assert first != second
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    c.post("/notiser/kalender", {"action": "stang"})
    assert anonymous.get(second).status_code == 404
    assert anonymous.get("/kalender/gissning.ics").status_code == 404
    assert db.session.get(NotifyPreference, org.chef_a1.id).calendar_token is None


def test_mail_mode_setting(app, org, login_as):
    c = login_as(org.med_a1)
    page = c.get("/notiser/installningar").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="sammandrag"', page)
    assert c.post("/notiser/installningar", {"mail_mode": "hack"}).status_code == 422
    assert c.post("/notiser/installningar", {"mail_mode": "direkt"}).status_code == 302
    notify([org.med_a1], "Hej")
    db.session.commit()
    assert db.session.scalars(select(OutboxMail)).one().to_addr == org.med_a1.email


def test_outbox_readable_by_admins_only(app, org, login_as):
    set_mail_mode(org.chef_a1, "direkt")
    item = make_action(org, date(2026, 4, 20))
    notify([org.chef_a1], f"Ny: {item.ref}", item=item)
    db.session.commit()
    mail = db.session.scalars(select(OutboxMail)).one()
    assert login_as(org.chef_a1).get("/admin/utkorg").status_code == 403
    assert login_as(org.kvalitet).get(f"/admin/utkorg/{mail.id}").status_code == 403
    admin = login_as(org.admin)
    page = admin.get("/admin/utkorg").get_data(as_text=True)
    assert "Ingen e-postserver" in page and org.chef_a1.email in page
    detail = admin.get(f"/admin/utkorg/{mail.id}").get_data(as_text=True)
    assert f"/arende/{item.ref}" in detail
    assert admin.post(f"/admin/utkorg/{mail.id}").status_code == 302
    assert "Utkorg (e-post)" in admin.get("/").get_data(as_text=True)
