"""Browser journey of the kvalitetsberättelse: the chef finds the text in Mina ärenden and
writes it, the kvalitetsutvecklare sees it in the draft and freezes a version, the nämnd's
läsare opens the frozen version (desktop and phone width)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from kvalitet.extensions import db
from kvalitet.rapport import operations as ops
from tests.conftest import browser_login
from tests.rapport.helpers import YEAR, area_names, dataset

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("KVALITET_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_write_freeze_and_read(app, org, live_server, page, phone_page, browser):
    dataset(org)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    db.session.commit()  # the live server's requests are other connections

    # The avdelningschef's texts are tasks in Mina ärenden.
    browser_login(page, live_server, org.avdchef_a.email)
    # One "Identifierade förbättringsområden" per quality area of the avdelning.
    first_area = area_names()[0]
    page.get_by_role(
        "row", name=f"Identifierade förbättringsområden, {first_area}, Avdelning A"
    ).get_by_role("link").click()
    page.get_by_label("Text").fill(
        "Dokumentationen behöver bli bättre.\n\nIntroduktionen fungerar."
    )
    page.get_by_role("button", name="Spara text").click()
    page.get_by_text("Texten är sparad.").wait_for()
    shot(page, "rapport-text")
    page.get_by_role("button", name="Markera som klar").click()
    page.get_by_text("Klar", exact=True).first.wait_for()
    page.context.clear_cookies()

    browser_login(page, live_server, org.kvalitet.email)
    page.goto(f"{live_server}/kvalitetsberattelse/")
    page.get_by_role("link", name="2025/26").click()
    page.get_by_role("heading", name="3 Avdelning A").wait_for()
    expect(page.get_by_text("Dokumentationen behöver bli bättre.")).to_be_visible()
    # The action tables hold the text as written (no reference number by default).
    assert page.get_by_role("rowheader", name="Utbildning i sekretess", exact=True).count() >= 1
    shot(page, "rapport-utkast")
    page.get_by_label("Kommentar till versionen").fill("Till nämnden")
    page.get_by_role("button", name="Frys en version nu").click()
    # Texts are missing: freezing asks for a confirmation and the reason.
    page.get_by_role("heading", name="Innan du fryser: det här saknas").wait_for()
    page.get_by_label("Jag vill frysa versionen trots det som saknas").check()
    page.get_by_label("Skäl till att frysa ändå").fill("Nämnden behöver underlaget nu")
    page.get_by_role("button", name="Frys ändå").click()
    page.get_by_text("Innehållet stämmer").wait_for()
    version_url = page.url
    page.context.clear_cookies()

    # The läsare, on a phone: the frozen version, readable at 390 px.
    browser_login(phone_page, live_server, org.lasare.email)
    phone_page.goto(f"{live_server}/kvalitetsberattelse/{rapport.id}")
    assert phone_page.url == version_url
    phone_page.get_by_role("heading", name="3 Avdelning A").wait_for()
    assert phone_page.get_by_text("Årets bedömning").count() == 2
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
    shot(phone_page, "rapport-version-mobil")
    # The Word file is made in the background, then offered.
    phone_page.get_by_role("button", name="Skapa Word-filen").click()
    link = phone_page.get_by_role("link", name="Hämta Word-filen")
    link.wait_for(state="visible", timeout=180000)
    with phone_page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename.endswith(".docx")
