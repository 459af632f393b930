"""Synpunkter in a real browser: a citizen submits through the public e-tjänst, the
registrator finds it and sends it on, the chef answers, and the statistics count it. The
public pages are checked with axe-core (WCAG 2.1 AA)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.synpunkter.models import Synpunkt
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.0/2.1 A/AA violations reported by axe-core."""
    # The app's Content-Security-Policy forbids inline scripts, so axe is loaded through the
    # DevTools protocol (not subject to the page's CSP) instead of a <script> tag.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Runtime.evaluate", {"expression": AXE})
    cdp.detach()
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_citizen_to_registrator_to_chef_to_statistics(app, org, live_server, page):
    # 1. An anonymous citizen, no login.
    page.goto(f"{live_server}/synpunkter/lamna")
    assert axe_violations(page) == []
    page.get_by_label("Klagomål").check()
    page.get_by_label("Vilken verksamhet gäller det?").select_option(label="Enhet A1")
    page.get_by_label("Vem är du?").select_option(label="Närstående")
    page.get_by_label("Berätta vad det gäller").fill("Ingen ringde tillbaka trots löfte.")
    page.get_by_label("E-post, telefon eller adress (frivilligt)").fill("anna@example.se")
    page.get_by_role("button", name="Skicka").click()
    expect(page.get_by_role("heading", name="Tack! Vi har tagit emot det du skrev")).to_be_visible()
    number = page.get_by_test_id("diarienummer").inner_text()
    assert number.startswith("SN ")
    assert axe_violations(page) == []

    # 2. The registrator finds it in Mina ärenden and sends it to the unit.
    browser_login(page, live_server, org.registrator.email)
    item = db.session.scalar(select(Synpunkt))
    page.get_by_role("link", name=item.ref).click()
    expect(page.get_by_text(number).first).to_be_visible()
    page.get_by_role("button", name="Registrera och skicka till enheten").click()
    expect(page.get_by_text("Skickad till Enhet A1")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()

    # 3. The chef answers.
    browser_login(page, live_server, org.chef_a1.email)
    page.get_by_role("link", name=item.ref).click()
    page.get_by_label("Svaret", exact=True).fill("Vi har gått igenom rutinen för återkoppling.")
    page.get_by_label("Hur skickades svaret?").select_option(label="Via e-tjänsten")
    page.get_by_role("button", name="Registrera svaret").click()
    expect(page.get_by_text("Svaret är registrerat")).to_be_visible()
    expect(page.get_by_text("Besvarad", exact=True).first).to_be_visible()

    # 4. The statistics count it.
    page.goto(f"{live_server}/synpunkter/statistik")
    assert page.get_by_test_id("total").inner_text() == "1"
    assert page.get_by_test_id("answered").inner_text() == "1"


def test_public_page_on_a_phone_with_errors_is_accessible(app, org, live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server}/synpunkter/lamna")
    page.get_by_role("button", name="Skicka").click()
    # The error summary gets focus and links to the field.
    expect(page.get_by_role("alert")).to_be_visible()
    expect(
        page.get_by_role("link", name="Berätta vad det gäller: Skriv vad du vill berätta.")
    ).to_be_visible()
    assert axe_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the public page is wider than the phone screen"
