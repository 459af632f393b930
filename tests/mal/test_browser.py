"""The whole journey in a real browser: the kvalitetsutvecklare builds a plan with a goal and
an indikator; the responsible chef gets the task in Mina ärenden, enters utfall for T2 per
sex, writes the assessment and links an åtgärd; the board shows it reported; the T2 report
comes out as Word and PDF, and its pages are rendered to images that a person can look at."""

from __future__ import annotations

import io
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import expect
from pypdf import PdfReader

from kvalitet.core import clock
from tests.conftest import ARTIFACTS, browser_login


@pytest.mark.browser
def test_plan_to_report_journey(
    org: Any, live_server: str, page: Any, browser: Any, tmp_path: Path
) -> None:
    clock.freeze(datetime(2026, 9, 2, 9, 0))
    base = live_server
    page.set_default_timeout(45000)  # the machine is shared: PDF rendering may be slow
    # 1. The kvalitetsutvecklare builds the plan.
    browser_login(page, base, org.kvalitet.email)
    page.goto(f"{base}/mal/")
    page.get_by_role("link", name="Ny verksamhetsplan").click()
    page.get_by_label("Planens namn").fill("Verksamhetsplan 2026")
    page.get_by_role("button", name="Spara").click()
    page.get_by_role("link", name="Nytt nämndmål").click()
    page.get_by_label("Mål (kort namn)").fill("Socialtjänsten är tillgänglig")
    page.get_by_label("Tillgänglighet").check()
    page.get_by_role("button", name="Spara").click()
    page.get_by_role("link", name="Ny indikator under 1").click()
    page.get_by_label("Indikator: vad mäts").fill("Andel nöjda med bemötandet")
    page.get_by_label("Mätmetod").select_option("brukarundersokning")
    page.get_by_label("Målvärde (lägsta värde vid intervall)").fill("80")
    page.get_by_role("button", name="Spara").click()
    # A målvärde without a direction: a Swedish message at the field, nothing saved.
    assert page.locator("#direction-fel").inner_text().startswith("Ange riktning för målvärdet")
    page.get_by_label("Riktning").select_option("hogre")
    page.get_by_label("T1 (jan–apr)").uncheck()
    page.get_by_label("Ansvarig för mätningen").select_option(str(org.chef_a1.id))
    page.get_by_label("Redovisas per kön").check()
    page.get_by_role("button", name="Spara").click()
    page.get_by_text("Indikatorn 1.1 är tillagd.").wait_for()
    page.get_by_role("link", name="Uppföljningstavla").click()
    page.get_by_role("link", name="T2").click()
    assert page.locator("#antal-saknas").inner_text() == "1"
    page.get_by_role("button", name="Skapa uppgifter för de ansvariga nu").click()
    page.get_by_text("1 uppföljningsuppgifter skapades.").wait_for()

    # 2. The responsible chef finds the task in Mina ärenden and reports T2 per sex.
    chef_context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    chef = chef_context.new_page()
    chef.set_default_timeout(45000)
    browser_login(chef, base, org.chef_a1.email)
    row = chef.get_by_role("row").filter(has_text="Måluppföljning T2 2026: Verksamhetsplan 2026")
    row.get_by_role("link").first.click()
    chef.get_by_role("link", name="Rapportera utfall 1.1").click()
    chef.get_by_label("Värde", exact=True).fill("hög")
    chef.get_by_role("button", name="Spara utfallet").click()
    assert "Ange ett tal" in chef.locator("#value-fel").inner_text()
    chef.get_by_label("Värde", exact=True).fill("76,5")
    chef.get_by_label("Kvinnor", exact=True).fill("81")
    chef.get_by_label("Män", exact=True).fill("70")
    chef.get_by_label("Antal kvinnor (personer bakom värdet)").fill("41")
    chef.get_by_label("Antal män (personer bakom värdet)").fill("33")
    chef.get_by_label("Kommentar och analys").fill("Brukarenkäten i maj, 74 svar.")
    chef.get_by_role("button", name="Spara utfallet").click()
    chef.get_by_text("Utfallet för T2 2026 är sparat.").wait_for()
    expect(chef.get_by_text("Rapporterad", exact=True).first).to_be_visible()
    # 3. The assessment with an åtgärd.
    chef.get_by_role("link", name="1 Socialtjänsten är tillgänglig").click()
    expect(chef.get_by_text("Målet är inte uppnått").first).to_be_visible()  # the rule's proposal
    chef.get_by_label("◐ Målet är delvis uppnått").check()
    chef.get_by_label("Orsak (siffrorna, vad som hänt)").fill(
        "Männen är mindre nöjda än kvinnorna."
    )
    chef.get_by_label("Analys").fill("Väntetiden i telefon påverkar männens svar mest.")
    chef.get_by_role("button", name="Bekräfta bedömningen").click()
    chef.get_by_text("Bedömningen är sparad.").wait_for()
    chef.get_by_role("link", name="Ändra bedömningen 1").click()
    chef.get_by_label("Ny förbättringsåtgärd: vad ska göras").fill("Återuppringning i mottagningen")
    chef.get_by_label("Klart senast").fill("2026-11-30")
    chef.get_by_role("button", name="Skapa och koppla åtgärden").click()
    chef.get_by_text("är skapad och kopplad till målet").wait_for()
    expect(chef.get_by_role("link", name="ATG-2026-0001")).to_be_visible()
    chef_context.close()

    # 4. The board shows it reported; the report as Word and PDF.
    page.reload()
    assert page.locator("#antal-rapporterade").inner_text() == "1"
    expect(page.get_by_text("Målet är delvis uppnått").first).to_be_visible()
    page.get_by_role("link", name="Verksamhetsplan 2026").first.click()
    page.get_by_role("link", name="Rapport", exact=True).click()
    page.get_by_role("heading", name="Delårsrapport 2026 (tertial 2)").wait_for()
    with page.expect_download(timeout=90000) as info:
        page.get_by_role("link", name="Hämta som Word").click()
    word = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = [[c.text for c in r.cells] for t in word.tables for r in t.rows]
    assert ["Nr", "Mål", "Indikator", "Målvärde", "Resultat", "Bedömning", "Ansvarig"] in rows
    assert any("T2: 76,5 % (kvinnor 81 %, män 70 %)" in cell for r in rows for cell in r)
    with page.expect_download(timeout=90000) as info:
        page.get_by_role("link", name="Hämta som PDF").click()
    pdf = Path(info.value.path()).read_bytes()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Återuppringning i mottagningen" in text and "◐ Målet är delvis uppnått" in text
    pdf_path = tmp_path / "t2.pdf"
    pdf_path.write_bytes(pdf)
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "4",
            str(pdf_path),
            str(ARTIFACTS / "mal-t2-rapport"),
        ],
        check=True,
    )
    page.goto(f"file://{sorted(ARTIFACTS.glob('mal-t2-rapport-*.png'))[-1]}")
    clock.freeze(None)
