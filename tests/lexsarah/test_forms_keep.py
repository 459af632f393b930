"""A refused form on the lex Sarah page keeps what was typed in it, and every other form of
the page keeps its pre-filled dates and fields, so the next entry can be sent as it is
(issue 19: "Registrera beslut" too early emptied the utredning's date: "Ange datum")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.lexsarah import operations as ops
from tests.conftest import browser_login
from tests.lexsarah.helpers import make_case


def _case_in_utredning(org):
    case = make_case(org)
    ops.assess(case, org.sas, "missforhallande", "Tillsyn uteblev.")
    db.session.commit()
    return case


def test_refused_decision_keeps_the_other_forms_defaults(org, login_as):
    case = _case_in_utredning(org)
    client = login_as(org.sas)
    response = client.post(f"/lexsarah/{case.ref}/beslut", {
        "beslut-outcome": "missforhallande", "beslut-decision_date": clock.today().isoformat(),
        "beslut-decision_reason": "Motiveringen som skrevs.", "beslut-decision_maker_id": "0",
    })  # fmt: skip
    assert response.status_code in (403, 422)
    html = response.get_data(as_text=True)
    today = clock.today().isoformat()
    # The forms shown at this step (utredning, beslut): their dates are there.
    for name in ("post-entry_date", "beslut-decision_date"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert tag and f'value="{today}"' in tag.group(0), name
    assert "Motiveringen som skrevs." in html


@pytest.mark.browser
def test_refused_decision_then_utredning_entry_in_browser(app, org, live_server, page):
    case = _case_in_utredning(org)
    today = clock.today().isoformat()
    browser_login(page, live_server, org.sas.email)
    page.goto(f"{live_server}/lexsarah/{case.ref}")
    entry = page.get_by_test_id("utredning-form")
    entry.get_by_label("Källa").fill("Samtal med nattpersonal")
    decision = page.get_by_test_id("beslut-form")
    decision.get_by_label("Missförhållande", exact=True).check()
    decision.get_by_label("Motivering").fill("Motiveringen som skrevs.")
    decision.get_by_role("button", name="Registrera beslut").click()
    # Refused: the utredning is not complete.
    expect(page.get_by_role("alert").first).to_be_visible()
    decision = page.get_by_test_id("beslut-form")
    expect(decision.get_by_label("Motivering")).to_have_value("Motiveringen som skrevs.")
    expect(decision.get_by_label("Beslutsdatum")).to_have_value(today)
    expect(page.get_by_test_id("ivo-form").get_by_label("Datum för anmälan")).to_have_value(today)
    entry = page.get_by_test_id("utredning-form")
    expect(entry.get_by_label("Datum")).to_have_value(today)
    # The next utredning entry goes through as the page shows it (no "Ange datum").
    entry.get_by_label("Källa").fill("Samtal med nattpersonal")
    entry.get_by_label("Fakta", exact=True).check()
    entry.get_by_label("Uppgift").fill("Personalen var två i stället för tre.")
    entry.get_by_role("button", name="Spara uppgift").click()
    expect(page.get_by_text("Uppgiften är sparad")).to_be_visible()
    expect(page.get_by_text("Ange datum")).to_have_count(0)
