"""Browser: a chef creates an API key (shown once) and a kvalitetsutvecklare previews an
import with a bad row, on desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login


@pytest.mark.browser
def test_create_api_key_in_browser(live_server, org, phone_page):
    page = phone_page
    browser_login(page, live_server, org.chef_a1.email)
    page.goto(f"{live_server}/konto/api-nycklar")
    page.get_by_label("Namn på nyckeln").fill("Verksamhetssystemet")
    page.get_by_label("Giltig i").select_option("30")
    page.get_by_role("button", name="Skapa nyckel").click()
    token = page.get_by_label("API-nyckel").input_value()
    assert re.fullmatch(r"kv_[A-Za-z0-9_\-]{40,}", token)
    assert page.get_by_role("button", name=re.compile("Återkalla")).count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


@pytest.mark.browser
def test_import_preview_in_browser(live_server, org, page, tmp_path: Path):
    csv = tmp_path / "avvikelser.csv"
    csv.write_text("Enhet;Kategori;Beskrivning\nEnhet A1;Dokumentation;Anteckning saknas\n"
                   "Enhet X;Dokumentation;Fel adress\n", encoding="utf-8")  # fmt: skip
    browser_login(page, live_server, org.kvalitet.email)
    page.goto(f"{live_server}/import")
    page.get_by_label("Vad importeras").select_option("avvikelser")
    page.get_by_label("Fil (CSV eller Excel .xlsx)").set_input_files(str(csv))
    page.get_by_role("button", name="Läs in filen").click()
    page.get_by_role("button", name="Förhandsgranska").click()
    expect(page.get_by_text("Rad 3, kolumn ”Enhet”: Okänd enhet ”Enhet X”.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Importera 1 giltiga")).click()
    expect(page.get_by_text(re.compile("Inget importerades: rad 3"))).to_be_visible()
