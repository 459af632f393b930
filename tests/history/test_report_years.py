"""A kvalitetsberättelse for any past year that holds data, in the web and the API, with
Swedish messages (the form used to answer "Not a valid choice")."""

from __future__ import annotations

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.rapport.models import Kvalitetsberattelse
from tests.api.conftest import category_id


def _history(api, org, day: str) -> None:
    response = api.post(
        f"/api/v1/avvikelser?occurred_at={day}",
        json={
            "unit_id": org.a1.id,
            "description": "Gammal avvikelse",
            "category_id": category_id(),
        },
    )
    assert response.status_code == 201, response.get_json()


def test_a_year_long_ago_that_holds_data_can_be_started_in_web_and_api(org, api_as, login_as):
    api = api_as(org.kvalitet)
    web = login_as(org.kvalitet)
    # 2015/16 holds nothing yet: the web says so in Swedish, the API too.
    refused = web.post("/kvalitetsberattelse/ny", data={"unit": org.forv.id, "year": 2015})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Not a valid choice" not in html
    assert "Välj ett kvalitetsår i listan" in html
    answer = api.post("/api/v1/kvalitetsberattelser", json={"unit_id": org.forv.id,
                                                            "year": "2015/16"})  # fmt: skip
    assert answer.status_code == 422
    assert "inga uppgifter för kvalitetsåret 2015/16" in answer.get_json()["error"]["message"]

    _history(api, org, "2015-10-01")  # history arrives: now 2015/16 holds data
    page = web.get("/kvalitetsberattelse/").get_data(as_text=True)
    assert ">2015/16<" in page and ">2018/19<" in page
    started = web.post("/kvalitetsberattelse/ny", data={"unit": org.forv.id, "year": 2015})
    assert started.status_code == 302, started.get_data(as_text=True)[-3000:]
    answer = api.post("/api/v1/kvalitetsberattelser", json={"unit_id": org.forv.id,
                                                            "year": "2016/17"})  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["year"] == "2016/17" and body["texts"]
    years = sorted(r.first_year for r in db.session.scalars(select(Kvalitetsberattelse)))
    assert years == [2015, 2016]
    compiled = api.get(f"/api/v1/kvalitetsberattelser/{body['id']}")
    assert compiled.status_code == 200 and compiled.get_json()["document"]["blocks"]
    # Someone without the right to manage reports gets 403, another's report 404.
    assert api_as(org.med_a1).post("/api/v1/kvalitetsberattelser", json={
        "unit_id": org.forv.id, "year": "2016/17"}).status_code == 403  # fmt: skip
    assert api_as(org.med_a1).get(f"/api/v1/kvalitetsberattelser/{body['id']}").status_code == 404
