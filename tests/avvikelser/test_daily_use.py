"""Issue 19 for avvikelser: the investigation due date, titles that say what happened, the
investigator select that agrees with its text, and a case page whose forms keep what was
typed when one of them is refused."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from kvalitet.avvikelser.models import Avvikelse
from kvalitet.avvikelser.operations import analyse_avvikelse
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.titles import propose_title
from tests.avvikelser.helpers import category, report


def _value(page: str, name: str) -> str | None:
    """The value attribute of the input named `name`."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    chosen = re.search(r'<option selected value="([^"]*)"', select.group(1))
    return chosen.group(1) if chosen else None


def test_due_date_from_setting_is_shown_and_in_the_chefs_inbox(app, org, login_as):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 11, 2, 9, 0, tzinfo=clock.STOCKHOLM))
    item = report(org.med_a1, org.a1)
    assert item.due_date == date(2026, 11, 16)  # 14 days, AVVIKELSE_UTREDNING_DAGAR
    app.config["AVVIKELSE_UTREDNING_DAGAR"] = 5
    assert report(org.med_a1, org.a1).due_date == date(2026, 11, 7)
    app.config["AVVIKELSE_UTREDNING_DAGAR"] = 0
    assert report(org.med_a1, org.a1).due_date is None
    db.session.commit()
    chef = login_as(org.chef_a1)
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    due = page.split('data-testid="due">')[1].split("</dd>")[0]
    assert "2026" in due and "16" in due and "Försenad" not in due
    soon = chef.get("/?visa=snart").get_data(as_text=True)
    assert item.ref in soon
    clock.freeze(datetime(2026, 11, 20, 9, 0, tzinfo=clock.STOCKHOLM))
    late = chef.get("/?visa=forsenade").get_data(as_text=True)
    assert item.ref in late
    assert "Försenad" in chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)


def test_title_is_the_reporters_or_proposed_from_the_description(org, login_as):  # type: ignore[no-untyped-def]
    client = login_as(org.med_a1)
    text = ("Hemtjänsten kom inte till brukaren på tisdagskvällen eftersom schemat inte hade "
            "uppdaterats efter semestern. Brukaren fick ingen kvällsmat.")  # fmt: skip
    form = {"category_id": str(category().id), "unit_id": str(org.a1.id), "description": text}
    assert client.post("/avvikelser/ny", form).status_code == 302
    assert client.post("/avvikelser/ny", {**form, "title": "Missat kvällsbesök"}).status_code == 302
    proposed, own = db.session.scalars(db.select(Avvikelse).order_by(Avvikelse.id)).all()
    assert proposed.title == propose_title(text)
    assert proposed.title.startswith("Hemtjänsten kom inte till brukaren")
    assert len(proposed.title) <= 60 and proposed.title.endswith("…")
    assert "Dokumentation" not in proposed.title
    assert own.title == "Missat kvällsbesök"
    page = client.get("/avvikelser/ny").get_data(as_text=True)
    assert "Rubrik (kort)" in page
    assert 'href="/hjalp/avvikelse"' in page


def test_propose_title_cuts_at_a_word_boundary():  # type: ignore[no-untyped-def]
    assert propose_title("Fel dosering. Ringde sjuksköterskan.") == "Fel dosering"
    title = propose_title("ord " * 30)
    assert title == ("ord " * 15).strip() + "…" and len(title) == 60
    assert propose_title("a" * 40 + " " + "b" * 40) == "a" * 40 + "…"
    assert propose_title("   ") == ""


def test_investigator_select_agrees_with_the_text(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, org.a1)
    db.session.commit()
    chef = login_as(org.chef_a1)
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert 'data-testid="investigator">Ingen ännu<' in page
    # The select offers a choice ("Välj utredare", the chef preselected: one tap to take
    # it over); it does not read as if someone were the investigator already.
    assert '<label class="form-label" for="utredare-owner_id">Välj utredare</label>' in page
    assert _selected(page, "utredare-owner_id") == str(org.chef_a1.id)
    # a tampered empty choice is refused next to the select; nothing changes
    response = chef.post(f"/avvikelser/{item.ref}/utredare",
                         {"utredare-owner_id": "0", "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    assert (
        "Välj en utredare."
        in response.get_data(as_text=True).split('id="utredare-owner_id-fel"')[1][:200]
    )
    db.session.refresh(item)
    assert item.owner_id is None
    response = chef.post(f"/avvikelser/{item.ref}/utredare",
                         {"utredare-owner_id": str(org.chef_a1.id),
                          "version": str(item.version)})  # fmt: skip
    assert response.status_code == 302
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert 'data-testid="investigator">Chef A1<' in page
    assert '<label class="form-label" for="utredare-owner_id">Byt utredare till</label>' in page
    assert _selected(page, "utredare-owner_id") == str(org.chef_a1.id)


def test_refused_form_keeps_its_input_and_the_others_their_values(org, login_as):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2026, 11, 2, 9, 0, tzinfo=clock.STOCKHOLM))
    item = report(org.med_a1, org.a1)
    analyse_avvikelse(org.chef_a1, item, analysis="Schemat var inte uppdaterat.",
                      causes=["rutin_ej_foljd"], consequence=2, likelihood=3)  # fmt: skip
    db.session.commit()
    chef = login_as(org.chef_a1)
    # 1. The new åtgärd is refused (no title): it keeps what was typed, with the error at
    # its field; the analysis form keeps the item's analysis and severity.
    response = chef.post(f"/avvikelser/{item.ref}/atgard", {
        "atgard-title": "", "atgard-why": "Så att schemat uppdateras efter semestern",
        "atgard-unit_id": str(org.a1.id), "atgard-owner_id": str(org.chef_a1.id),
        "atgard-atgard_typ": "korrigerande", "atgard-due_date": "2026-12-01"})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="atgard-title-fel"' in page
    assert "Så att schemat uppdateras efter semestern" in page
    assert _value(page, "atgard-due_date") == "2026-12-01"
    assert "Schemat var inte uppdaterat." in page.split('name="analys-analysis"')[1][:300]
    assert _selected(page, "analys-consequence") == "2"
    assert _selected(page, "analys-likelihood") == "3"
    assert re.search(r'<input checked[^>]*value="rutin_ej_foljd"', page)
    # 2. The analysis is refused (consequence without likelihood): it keeps the typed text;
    # the åtgärd form its defaults (the unit, the chef as owner).
    response = chef.post(f"/avvikelser/{item.ref}/analys", {
        "analys-analysis": "Ny text som inte får försvinna", "analys-consequence": "3",
        "analys-likelihood": "", "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ange både konsekvens och sannolikhet." in page
    assert "Ny text som inte får försvinna" in page
    assert _selected(page, "atgard-unit_id") == str(org.a1.id)
    assert _selected(page, "atgard-owner_id") == str(org.chef_a1.id)
    db.session.refresh(item)
    assert item.analysis == "Schemat var inte uppdaterat."
    assert item.due_date == date(2026, 11, 2) + timedelta(days=14)
