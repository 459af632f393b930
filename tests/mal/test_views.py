"""The web pages: forms show Swedish messages next to the field and save nothing on bad
input; another branch gets 404; the trend page has the chart and the table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kvalitet.extensions import db
from kvalitet.mal import operations as ops
from kvalitet.mal.models import Indikator, Utfall, Verksamhetsplan
from tests.mal.helpers import plan_with_goal


def test_create_plan_goal_and_indikator_by_form(org: Any, login_as: Any) -> None:
    web = login_as(org.kvalitet)
    response = web.post(
        "/mal/ny",
        {
            "unit_id": org.forv.id,
            "year": "2026",
            "name": "Plan 2026",
            "levels": "Inriktningsmål\nNämndmål\nUtvecklingsområde",
        },
    )
    assert response.status_code == 302
    plan = db.session.scalar(select(Verksamhetsplan))
    assert plan is not None and plan.levels == ["Inriktningsmål", "Nämndmål", "Utvecklingsområde"]
    response = web.post(
        f"/mal/plan/{plan.id}/mal/ny",
        {"name": "Trygg och säker verksamhet", "owner_id": org.avdchef_a.id},
    )
    assert response.status_code == 302
    goal = plan.goals[0]
    bad = web.post(
        f"/mal/mal/{goal.id}/indikator/ny",
        {
            "name": "Andel utredningar med ASI",
            "method": "aktgranskning",
            "unit_of_measure": "procent",
            "target": "90",
            "direction": "",
            "periods": ["T1", "T2"],
            "responsible_id": org.chef_a1.id,
        },
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="direction-fel"' in page and "Ange riktning för målvärdet" in page
    assert db.session.scalar(select(func.count()).select_from(Indikator)) == 0
    good = web.post(
        f"/mal/mal/{goal.id}/indikator/ny",
        {
            "name": "Andel utredningar med ASI",
            "method": "aktgranskning",
            "unit_of_measure": "procent",
            "target": "90",
            "direction": "hogre",
            "periods": ["T1", "T2"],
            "by_sex": "y",
            "sex_labels": "kvinnor_man",
            "responsible_id": org.chef_a1.id,
        },
    )
    assert good.status_code == 302
    page = web.get(f"/mal/plan/{plan.id}").get_data(as_text=True)
    assert "Andel utredningar med ASI" in page and "minst 90 %" in page


def test_utfall_form_bad_input_changes_nothing(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    web = login_as(org.chef_a1)
    share, count = data["share"], data["count"]
    response = web.post(f"/mal/indikator/{count.id}/utfall/T1", {"value": "3"})
    assert response.status_code == 422
    assert "Indikatorn mäts inte för T1. Den mäts: T2, Helår." in response.get_data(as_text=True)
    response = web.post(f"/mal/indikator/{share.id}/utfall/T2", {"value": "åttio"})
    assert response.status_code == 422
    assert 'id="value-fel"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Utfall)) == 0
    response = web.post(
        f"/mal/indikator/{share.id}/utfall/T2",
        {
            "value": "81,5",
            "value_k": "84",
            "value_m": "3",
            "n_k": "24",
            "n_m": "3",
            "comment": "Enkät i maj.",
        },
    )
    assert response.status_code == 302
    trend = web.get(f"/mal/indikator/{share.id}").get_data(as_text=True)
    assert "<svg" in trend and "81,5 %" in trend and "&lt;5" in trend  # men: 3 persons


def test_other_branch_gets_404(org: Any, login_as: Any) -> None:
    plan = ops.create_plan(org.chef_a1, unit=org.a1, year=2026, name="Enhetens plan A1")
    goal = ops.create_goal(org.chef_a1, plan, None, name="Hemligt mål")
    web = login_as(org.chef_b1)
    for url in (
        f"/mal/plan/{plan.id}",
        f"/mal/mal/{goal.id}/andra",
        f"/mal/plan/{plan.id}/rapport",
        f"/mal/plan/{plan.id}/uppfoljning",
    ):
        response = web.get(url)
        assert response.status_code == 404, url
        assert "Hemligt mål" not in response.get_data(as_text=True)
    assert "Enhetens plan A1" not in web.get("/mal/").get_data(as_text=True)


def test_assessment_page_shows_symbol_and_text(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    ops.save_utfall(org.chef_a1, data["share"], "T2", value=70)
    web = login_as(org.avdchef_a)
    goal = data["goal"]
    page = web.get(f"/mal/mal/{goal.id}/bedomning/T2").get_data(as_text=True)
    assert "Regelns förslag" in page and "Målet är inte uppnått" in page
    response = web.post(
        f"/mal/mal/{goal.id}/bedomning/T2", {"value": "delvis", "orsak": "", "analys": ""}
    )
    assert response.status_code == 422 and 'id="orsak-fel"' in response.get_data(as_text=True)
    response = web.post(
        f"/mal/mal/{goal.id}/bedomning/T2",
        {"value": "delvis", "orsak": "Lägre i mottagningen.", "analys": "Personalbyte."},
    )
    assert response.status_code == 302
    plan_page = web.get(f"/mal/plan/{data['plan'].id}?period=T2").get_data(as_text=True)
    assert '<span class="mal-mark" aria-hidden="true">◐</span> Målet är delvis uppnått' in plan_page
