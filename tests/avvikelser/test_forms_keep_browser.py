"""The avvikelse case page in a real browser: a refused form keeps what was typed, the other
forms keep the item's values, and the next try goes through (issue 19 point 4)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kvalitet.avvikelser.operations import analyse_avvikelse
from kvalitet.extensions import db
from tests.avvikelser.helpers import report
from tests.conftest import browser_login


@pytest.mark.browser
def test_refused_atgard_keeps_input_and_analysis_in_browser(app, org, live_server, page):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, org.a1, description="Schemat uppdaterades inte efter semestern.")
    analyse_avvikelse(org.chef_a1, item, analysis="Rutinen för schemaändring följdes inte.",
                      causes=["rutin_ej_foljd"], consequence=2, likelihood=3)  # fmt: skip
    db.session.commit()
    browser_login(page, live_server, org.chef_a1.email)
    page.goto(f"{live_server}/avvikelser/{item.ref}")
    expect(page.get_by_test_id("investigator")).to_have_text("Ingen ännu")
    expect(page.get_by_label("Välj utredare")).to_be_visible()
    page.get_by_text("Skapa förbättringsåtgärd", exact=True).click()
    page.get_by_label("Varför behövs åtgärden?").fill("Så att schemat alltid uppdateras")
    page.get_by_label("Klart senast").fill("2027-01-15")
    page.get_by_role("button", name="Skapa åtgärd").click()
    # Refused (no "Vad ska göras?"): the message at the field, the input kept.
    expect(page.get_by_test_id("sidfel")).to_be_visible()
    expect(page.get_by_text("Ange vad som ska göras.")).to_be_visible()
    expect(page.get_by_label("Varför behövs åtgärden?")).to_have_value(
        "Så att schemat alltid uppdateras"
    )
    expect(page.get_by_label("Klart senast")).to_have_value("2027-01-15")
    # The other forms show the item's values.
    expect(page.get_by_label("Analys: varför hände det?")).to_have_value(
        "Rutinen för schemaändring följdes inte."
    )
    expect(page.get_by_label("Konsekvens (1–4)")).to_have_value("2")
    expect(page.get_by_label("Rutin ej följd")).to_be_checked()
    # The next try, as the page shows it, goes through.
    page.get_by_label("Vad ska göras?").fill("Inför en checklista för schemaändringar")
    page.get_by_role("button", name="Skapa åtgärd").click()
    created = re.compile(r"Förbättringsåtgärd ATG-\d{4}-\d{4} är skapad och kopplad")
    expect(page.get_by_text(created)).to_be_visible()
    expect(page.get_by_text("Inför en checklista för schemaändringar").first).to_be_visible()
