"""The årshjul through the API (issue 14, point 6): activities, the typical year and a task's
due date, on the årshjul's operations; refusals change nothing; others get 403/404."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kvalitet.arshjul import operations as arshjul_ops
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift
from kvalitet.core import clock
from kvalitet.extensions import db


def test_activities_typical_year_and_task(org, api_as):
    kvalitet = api_as(org.kvalitet)
    today = clock.today()
    body = {"title": "Egenkontroll av journaler", "responsible_role": "enhetschef",
            "rule": {"freq": "once", "start": (today + timedelta(days=3)).isoformat()},
            "unit_ids": [org.a1.id, org.b1.id], "lead_days": 30}  # fmt: skip
    none = kvalitet.post("/api/v1/arshjul-aktiviteter", json={**body, "unit_ids": []})
    assert none.status_code == 422 and "units" in none.get_json()["error"]["fields"]
    pnr = kvalitet.post("/api/v1/arshjul-aktiviteter", json={**body, "title": "Om 19121212-1212"})
    assert pnr.status_code == 422 and "title" in pnr.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(ArshjulAktivitet.id))) == 0

    made = kvalitet.post("/api/v1/arshjul-aktiviteter", json=body)
    assert made.status_code == 201, made.get_json()
    akt_id = made.get_json()["id"]
    edited = kvalitet.patch(f"/api/v1/arshjul-aktiviteter/{akt_id}", json={"lead_days": 10})
    assert edited.status_code == 200 and edited.get_json()["lead_days"] == 10
    assert edited.get_json()["unit_ids"] == [org.a1.id, org.b1.id]
    bad = kvalitet.patch(f"/api/v1/arshjul-aktiviteter/{akt_id}", json={"lead_days": 400})
    assert bad.status_code == 422 and "lead_days" in bad.get_json()["error"]["fields"]
    assert db.session.get(ArshjulAktivitet, akt_id).lead_days == 10

    # The typical year goes only into an empty årshjul.
    typical = kvalitet.post("/api/v1/arshjul-aktiviteter/typiskt-ar")
    assert typical.status_code == 422
    assert db.session.scalar(select(func.count(ArshjulAktivitet.id))) == 1

    chef = api_as(org.chef_a1)
    assert chef.post("/api/v1/arshjul-aktiviteter", json=body).status_code == 403
    assert chef.patch(f"/api/v1/arshjul-aktiviteter/{akt_id}", json={}).status_code == 403

    arshjul_ops.generate_occurrences()
    db.session.commit()
    task = db.session.scalar(select(ArshjulUppgift).where(ArshjulUppgift.unit_id == org.a1.id))
    assert task is not None
    later = (task.due_date or today) + timedelta(days=14)
    moved = chef.post(
        f"/api/v1/arshjul/{task.ref}/klart-senast", json={"due_date": later.isoformat()}
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["due_date"] == later.isoformat()
    stale = chef.post(
        f"/api/v1/arshjul/{task.ref}/klart-senast",
        json={"due_date": today.isoformat(), "version": 1},
    )
    assert stale.status_code == 409
    other = api_as(org.chef_b1)
    assert (
        other.post(
            f"/api/v1/arshjul/{task.ref}/klart-senast", json={"due_date": today.isoformat()}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(ArshjulUppgift, task.id).due_date == later


def test_typical_year_in_an_empty_arshjul(org, api_as):
    made = api_as(org.kvalitet).post("/api/v1/arshjul-aktiviteter/typiskt-ar")
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["created"] == len(made.get_json()["activities"]) > 5
