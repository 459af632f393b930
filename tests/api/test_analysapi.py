"""The samlad analys: start, themes and settings through the API (issue 14, point 6), on
analys's operations; refusals change nothing; another unit's chef gets 403/404."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kvalitet.analys.models import Analys, AnalysPlan
from kvalitet.arshjul import operations as arshjul_ops
from kvalitet.arshjul.models import ArshjulAktivitet
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry


def test_start_an_analysis(org, api_as):
    chef = api_as(org.chef_a1)
    today = clock.today()
    body = {"unit_id": org.a1.id, "start": (today - timedelta(days=90)).isoformat(),
            "end": today.isoformat()}  # fmt: skip
    backwards = chef.post("/api/v1/analys", json={**body, "end": body["start"],
                                                  "start": body["end"]})  # fmt: skip
    assert backwards.status_code == 422 and "end" in backwards.get_json()["error"]["fields"]
    assert api_as(org.chef_b1).post("/api/v1/analys", json=body).status_code == 403
    assert chef.post("/api/v1/analys", json={**body, "unit_id": 999999}).status_code == 404
    assert db.session.scalar(select(func.count(Analys.id))) == 0
    made = chef.post("/api/v1/analys", json=body)
    assert made.status_code == 201, made.get_json()
    ref = made.get_json()["ref"]
    assert chef.get(f"/api/v1/analys/{ref}").status_code == 200
    assert api_as(org.chef_b1).get(f"/api/v1/analys/{ref}").status_code == 404


def test_themes_and_settings(org, api_as):
    kvalitet = api_as(org.kvalitet)
    added = kvalitet.post(
        "/api/v1/analys/teman", json={"list_key": "synpunkt_tema", "label": "Ömsesidig respekt"}
    )
    assert added.status_code == 201, added.get_json()
    twice = kvalitet.post(
        "/api/v1/analys/teman", json={"list_key": "synpunkt_tema", "label": "Ömsesidig respekt"}
    )
    assert twice.status_code == 422 and "label" in twice.get_json()["error"]["fields"]
    assert (
        api_as(org.chef_a1)
        .post("/api/v1/analys/teman", json={"list_key": "synpunkt_tema", "label": "Annat"})
        .status_code
        == 403
    )
    assert db.session.scalar(select(func.count(ListEntry.id)).where(
        ListEntry.label.in_(["Ömsesidig respekt", "Annat"]))) == 1  # fmt: skip

    arshjul_ops.seed_typical_year(org.kvalitet)
    db.session.commit()
    akt = db.session.scalar(select(ArshjulAktivitet).order_by(ArshjulAktivitet.id))
    bad = kvalitet.open("PUT", f"/api/v1/analys/installningar/{akt.id}", json={"months": 5})
    assert bad.status_code == 422 and "months" in bad.get_json()["error"]["fields"]
    assert db.session.get(AnalysPlan, akt.id) is None
    put = kvalitet.open("PUT", f"/api/v1/analys/installningar/{akt.id}", json={"months": 3})
    assert put.status_code == 200 and put.get_json()["months"] == 3
    settings = kvalitet.get("/api/v1/analys/installningar").get_json()
    assert {"aktivitet_id": akt.id, "title": akt.title, "months": 3} in settings
    cleared = kvalitet.open("PUT", f"/api/v1/analys/installningar/{akt.id}", json={"months": None})
    assert cleared.status_code == 200
    db.session.expire_all()
    assert db.session.get(AnalysPlan, akt.id) is None
    typical = kvalitet.post("/api/v1/analys/installningar/typiskt-ar")
    assert typical.status_code == 200, typical.get_json()
    chef = api_as(org.chef_a1)
    assert chef.get("/api/v1/analys/installningar").status_code == 403
    assert chef.open("PUT", f"/api/v1/analys/installningar/{akt.id}",
                     json={"months": 3}).status_code == 403  # fmt: skip
