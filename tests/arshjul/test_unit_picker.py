"""The unit picker (templates/macros.html unit_picker): a fieldset with a legend, a labelled
checkbox per unit, the search tools (shown by static/js/unit-picker.js), and the ticked boxes
kept when the form is refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kvalitet.mal import operations as mal
from tests.a11y.test_axe_every_page import violations
from tests.conftest import ARTIFACTS, browser_login


def test_picker_is_a_labelled_fieldset_and_keeps_the_ticks(app, org, login_as):
    kv = login_as(org.kvalitet)
    page = kv.get("/arshjul/aktiviteter/ny").get_data(as_text=True)
    picker = page.split("data-unit-picker")[1].split("</fieldset>")[0]
    assert "<legend" in picker and "Enheter" in picker
    boxes = re.findall(r'<input[^>]*id="([^"]+)"[^>]*type="checkbox"', picker)
    assert len(boxes) >= 7  # every unit of the organisation
    for box in boxes:
        assert f'<label class="form-check-label" for="{box}">' in picker
    assert "data-unit-filter" in picker and "Välj alla" in picker and "Välj inga" in picker
    assert "Sök i listan" in picker
    assert "unit-picker.js" in page
    # Refused (no title): the ticked units stay ticked.
    refused = kv.post("/arshjul/aktiviteter/ny", {
        "title": "", "freq": "monthly", "start": "2026-01-01", "interval": "1",
        "responsible_role": "enhetschef", "units": [str(org.a1.id), str(org.b1.id)],
        "scope_kind": "", "lead_days": "7",
    })  # fmt: skip
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    checked = set(re.findall(r'<input checked[^>]*name="units"[^>]*value="(\d+)"', body))
    assert checked == {str(org.a1.id), str(org.b1.id)}


def test_mal_goal_form_uses_the_picker(app, org, login_as):
    plan = mal.create_plan(org.kvalitet, unit=org.avd_a, year=2026, name="Plan A")
    from kvalitet.extensions import db

    db.session.commit()
    page = login_as(org.kvalitet).get(f"/mal/plan/{plan.id}/mal/ny").get_data(as_text=True)
    picker = page.split("data-unit-picker")[1].split("</fieldset>")[0]
    assert "Enheter som berörs" in picker and 'type="checkbox"' in picker
    assert "Ctrl" not in page


@pytest.mark.browser
def test_picker_pages_have_no_axe_violations_and_the_search_filters(
    app, org, live_server, page, phone_page
):  # type: ignore[no-untyped-def]
    plan = mal.create_plan(org.kvalitet, unit=org.avd_a, year=2026, name="Plan A")
    paths = ["/arshjul/aktiviteter/ny", f"/mal/plan/{plan.id}/mal/ny"]
    for pg in (page, phone_page):
        browser_login(pg, live_server, org.kvalitet.email)
        for path in paths:
            pg.goto(live_server + path)
            picker = pg.locator("[data-unit-picker]").first
            picker.get_by_label("Sök i listan").fill("enhet a")
            expect(picker.get_by_label("Enhet B1")).to_be_hidden()
            expect(picker.get_by_label("Enhet A1")).to_be_visible()
            assert violations(pg) == [], (path, pg.viewport_size)
    page.locator("[data-unit-picker]").first.screenshot(path=str(ARTIFACTS / "unit-picker.png"))
    phone_page.locator("[data-unit-picker]").first.screenshot(
        path=str(ARTIFACTS / "unit-picker-phone.png")
    )
