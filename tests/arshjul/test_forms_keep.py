"""Årshjul pages keep what was typed when a form is refused: the task's due date (the task
page's own form; the panel's forms post to their own pages) and every field of the activity
form."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from kvalitet.arshjul.models import ArshjulUppgift
from kvalitet.arshjul.operations import create_activity, generate_occurrences, make_rule
from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db


def test_refused_due_date_shows_the_message_and_keeps_the_page(app, org, login_as):
    clock.freeze(datetime(2026, 1, 26, 8, 0))
    create_activity(
        org.kvalitet, title="Loggkontroll", description="", rule=make_rule(
            "last_working_day", date(2026, 1, 1)), responsible_role=Role.ENHETSCHEF,
        units=[org.a1], lead_days=7,
    )  # fmt: skip
    generate_occurrences(since=date(2026, 1, 1))
    task = db.session.scalars(select(ArshjulUppgift)).one()
    db.session.commit()
    chef = login_as(org.chef_a1)
    refused = chef.post(f"/arshjul/uppgift/{task.ref}", {
        "due_date": "inte ett datum", "version": str(task.version)})  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'name="due_date"[^>]*value="inte ett datum"', html)
    assert "invalid-feedback" in html
    db.session.expire_all()
    assert db.session.get(ArshjulUppgift, task.id).due_date == date(2026, 1, 30)


def test_refused_activity_keeps_every_field(app, org, login_as):
    kv = login_as(org.kvalitet)
    refused = kv.post("/arshjul/aktiviteter/ny", {
        "title": "Loggkontroll", "description": "Beskrivningen som skrevs.", "freq": "yearly",
        "start": "2026-03-01", "interval": "1", "day": "40", "month": "3",
        "until": "2027-03-01", "responsible_role": "avdelningschef",
        "units": [str(org.a1.id)], "scope_kind": "enhet", "lead_days": "12",
        "egk_metod": "loggkontroll",
    })  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Ange 1–31." in html
    assert re.search(r'name="title"[^>]*value="Loggkontroll"', html)
    assert "Beskrivningen som skrevs." in html
    for name, value in (("start", "2026-03-01"), ("until", "2027-03-01"), ("lead_days", "12"),
                        ("day", "40")):  # fmt: skip
        assert re.search(rf'name="{name}"[^>]*value="{value}"', html), name
    for name, value in (("freq", "yearly"), ("responsible_role", "avdelningschef"),
                        ("scope_kind", "enhet"), ("egk_metod", "loggkontroll"),
                        ("month", "3")):  # fmt: skip
        select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
        assert re.search(rf'<option selected value="{value}"', select_html), name
    assert re.search(rf'<input checked[^>]*name="units"[^>]*value="{org.a1.id}"', html)
