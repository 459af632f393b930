"""The Done-when journey: a medarbetare reports on a phone; the chef takes it over, analyses,
creates an action, the action is done, the chef closes; the timeline shows every step."""

from __future__ import annotations

import re

import pytest

from tests.conftest import browser_login


@pytest.mark.browser
def test_report_on_phone_then_chef_handles_and_closes(org, live_server, phone_page, page):  # type: ignore[no-untyped-def]
    # Medarbetare reports from a phone-sized window.
    phone = phone_page
    browser_login(phone, live_server, org.med_a1.email)
    phone.goto(f"{live_server}/avvikelser/ny")
    assert phone.get_by_label("Enhet").input_value() == str(org.a1.id)
    phone.get_by_label("Kategori").select_option(label="Dokumentation")
    phone.get_by_label("Vad hände?").fill("Journalanteckning gjordes inte efter hembesök.")
    phone.get_by_label("Vad gjordes direkt?").fill("Anteckningen skrevs dagen efter.")
    phone.get_by_role("button", name="Skicka avvikelsen").click()
    ref = phone.get_by_test_id("receipt-ref").inner_text()
    assert re.fullmatch(r"AVV-\d{4}-\d{4}", ref)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal scrolling on the phone ({width}px)"

    # The chef sees it in Mina ärenden and takes it over.
    browser_login(page, live_server, org.chef_a1.email)
    page.get_by_role("link", name=ref).click()
    page.get_by_role("button", name="Sätt utredare").click()
    page.get_by_text("Utredare är satt.").wait_for()

    # Closing before the analysis is refused with the reason.
    page.locator("[data-step=avsluta]").click()
    page.get_by_text("analysen (orsaker) är inte skriven").first.wait_for()

    # Analysis with causes and severity.
    page.get_by_label("Kompetens").check()
    page.get_by_label("Analys: varför hände det?").fill("Ny medarbetare kände inte till rutinen.")
    page.get_by_label("Konsekvens (1–4)").select_option("2")
    page.get_by_label("Sannolikhet att det händer igen (1–4)").select_option("3")
    page.get_by_role("button", name="Spara analys").click()
    page.get_by_text("Analysen är sparad.").wait_for()
    assert "Allvarlighet: 6" in page.content()

    # A linked action, straight from the deviation.
    page.get_by_text("Skapa förbättringsåtgärd").click()
    page.get_by_label("Vad ska göras?").fill("Introduktion i dokumentationsrutinen")
    page.get_by_label("Klart senast").fill("2030-12-31")
    page.get_by_role("button", name="Skapa åtgärd").click()
    message = page.get_by_text(re.compile(r"Förbättringsåtgärd ATG-\d{4}-\d{4} är skapad"))
    action_ref = re.search(r"ATG-\d{4}-\d{4}", message.inner_text()).group(0)  # type: ignore[union-attr]

    # With the action open, closing is refused and names the action.
    page.locator("[data-step=avsluta]").click()
    page.get_by_text(f"förbättringsåtgärd {action_ref} är inte genomförd").first.wait_for()

    # The action is carried out.
    page.get_by_role("link", name=action_ref).first.click()
    page.get_by_label("Vad har gjorts?").fill("Genomgång på APT 2026-11-20.")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.locator("[data-step=paborja]").click()
    page.locator("[data-step=genomford]").click()
    page.get_by_text(f"{action_ref}: Genomförd.").wait_for()

    # Back to the deviation: close it.
    page.goto(f"{live_server}/avvikelser/{ref}")
    page.locator("[data-step=avsluta]").click()
    page.get_by_text(f"{ref}: Avslutad.").wait_for()
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in ("skapades", "Tog över utredningen", "Påbörja utredning", "Skrev analys",
                 f"Skapade förbättringsåtgärd {action_ref}", "Avsluta"):  # fmt: skip
        assert step in timeline, step

    # The reporter sees the outcome on the phone.
    phone.goto(f"{live_server}/avvikelser/{ref}")
    assert "Avslutad" in phone.content()
    assert "Ny medarbetare kände inte till rutinen." in phone.content()
