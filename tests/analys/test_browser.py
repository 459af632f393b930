"""The enhetschef opens the quarter's analysis task, reads the flags, records a conclusion and
creates an åtgärd from it; the kvalitetsberättelse shows the conclusion (real Chromium, real
HTTP)."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kvalitet.core import clock
from kvalitet.rapport import operations as rapport_ops
from tests.analys.helpers import monthly_avvikelser
from tests.analys.test_task import quarter_tasks
from tests.conftest import browser_login

SCREENSHOTS = Path(os.environ.get("KVALITET_SCREENSHOTS", "/tmp/kvalitet-screenshots"))


@pytest.mark.browser
def test_enhetschef_analyses_the_quarter_and_the_report_shows_it(
    app, org, live_server, page, browser
):
    quarter_tasks(org)
    clock.freeze(clock.local_midnight_utc(date(2026, 3, 2)))
    # Enhet A1: three avvikelser a month, then twelve in February (nine on documentation).
    monthly_avvikelser(org.med_a1, org.a1, date(2025, 2, 1), [3] * 12, category="Bemötande")
    monthly_avvikelser(org.med_a1, org.a1, date(2026, 2, 1), [9])
    monthly_avvikelser(org.med_a1, org.a1, date(2026, 2, 1), [3], category="Bemötande")
    report = rapport_ops.start_report(org.kvalitet, org.forv, 2025)
    browser_login(page, live_server, org.chef_a1.email)

    # The task is in Mina ärenden.
    task = page.get_by_role("row", name=re.compile("Sammanställning och analys december 2025"))
    task.get_by_role("link").click()
    expect(
        page.get_by_role("heading", name=re.compile("Sammanställning och analys"))
    ).to_be_visible()
    flags = page.locator("#flaggor")
    expect(flags).to_contain_text("Enhet A1: 12 avvikelser i februari 2026, normalt")
    expect(flags).to_contain_text("dokumentation 9 av dem")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "analys.png"), full_page=True)

    page.get_by_label("Slutsats", exact=True).fill(
        "Dokumentationen efter hembesök brister i februari."
    )
    page.get_by_label("Besluta en förbättringsåtgärd utifrån slutsatsen").check()
    page.get_by_label("Åtgärd (vad ska göras)").fill("Genomgång av dokumentationsrutinen på APT")
    page.get_by_label("Klart senast").fill("2026-04-30")
    page.get_by_role("button", name="Spara slutsatsen").click()
    expect(
        page.get_by_text(re.compile(r"Förbättringsåtgärd ATG-\d{4}-\d+ är skapad"))
    ).to_be_visible()
    conclusions = page.locator("#slutsatser")
    expect(conclusions).to_contain_text("Dokumentationen efter hembesök brister i februari.")
    expect(conclusions).to_contain_text("Genomgång av dokumentationsrutinen på APT")
    # The åtgärd opens from the analysis.
    conclusions.get_by_role("link", name=re.compile(r"ATG-")).click()
    expect(page.get_by_text("Genomgång av dokumentationsrutinen på APT").first).to_be_visible()

    # The kvalitetsutvecklare's draft of the kvalitetsberättelse shows the conclusion.
    context = browser.new_context(locale="sv-SE")
    other = context.new_page()
    try:
        browser_login(other, live_server, org.kvalitet.email)
        other.goto(f"{live_server}/kvalitetsberattelse/{report.id}")
        # In the avdelning's "Analys och slutsatser" and in the chapter "Samlad analys".
        shown = other.get_by_text(re.compile("Dokumentationen efter hembesök brister i februari"))
        expect(shown).to_have_count(2)
        expect(shown.first).to_be_visible()
        expect(
            other.get_by_text("Slutsatser från årets sammanställningar och analyser")
        ).to_be_visible()
    finally:
        context.close()
