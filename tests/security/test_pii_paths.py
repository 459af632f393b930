"""The personnummer guard on every path a text comes in by, tried with the shapes that used to
walk around it: an en dash from Word, a no-break space, a zero-width space, digits in pairs."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.extensions import db
from kvalitet.items.models import Attachment, Item
from tests.api.conftest import category_id

DASHED = "811218\u20139876"  # en dash
HIDDEN = "8112\u200b18\u00a09876"  # zero-width space and no-break space
PAIRS = "81 12 18 98 76"


def _items() -> int:
    return db.session.scalar(select(func.count(Item.id))) or 0


@pytest.mark.parametrize("written", [DASHED, HIDDEN, PAIRS])
def test_api_refuses_walked_around_personnummer(org, api_as, written):
    response = api_as(org.med_a1).post(
        "/api/v1/avvikelser",
        json={
            "unit_id": org.a1.id,
            "description": f"Gäller {written}",
            "category_id": category_id(),
            "title": "Utebliven expediering",
        },
    )
    assert response.status_code == 422
    assert "personnummer" in str(response.get_json())
    assert _items() == 0


@pytest.mark.parametrize("written", [DASHED, HIDDEN, PAIRS])
def test_public_etjanst_refuses_walked_around_personnummer(client, org, written):
    url = "/synpunkter/lamna"
    data = {
        "typ": "klagomal",
        "unit_id": "",
        "kalla": "narstaende",
        "description": f"Min mamma {written} fick vänta.",
        "name": "",
        "contact": "",
        "webbplats": "",
        "csrf_token": client.token(url),
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert "personnummer" in response.get_data(as_text=True)
    assert _items() == 0


def test_import_cell_refuses_walked_around_personnummer(org):
    kind = importer.import_kind("synpunkter")
    rows = [
        ["Enhet", "Vad det gäller", "Typ", "Mottagen"],
        ["Enhet A1", f"Gäller {DASHED}", "klagomal", "2025-10-03"],
    ]
    data = "\n".join(";".join(r) for r in rows).encode("utf-8")
    headers, body = importer.read_table("syn.csv", data)
    mapping = importer.guess_mapping(kind, headers)
    results = importer.check_rows(kind, org.registrator, headers, body, mapping, "syn.csv")
    assert not results[0].ok
    with pytest.raises(importer.ImportFailed):
        importer.run_import(kind, org.registrator, headers, body, mapping, "syn.csv")
    assert _items() == 0


@pytest.mark.parametrize("name", ["utredning 19121212-1212.pdf", f"utredning {DASHED}.pdf"])
def test_attachment_file_name_with_personnummer_is_refused(app, org, login_as, name):
    from tests.items.test_item_routes import make

    item = make(org)
    client = login_as(org.chef_a1)
    response = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"%PDF-1.4 test"), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "personnummer" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    from kvalitet.items.operations import attachment_dir

    assert list(attachment_dir().iterdir()) == []  # the file did not stay on disk
    ok = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"%PDF-1.4 test"), "utredning.pdf")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    assert db.session.scalar(select(func.count(Attachment.id))) == 1


def test_live_check_endpoint_answers_while_typing(client, org):
    token = client.token("/logga-in")
    answer = client.raw.post(
        "/pii-kontroll", json={"text": f"Brukaren {DASHED}"}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200
    assert answer.get_json()["found"] is True and "personnummer" in answer.get_json()["message"]
    innocent = client.raw.post(
        "/pii-kontroll", json={"text": "Ring 070-123 45 67"}, headers={"X-CSRFToken": token}
    )
    assert innocent.get_json() == {"found": False, "message": ""}
    # Without the CSRF header it is refused like any other POST.
    assert client.raw.post("/pii-kontroll", json={"text": "x"}).status_code == 400


@pytest.mark.browser
def test_warning_appears_while_typing(org, live_server, page):
    from playwright.sync_api import expect

    from tests.conftest import browser_login

    browser_login(page, live_server, org.med_a1.email)
    page.goto(f"{live_server}/avvikelser/ny")
    field = page.get_by_label("Vad hände?")
    field.press_sequentially(f"Brukaren {DASHED} fick fel")
    warning = page.locator(".pii-warning")
    warning.get_by_text("personnummer").wait_for()
    assert field.get_attribute("aria-invalid") == "true"
    field.fill("Brukaren fick fel medicin")
    field.press("End")
    expect(warning).to_have_text("")
