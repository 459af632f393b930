"""Browser: a chef performs an egenkontroll on a phone; the kvalitetsutvecklare reads the plan
and the statistics on a desktop."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus
from kvalitet.extensions import db
from tests.conftest import browser_login
from tests.egenkontroll.helpers import make_plan

pytestmark = pytest.mark.browser


def test_chef_performs_on_phone_and_turns_a_finding_into_an_action(
    app, org, live_server, phone_page
):
    clock.freeze(datetime(2026, 1, 16, 9, 0))
    make_plan(org, units=[org.a1], adopt_on=date(2026, 1, 10))
    item = db.session.scalar(select(Egenkontroll))
    page = phone_page
    browser_login(page, live_server, org.chef_a1.email)
    page.goto(f"{live_server}/egenkontroll/")
    page.get_by_role("link", name=item.ref).click()
    page.get_by_label("Antal granskade ärenden").fill("2")
    page.get_by_role("button", name="Spara utkast").click()
    page.wait_for_url(f"{live_server}/egenkontroll/{item.ref}")
    for case in (1, 2):
        group = page.locator("fieldset", has_text=f"Ärende {case}")
        radios = group.get_by_label("Ja", exact=True)
        for n in range(radios.count()):
            radios.nth(n).check()
    # one "nej" for the first question of case 2
    page.locator("fieldset", has_text="Ärende 2").get_by_label("Nej", exact=True).first.check()
    page.get_by_label("Sammanfattning").fill("En åtkomst saknade dokumenterat skäl.")
    page.screenshot(path="/tmp/egk_perform_phone.png", full_page=True)
    page.get_by_role("button", name="Slutför egenkontrollen").click()
    page.wait_for_url(f"{live_server}/egenkontroll/{item.ref}")
    expect(page.get_by_text("Egenkontrollen är genomförd.")).to_be_visible()
    expect(page.get_by_role("cell", name="1/2")).to_be_visible()
    page.get_by_label("Nytt fynd").fill("Åtkomst utan dokumenterat skäl")
    page.get_by_role("button", name="Lägg till fynd").click()
    page.get_by_role("button", name="Skapa förbättringsåtgärd").click()
    page.wait_for_url(f"{live_server}/atgarder/**")
    db.session.rollback()  # end the test's read transaction to see the server's writes
    assert item.status == EgkStatus.GENOMFORD
    assert item.fynd[0].result_item is not None
    assert item.fynd[0].result_item.ref in page.url


def test_plan_and_statistics_on_desktop(app, org, live_server, page):
    clock.freeze(datetime(2026, 1, 16, 9, 0))
    plan, _ = make_plan(org, adopt_on=date(2026, 1, 10))
    browser_login(page, live_server, org.kvalitet.email)
    page.goto(f"{live_server}/egenkontroll/planer/{plan.id}")
    expect(page.get_by_text("Varje månad den 15:e")).to_be_visible()
    page.screenshot(path="/tmp/egk_plan_desktop.png", full_page=True)
    page.goto(f"{live_server}/egenkontroll/planer/{plan.id}")
    page.get_by_role("link", name="Ny kontroll").click()
    page.screenshot(path="/tmp/egk_kontroll_form.png", full_page=True)
    page.goto(f"{live_server}/egenkontroll/statistik?ar=2025/26")
    expect(page.get_by_role("heading", name="Egenkontroller – statistik")).to_be_visible()
    page.goto(f"{live_server}/egenkontroll/")
    page.screenshot(path="/tmp/egk_list_desktop.png", full_page=True)
