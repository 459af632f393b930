"""The chef of a unit opens the årshjul on a phone, opens this month's task, marks it done and
sees it green in the year view; then subscribes to the calendar."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kvalitet.arshjul.operations import create_activity, generate_occurrences, make_rule
from kvalitet.core import clock
from kvalitet.core.roles import Role
from tests.conftest import browser_login


@pytest.mark.browser
def test_chef_marks_task_done_from_year_view_on_phone(org, live_server, phone_page):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 3, 25, 10, 0))
    create_activity(
        org.kvalitet, title="Sammanställning och analys av avvikelser", description="Till APT.",
        rule=make_rule("quarterly", date(2026, 1, 1), day=31, month=3),
        responsible_role=Role.ENHETSCHEF, units=[org.avd_a], scope_kind="enhet", lead_days=30,
    )  # fmt: skip
    generate_occurrences()
    phone = phone_page
    browser_login(phone, live_server, org.chef_a1.email)
    phone.goto(f"{live_server}/arshjul/")
    march = phone.locator("section", has=phone.get_by_role("heading", name="Mars 2026"))
    march.get_by_text("Planerad").wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal scrolling on the phone ({width}px)"
    march.get_by_role("link", name="Sammanställning och analys av avvikelser").click()
    phone.locator("[data-step=genomford]").click()
    phone.get_by_text("Genomförd").first.wait_for()
    phone.get_by_role("link", name="Visa i årshjulet").click()
    march = phone.locator("section", has=phone.get_by_role("heading", name="Mars 2026"))
    march.get_by_text("1/1 genomförda").wait_for()
    # Calendar subscription.
    phone.goto(f"{live_server}/notiser/installningar")
    phone.get_by_role("button", name="Skapa kalenderadress").click()
    feed = phone.get_by_label("Din kalenderadress").input_value()
    assert "/kalender/" in feed and feed.endswith(".ics")
