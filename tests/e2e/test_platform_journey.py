"""First real-browser journey: log in, see the inbox, log out; and the phone layout."""

from datetime import date

import pytest
from playwright.sync_api import expect

from kvalitet.atgarder.models import Atgard
from kvalitet.extensions import db
from kvalitet.items.operations import new_item
from tests.conftest import browser_login

pytestmark = pytest.mark.browser


def test_login_inbox_logout(app, org, live_server, page):
    new_item(Atgard, org.chef_a1, title="Ny rutin för hembesök", unit_id=org.a1.id,
             owner_id=org.chef_a1.id, due_date=date(2030, 1, 15))  # fmt: skip
    db.session.commit()
    browser_login(page, live_server, org.chef_a1.email)
    expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()
    expect(page.get_by_text("Ny rutin för hembesök")).to_be_visible()
    page.get_by_role("link", name="ATG-").first.click()
    expect(page.get_by_role("heading", name="Ny rutin för hembesök")).to_be_visible()
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_text("Du är utloggad")).to_be_visible()
    page.goto(f"{live_server}/")
    assert "/logga-in" in page.url


def test_wrong_password_message_in_browser(app, org, live_server, page):
    page.goto(f"{live_server}/logga-in")
    page.get_by_label("E-postadress").fill(org.chef_a1.email)
    page.get_by_label("Lösenord").fill("fel-losenord")
    page.get_by_role("button", name="Logga in").click()
    assert page.get_by_role("alert").inner_text().startswith("Fel e-postadress eller lösenord")


def test_keyboard_login_on_phone(app, org, live_server, phone_page):
    page = phone_page
    page.goto(f"{live_server}/logga-in")
    page.keyboard.press("Tab")  # skip link first
    page.keyboard.press("Tab")  # brand
    page.get_by_label("E-postadress").focus()
    page.keyboard.type(org.med_a1.email)
    page.keyboard.press("Tab")
    page.keyboard.type("test-losen-123")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    # The menu collapses behind a toggle on a phone and opens with it.
    toggle = page.get_by_role("button", name="Visa menyn")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(page.get_by_role("link", name="Mina ärenden").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "page is wider than the phone screen"
