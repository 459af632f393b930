"""Mål och indikatorer in the JSON API and its OpenAPI document, and the import of plans
and utfall (all rows or none, errors by row and column)."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from kvalitet.api.tokens import create_token
from kvalitet.extensions import db
from kvalitet.mal import importer
from kvalitet.mal.models import Indikator, Mal, Utfall
from tests.api.conftest import ApiClient
from tests.mal.helpers import plan_with_goal


def api(app: Flask, user: Any) -> ApiClient:
    _row, token = create_token(user, user, name="test")
    return ApiClient(app, token)


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_build_a_plan_through_the_api(app: Flask, org: Any) -> None:
    client = api(app, org.kvalitet)
    made = client.post(
        "/api/v1/mal/planer",
        json={"unit_id": org.forv.id, "year": 2026, "levels": ["Nämndmål", "Utvecklingsområde"]},
    )
    assert made.status_code == 201, made.json
    plan_id = made.json["id"]
    goal = client.post(f"/api/v1/mal/planer/{plan_id}/mal", json={"name": "Tillgänglig verksamhet"})
    assert goal.status_code == 201 and goal.json["nr"] == "1"
    bad = client.post(
        f"/api/v1/mal/mal/{goal.json['id']}/indikatorer",
        json={"name": "Svar i tid", "unit_of_measure": "procent", "target": 90, "periods": ["T1"]},
    )
    assert bad.status_code == 422
    assert "riktning" in bad.json["error"]["fields"]["direction"][0]
    assert count(Indikator) == 0
    ind = client.post(
        f"/api/v1/mal/mal/{goal.json['id']}/indikatorer",
        json={
            "name": "Svar i tid",
            "measure": "synpunkter_besvarade_i_tid",
            "direction": "hogre",
            "target": 90,
            "periods": ["T1", "T2"],
            "responsible_id": org.chef_a1.id,
        },
    )
    assert ind.status_code == 201 and ind.json["unit_of_measure"] == "procent"
    put = client.open(
        "PUT", f"/api/v1/mal/indikatorer/{ind.json['id']}/utfall/T3", json={"value": 95}
    )
    assert put.status_code == 422 and "mäts inte för T3" in put.json["error"]["message"]
    put = client.open(
        "PUT", f"/api/v1/mal/indikatorer/{ind.json['id']}/utfall/T1", json={"value": "nittio"}
    )
    assert put.status_code == 422 and put.json["error"]["fields"]["value"]
    put = client.open(
        "PUT",
        f"/api/v1/mal/indikatorer/{ind.json['id']}/utfall/T1",
        json={"value": 92.5, "comment": "Bra."},
    )
    assert put.status_code == 200 and put.json["reaches_target"] is True
    assert count(Utfall) == 1
    assessed = client.open(
        "PUT",
        f"/api/v1/mal/mal/{goal.json['id']}/bedomning/T1",
        json={"value": "uppnatt", "analys": "Alla besvarade i tid."},
    )
    assert assessed.status_code == 200 and assessed.json["proposed"] == "uppnatt"
    full = client.get(f"/api/v1/mal/planer/{plan_id}").json
    assert full["mal"][0]["indikatorer"][0]["utfall"][0]["value"] == 92.5
    assert full["mal"][0]["bedomningar"][0]["value"] == "uppnatt"
    board = client.get(f"/api/v1/mal/planer/{plan_id}/uppfoljning?period=T1").json
    assert board["counts"] == {"rapporterad": 1, "saknas": 0, "forsenad": 0}
    copied = client.post(f"/api/v1/mal/planer/{plan_id}/kopiera")
    assert copied.status_code == 201 and copied.json["year"] == 2027
    other = api(app, org.chef_b1)
    assert other.get(f"/api/v1/mal/planer/{plan_id}").status_code == 200  # förvaltning's plan
    mine = client.post("/api/v1/mal/planer", json={"unit_id": org.a1.id, "year": 2026}).json
    assert other.get(f"/api/v1/mal/planer/{mine['id']}").status_code == 404


def test_openapi_lists_the_routes(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/mal/planer",
        "/api/v1/mal/planer/{plan_id}/mal",
        "/api/v1/mal/indikatorer/{ind_id}/utfall/{period}",
        "/api/v1/mal/mal/{mal_id}/bedomning/{period}",
        "/api/v1/mal/planer/{plan_id}/import",
    ):
        assert path in doc["paths"], path
    assert "MalIndikator" in doc["components"]["schemas"]


STRUKTUR = (
    "Typ;Nr;Namn;Överordnat;Enhet;Riktning;Målvärde;Mäts;Ansvarig;Per kön\n"
    "mål;2;Trygg och säker verksamhet;;;;;;;\n"
    "mål;2.1;Avvikelser hanteras;2;;;;;;\n"
    "indikator;2.1.1;Andel avvikelser avslutade inom 30 dagar;2.1;procent;högre;85;"
    "T1, T2, T3;chef.a1@test.se;ja\n"
    "indikator;2.1.2;Antal avvikelser;2.1;antal;högre;;T2;;nej\n"
)


def test_import_structure_and_utfall_all_or_nothing(org: Any) -> None:
    data = plan_with_goal(org)
    plan = data["plan"]
    result = importer.run(org.kvalitet, plan, "struktur", "plan.csv", STRUKTUR.encode())
    assert result.created == 4
    goals = {g.nr: g for g in plan.goals}
    (first, second) = goals["2.1"].indikatorer
    assert (first.target, first.direction, first.by_sex, first.periods) == (
        85,
        "hogre",
        True,
        ["T1", "T2", "T3"],
    )
    assert first.responsible_id == org.chef_a1.id and second.direction == "hogre"
    goals_before, utfall_before = count(Mal), count(Utfall)
    bad = (
        "Indikator;Period;Värde;Kvinnor;Män\n"
        "2.1.1;T1;80;82;78\n"
        "2.1.2;T1;12;;\n"  # not measured in T1
        "2.1.1;T2;hög;;\n"  # wrong type
        "9.9;T2;1;;\n"
    )
    try:
        importer.run(org.kvalitet, plan, "utfall", "utfall.csv", bad.encode())
    except importer.MalImportFailed as error:
        found = [(e.row, e.column) for e in error.row_errors]
        messages = " ".join(e.message for e in error.row_errors)
    else:
        raise AssertionError("the import should have failed")
    assert found == [(3, "Period"), (4, "Värde"), (5, "Indikator")]
    assert "mäts inte för T1" in messages and "Ange ett tal" in messages
    assert count(Utfall) == utfall_before == 0 and count(Mal) == goals_before
    good = "Indikator;Period;Värde;Kvinnor;Män\n2.1.1;T1;80;82;78\n2.1.2;T2;12;;\n"
    assert importer.run(org.kvalitet, plan, "utfall", "utfall.csv", good.encode()).created == 2
    assert count(Utfall) == 2


def test_import_through_the_web_shows_row_errors(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    web = login_as(org.kvalitet)
    response = web.post(
        f"/mal/plan/{data['plan'].id}/import",
        {
            "what": "utfall",
            "file": (io.BytesIO(b"Indikator;Period;V\xc3\xa4rde\n1.1;T4;5\n"), "utfall.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Inget importerades" in page and "<td>2</td><td>Period</td>" in page
