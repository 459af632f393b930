"""Keyboard-only journeys (issue 19, point 7): reporting an avvikelse from the start page's
"Rapportera", and SAS's lex Sarah steps (bedömning, an utredning entry), with Tab, Shift+Tab,
arrow keys, Space, Enter and typing only: no clicks after the login. Every control the
journey stops at shows a visible focus (an outline or a focus ring), and the result is
saved."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kvalitet.avvikelser.models import Avvikelse
from kvalitet.extensions import db
from kvalitet.lexsarah.models import LexSarahArende, UtredningPost
from tests.conftest import browser_login
from tests.lexsarah.helpers import make_case

FOCUSED = """() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText.trim() : "";
  return {
    tag: el.tagName, type: el.getAttribute("type") || "", label,
    text: (el.innerText || el.value || "").trim().slice(0, 80),
    // False when the focus is inside the browser's own part of a control (the calendar
    // button of a date field): the browser draws that focus, the page's CSS cannot be read.
    own: el.matches(":focus"),
    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2,
    ring: s.boxShadow !== "none",
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    # Bootstrap's focus ring fades in (a 0.15 s transition): read it when it has settled.
    # Reading the style first starts a pending transition, so it is waited for too.
    page.wait_for_function(
        "() => { getComputedStyle(document.activeElement).boxShadow;"
        " return document.getAnimations().every((a) => a.playState !== 'running'); }",
        timeout=5000,
    )
    return page.evaluate(FOCUSED)


def tab_to(page: Any, wanted: str, limit: int = 120, key: str = "Tab") -> dict[str, Any]:
    """Press Tab until the focused control's label or text starts with `wanted`; fail if it
    is not reachable. Every control passed on the way must show where the focus is (an
    outline of 2 px or more, or Bootstrap's focus ring)."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        assert now["outline"] or now["ring"] or not now["own"], f"focus not visible on {now}"
        if now["label"].startswith(wanted) or now["text"].startswith(wanted):
            assert now["own"] and (now["outline"] or now["ring"]), now
            return now
    raise AssertionError(f"{wanted!r} cannot be reached with {key}")


@pytest.mark.browser
def test_report_an_avvikelse_with_the_keyboard_only(org, live_server, page):  # type: ignore[no-untyped-def]
    browser_login(page, live_server, org.med_a1.email)
    tab_to(page, "Rapportera")
    page.keyboard.press("Enter")  # opens the menu
    page.keyboard.press("ArrowDown")
    now = focused(page)
    while not now["text"].startswith("Avvikelse"):
        page.keyboard.press("ArrowDown")
        now = focused(page)
        assert now["tag"] == "A", now
    assert now["outline"] or now["ring"]
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/avvikelser/ny")
    tab_to(page, "Kategori")
    page.keyboard.type("Dokumentation")
    tab_to(page, "Vad hände?")
    page.keyboard.type("Journalanteckning gjordes inte efter hembesök.")
    tab_to(page, "Vad gjordes direkt?")
    page.keyboard.type("Anteckningen skrevs dagen efter.")
    tab_to(page, "Skicka avvikelsen")
    page.keyboard.press("Enter")
    ref = page.get_by_test_id("receipt-ref").inner_text()
    db.session.rollback()
    saved = db.session.scalars(select(Avvikelse).where(Avvikelse.ref == ref)).one()
    assert saved.description == "Journalanteckning gjordes inte efter hembesök."
    assert saved.category is not None and saved.category.label == "Dokumentation"
    assert saved.unit_id == org.a1.id


@pytest.mark.browser
def test_sas_assesses_and_writes_an_utredning_entry_with_the_keyboard_only(org, live_server, page):  # type: ignore[no-untyped-def]
    case = make_case(org)
    browser_login(page, live_server, org.sas.email)
    page.goto(f"{live_server}/lexsarah/{case.ref}")
    # Bedömning: the radio group is one Tab stop; arrows choose, Space confirms.
    tab_to(page, "Missförhållande")
    page.keyboard.press("Space")
    tab_to(page, "Motivering")
    page.keyboard.type("Tillsynen uteblev tre nätter i rad.")
    tab_to(page, "Spara bedömning och starta utredning")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Bedömningen är sparad")).to_be_visible()
    # An utredning entry: the section, the date pre-filled, the source, fakta, the text.
    tab_to(page, "Avsnitt")
    page.keyboard.press("ArrowDown")  # the next section: "När och hur ... uppmärksammades"
    tab_to(page, "Källa")
    page.keyboard.type("Samtal med nattpersonal")
    tab_to(page, "Fakta")
    page.keyboard.press("Space")
    tab_to(page, "Uppgift")
    page.keyboard.type("Personalen var två i stället för tre.")
    tab_to(page, "Spara uppgift")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Uppgiften är sparad")).to_be_visible()
    db.session.rollback()
    saved = db.session.get(LexSarahArende, case.id)
    assert saved.status == "utredning" and saved.assessment == "missforhallande"
    entry = db.session.scalars(
        select(UtredningPost).where(UtredningPost.arende_id == case.id)
    ).one()
    assert entry.section == "uppmarksammat" and entry.karaktar == "fakta"
    assert entry.source == "Samtal med nattpersonal"
    assert entry.text == "Personalen var två i stället för tre."
