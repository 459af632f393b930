"""The egenkontroll page has three forms (answers, findings, due date). When one is refused,
what was typed in it stays, and the others keep what they showed."""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Egenkontroll
from kvalitet.extensions import db
from tests.egenkontroll.helpers import make_plan


def _occurrence(org):
    clock.freeze(datetime(2026, 1, 10, 8, 0))
    _, kontroll = make_plan(org, units=[org.a1])
    ops.generate_occurrences()
    item = db.session.scalars(
        select(Egenkontroll).where(Egenkontroll.planned_date == date(2026, 1, 15))
    ).one()
    db.session.commit()
    return item, kontroll


def _checked(html: str) -> set[str]:
    return set(re.findall(r'name="(svar-\d+-\d+)" id="[^"]+" value="ja" checked', html))


def test_refused_finding_keeps_the_text_and_the_answers_and_date(app, org, login_as):
    item, kontroll = _occurrence(org)
    q = kontroll.active_fragor[0]
    chef = login_as(org.chef_a1)
    saved = chef.post(f"/egenkontroll/{item.ref}/utfor", {
        "case_count": "3", f"svar-{q.id}-1": "ja", "summary": "Utkast till sammanfattning.",
        "version": str(item.version), "action": "spara",
    })  # fmt: skip
    assert saved.status_code == 302
    too_long = "x" * 5001
    refused = chef.post(f"/egenkontroll/{item.ref}/fynd", {"text": too_long})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert too_long in html  # what was typed stays
    assert f"svar-{q.id}-1" in _checked(html)
    assert "Utkast till sammanfattning." in html
    assert re.search(r'name="due_date"[^>]*value="2026-01-22"', html)


def test_refused_completion_keeps_the_typed_answers(app, org, login_as):
    item, kontroll = _occurrence(org)
    q = kontroll.active_fragor[0]
    chef = login_as(org.chef_a1)
    refused = chef.post(f"/egenkontroll/{item.ref}/utfor", {
        "case_count": "3", f"svar-{q.id}-1": "ja", f"svar-{q.id}-2": "ja",
        "summary": "Sammanfattningen som skrevs.", "version": str(item.version),
        "action": "slutfor",
    })  # fmt: skip
    assert refused.status_code == 422  # not every case is answered
    html = refused.get_data(as_text=True)
    assert _checked(html) == {f"svar-{q.id}-1", f"svar-{q.id}-2"}
    assert "Sammanfattningen som skrevs." in html
    assert re.search(r'name="due_date"[^>]*value="2026-01-22"', html)
    db.session.expire_all()
    assert db.session.get(Egenkontroll, item.id).svar == []  # nothing half-saved


def test_refused_due_date_keeps_the_typed_date(app, org, login_as):
    item, _ = _occurrence(org)
    chef = login_as(org.chef_a1)
    refused = chef.post(f"/egenkontroll/{item.ref}/sista-datum", {
        "due_date": "2026-01-01", "version": str(item.version),
    })  # fmt: skip
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "före planerat datum" in html
    assert re.search(r'name="due_date"[^>]*value="2026-01-01"', html)
