"""Edit and delete goals, indikatorer and kontrollmoment of the internkontrollplan: through
the operations, the web and the API; audited; a delete is refused in Swedish, changing
nothing, while something hangs on the row; another unit's user gets 404."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.mal import operations as ops
from kvalitet.mal.models import Indikator, Internkontroll, Mal
from tests.egenkontroll.helpers import make_plan
from tests.mal.helpers import plan_with_goal
from tests.mal.test_api import api


def _count(model: Any, *where: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _audited(action: str) -> int:
    return _count(AuditEntry, AuditEntry.action == action)


def test_delete_is_refused_while_something_hangs_on_it(org: Any) -> None:
    data = plan_with_goal(org)
    goal, share, count = data["goal"], data["share"], data["count"]
    ops.save_utfall(org.chef_a1, share, "T1", value="85", value_k="86", value_m="84",
                    n_k="30", n_m="25")  # fmt: skip
    with pytest.raises(OperationError) as refused:
        ops.delete_indikator(org.kvalitet, share)
    assert "har utfall för 1 period" in refused.value.message
    with pytest.raises(OperationError) as refused:
        ops.delete_goal(org.kvalitet, goal)
    assert "2 indikatorer" in refused.value.message and "kan inte tas bort" in refused.value.message
    assert _count(Indikator) == 2 and _count(Mal) == 1
    # An indikator without utfall goes, and the delete is in the audit trail.
    ops.delete_indikator(org.kvalitet, count)
    assert _count(Indikator) == 1 and _audited("mal_indikator_delete") == 1
    # A goal with a goal beneath it stays; the empty subgoal goes.
    sub = ops.create_goal(org.kvalitet, data["plan"], goal, name="Delmål")
    empty = ops.create_goal(org.kvalitet, data["plan"], None, name="Tomt mål")
    ops.delete_goal(org.kvalitet, empty)
    assert _audited("mal_mal_delete") == 1
    db.session.delete(share.utfall[0])
    db.session.flush()
    db.session.expire_all()
    with pytest.raises(OperationError) as refused:
        ops.delete_goal(org.kvalitet, goal)
    assert "1 mål under sig" in refused.value.message
    ops.delete_goal(org.kvalitet, sub)
    # Someone who may not edit the plan may not delete either.
    with pytest.raises(Exception):  # noqa: B017  (Forbidden or NotFound)
        ops.delete_goal(org.chef_a1, goal)


def test_goal_and_indikator_delete_in_the_web(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    web = login_as(org.kvalitet)
    page = web.get(f"/mal/indikator/{data['count'].id}/andra")
    assert "Ta bort indikatorn" in page.get_data(as_text=True)
    gone = web.post(f"/mal/indikator/{data['count'].id}/ta-bort", data={})
    assert gone.status_code == 302 and _count(Indikator) == 1
    refused = web.post(f"/mal/mal/{data['goal'].id}/ta-bort", data={}, follow_redirects=True)
    assert refused.status_code == 200 and "kan inte tas bort" in refused.get_data(as_text=True)
    assert _count(Mal) == 1
    # A chef of another branch learns nothing (404), and nothing goes.
    other = login_as(org.chef_b1)
    assert other.post(f"/mal/indikator/{data['share'].id}/ta-bort", data={}).status_code in (
        403,
        404,
    )
    assert _count(Indikator) == 1


def test_internkontroll_edit_and_delete(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    _egk_plan, kontroll = make_plan(org)
    row = ops.add_internkontroll(org.kvalitet, data["plan"], kontroll_id=kontroll.id,
                                 process="Dataskydd", sannolikhet=2, konsekvens=2,
                                 rapporteras_till="Socialnämnden")  # fmt: skip
    with pytest.raises(OperationError) as refused:
        ops.update_internkontroll(org.kvalitet, row, sannolikhet=7, konsekvens=2,
                                  rapporteras_till="Socialnämnden")  # fmt: skip
    assert refused.value.field == "sannolikhet" and row.risk_value == 4
    web = login_as(org.kvalitet)
    listing = web.get(f"/mal/plan/{data['plan'].id}/internkontroll").get_data(as_text=True)
    assert f"/mal/internkontroll/{row.id}/andra" in listing
    bad = web.post(
        f"/mal/internkontroll/{row.id}/andra",
        data={
            "process_name": "Dataskydd",
            "sannolikhet": "3",
            "konsekvens": "4",
            "rapporteras_till": "",
        },
    )
    assert bad.status_code == 422 and "Ange till vem resultatet rapporteras" in bad.get_data(
        as_text=True
    )
    db.session.refresh(row)
    assert row.risk_value == 4  # nothing saved
    ok = web.post(f"/mal/internkontroll/{row.id}/andra", data={
        "process_name": "Dataskydd", "sannolikhet": "3", "konsekvens": "4",
        "rapporteras_till": "Socialnämnden"})  # fmt: skip
    assert ok.status_code == 302
    db.session.refresh(row)
    assert row.risk_value == 12 and _audited("mal_internkontroll") == 2
    assert login_as(org.chef_b1).get(f"/mal/internkontroll/{row.id}/andra").status_code in (
        403,
        404,
    )
    assert web.post(f"/mal/internkontroll/{row.id}/ta-bort", data={}).status_code == 302
    assert _count(Internkontroll) == 0 and _audited("mal_internkontroll_delete") == 1
    assert db.session.get(type(kontroll), kontroll.id) is not None  # the control stays


def test_edit_and_delete_through_the_api(app: Flask, org: Any) -> None:
    data = plan_with_goal(org)
    client = api(app, org.kvalitet)
    put = client.open("PUT", f"/api/v1/mal/mal/{data['goal'].id}",
                      json={"name": "Brukarna är nöjda", "owner_id": org.avdchef_a.id})  # fmt: skip
    assert put.status_code == 200 and put.json["name"] == "Brukarna är nöjda", put.json
    bad = client.open("PUT", f"/api/v1/mal/indikatorer/{data['count'].id}",
                      json={"name": "Antal SIP", "unit_of_measure": "antal", "target": 5,
                            "periods": ["T2"]})  # fmt: skip
    assert bad.status_code == 422 and "direction" in bad.json["error"]["fields"]
    refused = client.open("DELETE", f"/api/v1/mal/mal/{data['goal'].id}")
    assert refused.status_code == 422 and "kan inte tas bort" in refused.json["error"]["message"]
    gone = client.open("DELETE", f"/api/v1/mal/indikatorer/{data['count'].id}")
    assert gone.status_code == 200 and gone.json == {"deleted": True}
    assert _count(Indikator) == 1
    spec = client.get("/api/v1/openapi.json").json
    assert (
        "delete" in spec["paths"]["/api/v1/mal/mal/{mal_id}"]
        and "put" in spec["paths"]["/api/v1/mal/indikatorer/{ind_id}"]
    )
