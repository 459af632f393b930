"""The whole lex Sarah chain in a real browser: a medarbetare reports; SAS assesses,
investigates, decides allvarligt and files with IVO; the chefs confirm spreading; SAS closes.
Also the phone layout of the case page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Logga ut").click()


@pytest.mark.long
def test_whole_chain_in_browser(app, org, live_server, page):
    base = live_server
    # 1. The medarbetare reports.
    browser_login(page, base, org.med_a1.email)
    page.get_by_role("button", name="Rapportera").click()
    page.get_by_role("link", name="Lex Sarah (missförhållande)").click()
    page.get_by_label("Kort rubrik").fill("Utebliven tillsyn under natten")
    page.get_by_label("Vad har hänt?").fill("Tillsynen kl. 02 gjordes inte enligt planen.")
    page.get_by_label("Konsekvenser eller risk för den enskilde").fill("Den enskilde föll.")
    page.get_by_label("Omedelbara åtgärder som vidtagits").fill("Extra tillsyn infördes direkt.")
    page.get_by_label("När vidtogs åtgärderna?").fill("2025-01-10T08:00")
    page.get_by_role("button", name="Skicka rapporten till SAS").click()
    expect(
        page.get_by_text(re.compile(r"Din rapport har tagits emot med nummer LXS-"))
    ).to_be_visible()
    db.session.rollback()
    ref = db.session.scalars(select(LexSarahArende.ref)).one()
    page.goto(f"{base}/lexsarah/{ref}")
    expect(page.get_by_text("Sidan eller ärendet finns inte")).to_be_visible()
    page.goto(f"{base}/")
    _logout(page)

    # 2. SAS assesses from the board.
    browser_login(page, base, org.sas.email)
    page.goto(f"{base}/lexsarah/")
    page.get_by_role("link", name=ref).click()
    assert page.get_by_test_id("rapportor").inner_text().startswith(org.med_a1.name)
    form = page.get_by_test_id("bedomning-form")
    form.get_by_label("Missförhållande", exact=True).check()
    form.get_by_label("Motivering").fill("Tillsyn enligt beslut uteblev.")
    form.get_by_role("button", name="Spara bedömning och starta utredning").click()
    expect(page.get_by_text("Utredningen har startat", exact=False)).to_be_visible()

    # 3. The utredning, one entry for each required point.
    for section in REQUIRED_SECTIONS:
        form = page.get_by_test_id("utredning-form")
        form.get_by_label("Avsnitt").select_option(section.value)
        form.get_by_label("Källa").fill("Samtal med nattpersonal")
        form.get_by_label("Fakta", exact=True).check()
        form.get_by_label("Uppgift").fill(f"Uppgifter: {section.label}.")
        form.get_by_role("button", name="Spara uppgift").click()
        expect(page.get_by_text("Uppgiften är sparad")).to_be_visible()
    expect(page.get_by_test_id("saknas")).not_to_be_visible()

    # 4. Beslut: allvarligt missförhållande.
    form = page.get_by_test_id("beslut-form")
    form.get_by_label("Missförhållande", exact=True).check()
    form.get_by_label("Missförhållandet (eller risken) är allvarligt").check()
    form.get_by_label("Beslutsfattare").select_option(label=org.avdchef_a.display)
    form.get_by_label("Motivering").fill("Allvarlig brist i tillsynen.")
    form.get_by_role("button", name="Registrera beslut").click()
    expect(page.get_by_text("ska anmälas till IVO snarast")).to_be_visible()

    # 5. Anmälan till IVO via the e-tjänst, investigation not attached.
    form = page.get_by_test_id("ivo-form")
    form.get_by_label("IVO-region").select_option("IVO Region Öst")
    form.get_by_label("IVO:s e-tjänst").check()
    form.get_by_role("button", name="Registrera anmälan").click()
    expect(page.get_by_test_id("ivo-senast")).to_be_visible()
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = 'ivo.pdf';"
            " document.body.appendChild(a); a.click(); }",
            f"{base}/lexsarah/{ref}/ivo-sammanstallning.pdf",
        )
    assert download_info.value.path().read_bytes().startswith(b"%PDF")

    # 6. Spreading to the two enheter of the avdelning.
    form = page.get_by_test_id("spridning-form")
    form.get_by_label("Avdelningens ledningsgrupp gick igenom beslutet").fill("2025-01-15")
    form.get_by_label("Lärdomar och åtgärder att sprida").fill("Se över nattens tillsynsrutin.")
    # The unit picker: search, then "Välj alla" ticks the boxes shown.
    picker = form.get_by_role("group", name="Enheter där samma risk finns")
    picker.get_by_label("Sök i listan").fill("enhet a")
    expect(picker.get_by_label("Enhet B1")).to_be_hidden()
    picker.get_by_role("button", name="Välj alla som visas").click()
    expect(picker.get_by_text("2 valda")).to_be_visible()
    form.get_by_role("button", name="Spara spridning").click()
    expect(page.get_by_text("Spridningen är sparad")).to_be_visible()
    _logout(page)

    # 7. Each unit's chef confirms.
    for chef, unit in ((org.chef_a1, org.a1), (org.chef_a2, org.a2)):
        browser_login(page, base, chef.email)
        page.get_by_role("button", name="Ärenden").click()
        page.get_by_role("link", name="Spridning lex Sarah").first.click()
        expect(page.get_by_text("Se över nattens tillsynsrutin.")).to_be_visible()
        page.get_by_test_id(f"bekrafta-{unit.id}").click()
        expect(page.get_by_text("Bekräftelsen för")).to_be_visible()
        _logout(page)

    # 8. SAS records that the investigation reached IVO and closes.
    browser_login(page, base, org.sas.email)
    page.goto(f"{base}/lexsarah/{ref}")
    table = page.get_by_test_id("spridning")
    assert org.chef_a1.name in table.inner_text() and org.chef_a2.name in table.inner_text()
    page.get_by_role("button", name="Spara", exact=True).click()
    page.get_by_test_id("avslut-form").get_by_role("button", name="Avsluta ärendet").click()
    expect(page.get_by_text("Ärendet är avslutat.")).to_be_visible()
    page.goto(f"{base}/lexsarah/{ref}/lasloggen")
    expect(page.get_by_test_id("lasloggen").get_by_text(org.sas.name).first).to_be_visible()
    db.session.rollback()
    case = db.session.scalars(select(LexSarahArende)).one()
    assert case.status == "avslutad" and case.allvarligt and case.ivo_channel == "etjanst"


def test_case_page_on_phone(app, org, live_server, phone_page):
    from tests.lexsarah.helpers import make_case

    case = make_case(org)
    browser_login(phone_page, live_server, org.sas.email)
    phone_page.goto(f"{live_server}/lexsarah/{case.ref}")
    expect(phone_page.get_by_test_id("bedomning-form")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
