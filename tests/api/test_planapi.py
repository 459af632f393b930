"""Egenkontroll plans through the API (issue 14, point 6): a plan with a control, adopted,
performed, a finding made an åtgärd, copied to the next year; refusals change nothing;
another avdelning's chef sees nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kvalitet.core.periods import current_quality_year
from kvalitet.egenkontroll.models import Egenkontroll, EgenkontrollPlan, Kontroll
from kvalitet.extensions import db


def test_plan_control_adopt_perform_and_copy(org, api_as):
    avdchef = api_as(org.avdchef_a)
    year = current_quality_year().start.year
    made = avdchef.post(
        "/api/v1/egenkontroll-planer",
        json={"year": year, "name": "Egenkontroller Avdelning A", "scope_unit_id": org.avd_a.id},
    )
    assert made.status_code == 201, made.get_json()
    plan_id = made.get_json()["id"]

    # Adopting a plan without controls is refused: 422, still an utkast.
    empty = avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/faststall")
    assert empty.status_code == 422 and "kontroll" in empty.get_json()["error"]["message"]
    assert db.session.get(EgenkontrollPlan, plan_id).status == "utkast"

    start = current_quality_year().start
    control = {
        "title": "Genomförandeplaner finns",
        "method": "aktgranskning",
        "sample_size": 2,
        "rule": {"freq": "monthly", "start": start.isoformat()},
        "unit_ids": [org.a1.id],
        "questions": ["Finns planen?", "Är den följd upp?"],
    }
    outside = avdchef.post(
        f"/api/v1/egenkontroll-planer/{plan_id}/kontroller",
        json={**control, "unit_ids": [org.b1.id]},
    )
    assert outside.status_code == 422 and "unit_ids" in outside.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(Kontroll.id))) == 0
    badrule = avdchef.post(
        f"/api/v1/egenkontroll-planer/{plan_id}/kontroller",
        json={
            **control,
            "rule": {
                "freq": "monthly",
                "start": start.isoformat(),
                "until": (start - timedelta(days=1)).isoformat(),
            },
        },
    )
    assert badrule.status_code == 422 and "until" in badrule.get_json()["error"]["fields"]
    saved = avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/kontroller", json=control)
    assert saved.status_code == 201, saved.get_json()
    kontroll_id = saved.get_json()["id"]
    edited = avdchef.patch(
        f"/api/v1/egenkontroll-kontroller/{kontroll_id}",
        json={"sample_size": 3, "questions": ["Finns planen?"]},
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["questions"] == ["Finns planen?"]
    assert edited.get_json()["rule"]["freq"] == "monthly"

    renamed = avdchef.patch(f"/api/v1/egenkontroll-planer/{plan_id}", json={"name": ""})
    assert renamed.status_code == 422 and "name" in renamed.get_json()["error"]["fields"]

    adopted = avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/faststall")
    assert adopted.status_code == 200, adopted.get_json()
    assert adopted.get_json()["status"] == "faststalld"
    assert adopted.get_json()["created_occurrences"] >= 1
    twice = avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/faststall")
    assert twice.status_code == 422

    item = db.session.scalar(select(Egenkontroll).order_by(Egenkontroll.planned_date))
    chef = api_as(org.chef_a1)
    early = chef.post(
        f"/api/v1/egenkontroll/{item.ref}/sista-datum",
        json={"due_date": (item.planned_date - timedelta(days=1)).isoformat()},
    )
    assert early.status_code == 422 and "due_date" in early.get_json()["error"]["fields"]
    later = (item.due_date or item.planned_date) + timedelta(days=7)
    moved = chef.post(
        f"/api/v1/egenkontroll/{item.ref}/sista-datum", json={"due_date": later.isoformat()}
    )
    assert moved.status_code == 200 and moved.get_json()["due_date"] == later.isoformat()

    finding = chef.post(f"/api/v1/egenkontroll/{item.ref}/fynd", json={"text": "Två planer saknas"})
    assert finding.status_code in (200, 201), finding.get_json()
    fynd_id = db.session.get(Egenkontroll, item.id).fynd[0].id
    atgard = chef.post(f"/api/v1/egenkontroll/{item.ref}/fynd/{fynd_id}/atgard", json={})
    assert atgard.status_code == 201, atgard.get_json()
    assert atgard.get_json()["kind"] == "ATG"
    again = chef.post(f"/api/v1/egenkontroll/{item.ref}/fynd/{fynd_id}/avvikelse", json={})
    assert again.status_code == 422

    copied = avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/kopiera")
    assert copied.status_code == 201, copied.get_json()
    assert copied.get_json()["year"] == year + 1 and copied.get_json()["status"] == "utkast"
    assert avdchef.post(f"/api/v1/egenkontroll-planer/{plan_id}/kopiera").status_code == 422

    # Another avdelning: the plan does not exist for them; a chef may see but not change it.
    other = api_as(org.chef_b1)
    assert other.get(f"/api/v1/egenkontroll-planer/{plan_id}").status_code == 404
    assert (
        other.patch(f"/api/v1/egenkontroll-planer/{plan_id}", json={"name": "X"}).status_code == 404
    )
    assert plan_id not in [p["id"] for p in other.get("/api/v1/egenkontroll-planer").get_json()]
    assert (
        other.post(
            f"/api/v1/egenkontroll/{item.ref}/sista-datum", json={"due_date": later.isoformat()}
        ).status_code
        == 404
    )
    refused = other.post(
        "/api/v1/egenkontroll-planer",
        json={"year": year, "name": "Intrång", "scope_unit_id": org.avd_a.id},
    )
    assert refused.status_code == 403
    assert db.session.get(EgenkontrollPlan, plan_id).name == "Egenkontroller Avdelning A"
