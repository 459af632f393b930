"""Hostile input is refused at the edge (kvalitet.inputguard) with a Swedish message, never a
500, and nothing changes: the cases measured in issue 17, through the web and the API."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from kvalitet.atgarder.models import Atgard
from kvalitet.egenkontroll.models import EgenkontrollPlan
from kvalitet.extensions import db
from kvalitet.inputguard import json_depth, text_problem, value_problem
from kvalitet.items.models import Comment
from kvalitet.items.operations import new_item
from tests.api.conftest import api_as  # noqa: F401  (fixture)


def _item(org) -> Atgard:
    item = new_item(Atgard, org.chef_a1, title="Uppdatera rutin", unit_id=org.a1.id,
                    owner_id=org.chef_a1.id, due_date=date(2026, 12, 1))  # fmt: skip
    db.session.commit()
    return item


def _comments() -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count(Comment.id))) or 0)


@pytest.mark.parametrize("text", ["a\x00b", "nul\x00", "bell\x07", "esc\x1b[31m", "del\x7f"])
def test_control_characters_in_a_web_form_are_refused(app, org, login_as, text):
    item = _item(org)
    client = login_as(org.chef_a1)
    response = client.post(f"/arende/{item.id}/kommentar", {"body": text})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "otillåtna tecken" in page and "body" in page and "Inget sparades" in page
    assert _comments() == 0
    # Tabs and line breaks are ordinary text.
    client.post(f"/arende/{item.id}/kommentar", {"body": "rad 1\r\n\trad 2"})
    assert _comments() == 1


def test_control_characters_in_api_json_are_refused(app, org, api_as):  # noqa: F811
    item = _item(org)
    api = api_as(org.chef_a1)
    response = api.post(f"/api/v1/atgarder/{item.ref}/comments", json={"body": "a\u0000b"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "otillåtna tecken" in error["fields"]["body"][0]
    assert _comments() == 0


@pytest.mark.parametrize("query", ["till=9999-12-31", "fran=0001-01-01", "till=0000-01-01",
                                   "fran=99999-01-01"])  # fmt: skip
def test_dates_outside_what_the_database_can_hold_are_refused_in_list_filters(
    app, org, login_as, query
):
    client = login_as(org.chef_a1)
    for path in ("/atgarder/", "/synpunkter/"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert "mellan år 1900 och 2200" in response.get_data(as_text=True)
    assert client.get("/atgarder/?till=2026-12-31").status_code == 200


def test_a_huge_number_in_a_form_gets_a_message_next_to_the_field(app, org, login_as):
    client = login_as(org.kvalitet)
    for value in ("99999999999999999999999", "99999999999"):
        response = client.post(
            "/egenkontroll/planer/ny",
            {"year": value, "name": "Plan", "scope_unit_id": str(org.a1.id),
             "description": ""},
        )  # fmt: skip
        assert response.status_code in (400, 422)
        assert "för stort" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(EgenkontrollPlan.id))) == 0


def test_deeply_nested_json_is_refused_before_parsing(app, org, api_as):  # noqa: F811
    item = _item(org)
    api = api_as(org.chef_a1)
    body = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.raw.post(
        f"/api/v1/atgarder/{item.ref}/comments", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "för djupt nästlat" in response.get_json()["error"]["message"]
    assert _comments() == 0


def test_oversized_json_is_refused(app, org, api_as):  # noqa: F811
    app.config["INPUT_MAX_JSON_BYTES"] = 1000
    item = _item(org)
    api = api_as(org.chef_a1)
    response = api.post(f"/api/v1/atgarder/{item.ref}/comments", json={"body": "x" * 2000})
    assert response.status_code == 413
    assert _comments() == 0


def test_unknown_fields_and_huge_integers_in_the_api_are_refused(app, org, api_as):  # noqa: F811
    item = _item(org)
    api = api_as(org.chef_a1)
    unknown = api.post(f"/api/v1/atgarder/{item.ref}/comments", json={"body": "Hej", "x": 1})
    assert unknown.status_code == 422 and "x" in unknown.get_json()["error"]["fields"]
    huge = api.post(f"/api/v1/atgarder/{item.ref}/comments",
                    json={"body": "Hej", "expected_version": 10**30})  # fmt: skip
    assert huge.status_code == 422
    nan = api.raw.post(
        f"/api/v1/atgarder/{item.ref}/comments", data='{"body": "Hej", "n": NaN}',
        content_type="application/json", headers={"Authorization": f"Bearer {api.token}"},
    )  # fmt: skip
    assert nan.status_code == 422
    assert _comments() == 0


def test_value_checks():
    assert text_problem("vanlig text\n\tmed radbrytning") is None
    assert text_problem("5565551234") is None  # an organisation number is text
    assert text_problem("9" * 30) and text_problem("0001-01-01") and text_problem("a\x00")
    assert value_problem(2**31) and value_problem([1, 2**40]) and value_problem(date(1, 1, 1))
    assert value_problem(2**31 - 1) is None and value_problem(True) is None
    assert json_depth(json.dumps({"a": [[{"b": "[[[[["}]]}).encode()) == 4


def test_a_multipart_field_without_a_name_is_refused(app, org, api_as):  # noqa: F811
    # Found by schemathesis: a part named "\n" arrives without a name.
    import io

    item = _item(org)
    api = api_as(org.chef_a1)
    response = api.raw.post(
        f"/api/v1/atgarder/{item.ref}/attachments",
        data={"\n": "", "file": (io.BytesIO(b"hej"), "a.txt")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {api.token}"},
    )  # fmt: skip
    assert response.status_code == 400
