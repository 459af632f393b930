"""In a real browser: a fall in hemsjukvården is reported; the MAS transfers it to lex Maria,
assesses it, investigates, reports to IVO, informs the närstående and decides an åtgärd; the
patientsäkerhetsberättelse for the year shows the case in its figures."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, LexMariaArende
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_fall_in_hemsjukvarden_to_patientsakerhetsberattelse(app, org, live_server, page):
    base = live_server
    year = clock.today().year
    # 1. A medarbetare reports the fall as a health-care avvikelse.
    browser_login(page, base, org.med_a1.email)
    page.goto(f"{base}/avvikelser/ny")
    page.get_by_label("Kategori").select_option(label="Fall")
    page.get_by_label("Vad hände?").fill("Patienten föll vid förflyttning till rullstolen.")
    page.get_by_label("Vad gjordes direkt?").fill("Sjuksköterska tillkallades.")
    page.get_by_text("Fler uppgifter (frivilligt)").click()
    page.get_by_label("Vilken konsekvens fick det för den enskilde?").fill("Misstänkt höftfraktur.")
    page.get_by_label("Gäller hälso- och sjukvård (går till MAS)").check()
    page.get_by_role("button", name="Skicka avvikelsen").click()
    avv_ref = page.get_by_test_id("receipt-ref").inner_text()
    page.get_by_role("button", name="Logga ut").click()

    # 2. The MAS transfers it to lex Maria.
    browser_login(page, base, org.mas.email)
    page.goto(f"{base}/avvikelser/{avv_ref}")
    page.get_by_test_id("overfor-lexmaria").click()
    page.get_by_text(re.compile(r"Avvikelsen är överförd till lex Maria som LXM-")).wait_for()
    db.session.rollback()
    ref = db.session.scalars(select(LexMariaArende.ref)).one()

    # 3. The assessment: an allvarlig vårdskada.
    form = page.get_by_test_id("bedomning-form")
    form.get_by_label("Händelsen har medfört en allvarlig vårdskada").check()
    form.get_by_label("Motivering").fill("Fraktur efter fall där ordinerad hjälp inte gavs.")
    form.get_by_role("button", name="Spara bedömning och starta händelseanalys").click()
    page.get_by_text("händelseanalysen har startat").wait_for()

    # 4. The händelseanalys: what happened, the causes, the measures.
    for section in REQUIRED_SECTIONS:
        form = page.get_by_test_id("utredning-form")
        form.get_by_label("Avsnitt").select_option(section.value)
        form.get_by_label("Källa").fill("Samtal med undersköterskorna")
        form.get_by_label("Fakta", exact=True).check()
        form.get_by_label("Uppgift").fill(f"{section.label}: enligt genomgången.")
        form.get_by_role("button", name="Spara uppgift").click()
        page.get_by_text("Uppgiften är sparad i händelseanalysen.").wait_for()
    assert page.get_by_test_id("saknas").count() == 0

    # 5. The decision: report to IVO; then the anmälan, "snarast".
    form = page.get_by_test_id("beslut-form")
    form.get_by_label(re.compile("^Ja, händelsen har medfört")).check()
    form.get_by_label("Beslutsfattare").select_option(str(org.mas.id))
    form.get_by_label("Motivering").fill("Allvarlig vårdskada som hade kunnat undvikas.")
    form.get_by_role("button", name="Registrera beslut").click()
    page.get_by_test_id("snarast").wait_for()
    form = page.get_by_test_id("ivo-form")
    form.get_by_label("IVO:s e-tjänst").check()
    form.get_by_label("Utredningen bifogades anmälan").check()
    form.get_by_role("button", name="Registrera anmälan").click()
    page.get_by_text("Anmälan till IVO är registrerad.").wait_for()

    # 6. The närstående is informed (PSL 3 kap. 8 §).
    form = page.get_by_test_id("information-form")
    form.get_by_label("Närstående").check()
    form.get_by_label("Hur informationen gavs").select_option("telefon")
    for label in (
        "Vad som har hänt",
        "Vilka åtgärder som har vidtagits",
        "Möjligheten att klaga",
        "Att händelsen har anmälts till IVO",
    ):
        form.get_by_label(re.compile("^" + label)).check()
    form.get_by_role("button", name="Spara informationen").click()
    page.get_by_text("Informationen till patienten eller närstående är registrerad.").wait_for()
    assert "Närstående" in page.get_by_test_id("information").inner_text()

    # 7. An åtgärd follows, and the case is closed.
    page.get_by_text("Ny förbättringsåtgärd").click()
    form = page.get_by_test_id("atgard-form")
    form.get_by_label("Förbättringsåtgärd").fill("Arbetsplaner stäms av mot ordinationer")
    form.get_by_label("Klart senast").fill(f"{year + 1}-01-31")
    form.get_by_role("button", name="Skapa förbättringsåtgärd").click()
    page.get_by_text("Förbättringsåtgärden är skapad").wait_for()
    assert "Arbetsplaner stäms av" in page.get_by_test_id("atgarder").inner_text()
    page.get_by_test_id("avslut-form").get_by_role("button", name="Avsluta ärendet").click()
    page.get_by_text("Ärendet är avslutat.").first.wait_for()

    # 8. The patientsäkerhetsberättelse for the year shows the case in its figures.
    page.get_by_role("button", name="Uppföljning").click()
    page.get_by_role("link", name="Patientsäkerhetsberättelse").click()
    page.get_by_label("Vårdgivare (förvaltning)").select_option(label="Förvaltning")
    page.get_by_label("Kalenderår").select_option(str(year))
    page.get_by_role("button", name="Starta").click()
    page.get_by_text("Patientsäkerhetsberättelsen är startad").wait_for()
    doc = page.get_by_test_id("psb-dokument")
    table = doc.locator("table", has_text="Lex Maria-ärenden under året")
    row = table.locator("tr", has_text=ref)
    assert "Händelsen har medfört en allvarlig vårdskada" in row.inner_text()
    assert "(närstående)" in row.inner_text()
    figures = doc.locator("table", has=page.locator("caption", has_text=re.compile("^Lex Maria$")))
    assert re.search(r"Anmälda till IVO\s+1\s+0", figures.inner_text())
    page.get_by_role("button", name="Frys en version nu").click()
    page.get_by_text(re.compile(r"Version 1 är fryst")).wait_for()
    assert len(page.get_by_test_id("sha256").inner_text()) == 64
    assert ref in page.get_by_test_id("psb-dokument").inner_text()


def test_case_page_on_phone_is_keyboard_usable_and_fits(app, org, live_server, phone_page):
    from kvalitet.lexmaria import operations as ops
    from tests.lexmaria.helpers import fall_avvikelse

    case = ops.transfer_from_avvikelse(fall_avvikelse(org), org.mas)
    ops.assess(case, org.mas, "risk_allvarlig", "Hade kunnat leda till fraktur.")
    db.session.commit()
    browser_login(phone_page, live_server, org.mas.email)
    phone_page.goto(f"{live_server}/lexmaria/{case.ref}")
    form = phone_page.get_by_test_id("utredning-form")
    expect(form).to_be_visible()
    expect(phone_page.get_by_test_id("information-form")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    # Every field of the information form has a label (found by its label text).
    info = phone_page.get_by_test_id("information-form")
    for label in ("Datum då informationen gavs", "Hur informationen gavs", "Patienten"):
        assert info.get_by_label(label).count() == 1
    # Keyboard: fill and send an entry without the mouse.
    form.get_by_label("Källa").focus()
    phone_page.keyboard.type("Journalgranskning")
    form.get_by_label("Fakta", exact=True).focus()
    phone_page.keyboard.press("Space")
    form.get_by_label("Uppgift").focus()
    phone_page.keyboard.type("Patienten hittades på golvet.")
    form.get_by_role("button", name="Spara uppgift").focus()
    phone_page.keyboard.press("Enter")
    phone_page.get_by_text("Uppgiften är sparad i händelseanalysen.").wait_for()
