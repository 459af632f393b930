"""Mål: the steps whose API came last (issue 14, point 6): editing the plan, a lower unit
adopting it, the internkontrollplan, freezing the follow-up report and a computed utfall; on
mal's operations, refusals change nothing, others get 403/404 as in the web."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.mal import operations as ops
from kvalitet.mal.models import Internkontroll, MalRapportVersion, Verksamhetsplan
from tests.egenkontroll.helpers import make_plan
from tests.mal.helpers import plan_with_goal


def test_edit_adopt_internkontroll_report_and_refresh(org: Any, api_as: Any) -> None:
    clock.freeze(datetime(2026, 5, 2, 9, 0))
    data = plan_with_goal(org)
    _egk, kontroll = make_plan(org)
    db.session.commit()
    plan_id = data["plan"].id
    kvalitet = api_as(org.kvalitet)

    shallow = kvalitet.patch(f"/api/v1/mal/planer/{plan_id}", json={"levels": []})
    assert shallow.status_code == 422 and "levels" in shallow.get_json()["error"]["fields"]
    renamed = kvalitet.patch(f"/api/v1/mal/planer/{plan_id}", json={"name": "Plan 2026"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Plan 2026"
    other = api_as(org.chef_b1)
    assert other.patch(f"/api/v1/mal/planer/{plan_id}",
                       json={"name": "X"}).status_code in (403, 404)  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Verksamhetsplan, plan_id).name == "Plan 2026"

    avdchef = api_as(org.avdchef_a)
    wrong = avdchef.post(f"/api/v1/mal/planer/{plan_id}/anta", json={"unit_id": org.forv.id})
    assert wrong.status_code == 422 and "unit_id" in wrong.get_json()["error"]["fields"]
    adopted = avdchef.post(f"/api/v1/mal/planer/{plan_id}/anta", json={"unit_id": org.avd_a.id})
    assert adopted.status_code == 201, adopted.get_json()
    assert adopted.get_json()["parent_plan_id"] == plan_id

    risky = kvalitet.post(
        f"/api/v1/mal/planer/{plan_id}/internkontroll",
        json={
            "kontroll_id": kontroll.id,
            "sannolikhet": 3,
            "konsekvens": 2,
            "rapporteras_till": "",
        },
    )
    assert risky.status_code == 422
    assert "rapporteras_till" in risky.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(Internkontroll.id))) == 0
    row = kvalitet.post(
        f"/api/v1/mal/planer/{plan_id}/internkontroll",
        json={
            "kontroll_id": kontroll.id,
            "process": "Dataskydd",
            "sannolikhet": 3,
            "konsekvens": 4,
            "rapporteras_till": "Socialnämnden",
        },
    )
    assert row.status_code == 201, row.get_json()
    assert row.get_json()["risk"] == 12
    row_id = row.get_json()["id"]
    put = kvalitet.open(
        "PUT",
        f"/api/v1/mal/internkontroll/{row_id}",
        json={"sannolikhet": 1, "konsekvens": 4, "rapporteras_till": "Förvaltningsledningen"},
    )
    assert put.status_code == 200 and put.get_json()["risk"] == 4
    listed = kvalitet.get(f"/api/v1/mal/planer/{plan_id}/internkontroll").get_json()
    assert [r["id"] for r in listed] == [row_id]
    assert api_as(org.chef_a1).open("DELETE", f"/api/v1/mal/internkontroll/{row_id}"
                                    ).status_code == 403  # fmt: skip
    gone = kvalitet.open("DELETE", f"/api/v1/mal/internkontroll/{row_id}")
    assert gone.status_code == 200
    assert db.session.scalar(select(func.count(Internkontroll.id))) == 0

    bad = kvalitet.post(f"/api/v1/mal/planer/{plan_id}/rapport/frys", json={"period": "M13"})
    assert bad.status_code == 422 and "period" in bad.get_json()["error"]["fields"]
    frozen = kvalitet.post(
        f"/api/v1/mal/planer/{plan_id}/rapport/frys",
        json={"period": "T1", "comment": "Till nämnden"},
    )
    assert frozen.status_code == 201, frozen.get_json()
    assert frozen.get_json()["number"] == 1 and len(frozen.get_json()["sha256"]) == 64
    assert api_as(org.chef_a1).post(f"/api/v1/mal/planer/{plan_id}/rapport/frys",
                                    json={"period": "T1"}).status_code == 403  # fmt: skip
    assert db.session.scalar(select(func.count(MalRapportVersion.id))) == 1

    share = data["share"].id
    unmeasured = kvalitet.post(f"/api/v1/mal/indikatorer/{share}/utfall/T1/berakna")
    assert unmeasured.status_code == 422
    assert "measure" in unmeasured.get_json()["error"]["fields"]
    measured = ops.create_indikator(org.kvalitet, data["goal"], name="Svar i tid",
                                    unit_of_measure="procent", periods=["T1"],
                                    measure="synpunkter_besvarade_i_tid")  # fmt: skip
    db.session.commit()
    computed = kvalitet.post(f"/api/v1/mal/indikatorer/{measured.id}/utfall/T1/berakna")
    assert computed.status_code == 200, computed.get_json()
    assert computed.get_json()["computed"] is True
