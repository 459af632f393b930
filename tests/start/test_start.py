"""The start page per role: due, late and new for me; chefs' units; SAS's board headline;
the kvalitetsutvecklare's year; the Rapportera entry on every page."""

from __future__ import annotations

import re
from datetime import timedelta

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.start import queries
from tests.avvikelser.helpers import report
from tests.lexsarah.helpers import make_case


def _figure(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</div>\s*</div>', page, re.S)
    assert match, testid
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_mine_counts_late_soon_and_new(org, login_as):
    late = report(org.med_a1, unit=org.a1, description="Sen.")
    soon = report(org.med_a1, unit=org.a1, description="Snart.")
    late.due_date = clock.today() - timedelta(days=2)
    soon.due_date = clock.today() + timedelta(days=3)
    report(org.chef_b1, unit=org.b1, description="B.")
    db.session.commit()
    mine = queries.mine(org.chef_a1)
    assert (mine["late"], mine["soon"], mine["new"]) == (1, 1, 2)
    page = login_as(org.chef_a1).get("/").get_data(as_text=True)
    text = _figure(page, "start-mine")
    assert "1 försenade" in text and "1 förfaller inom 14 dagar" in text
    assert "2 nya senaste 7 dagarna" in text
    # Chef B1 sees only Enhet B1's item, none of A1's.
    assert queries.mine(org.chef_b1)["new"] == 1
    assert late.ref not in login_as(org.chef_b1).get("/").get_data(as_text=True)


def test_chef_panel_counts_their_units_only(org, login_as):
    report(org.med_a1, unit=org.a1, description="A1.")
    overdue = report(org.med_a2, unit=org.a2, description="A2.")
    overdue.due_date = clock.today() - timedelta(days=1)
    report(org.chef_b1, unit=org.b1, description="B1.")
    db.session.commit()
    panel = queries.chef(org.avdchef_a)
    assert (panel["open"], panel["late"]) == (2, 1)
    assert {r["unit"].name for r in panel["rows"]} == {"Enhet A1", "Enhet A2"}
    assert queries.chef(org.med_a1) is None
    text = _figure(login_as(org.avdchef_a).get("/").get_data(as_text=True), "start-chef")
    assert "2 öppna, 1 försenade" in text and "Enhet B1" not in text


def test_sas_panel_is_the_board_headline(org, login_as):
    case = make_case(org)
    make_case(org, unit=org.b1)
    case.due_date = clock.today() - timedelta(days=1)
    db.session.commit()
    panel = queries.sas(org.sas)
    assert (panel["open"], panel["late"]) == (2, 1)
    assert queries.sas(org.chef_a1) is None
    text = _figure(login_as(org.sas).get("/").get_data(as_text=True), "start-sas")
    assert "2 öppna ärenden, 1 försenade" in text
    # Nobody else gets the SAS panel.
    assert 'data-testid="start-sas"' not in login_as(org.chef_a1).get("/").get_data(as_text=True)


def test_year_progress_for_kvalitetsutvecklare(org, login_as):
    from kvalitet.atgarder.operations import create_atgard

    year = clock.today().year
    action = create_atgard(org.kvalitet, unit=org.a1, title="Rutin för nycklar",
                           due_date=clock.today().replace(month=12, day=31))  # fmt: skip
    db.session.commit()
    progress = {p["kind"]: p for p in queries.year_progress(org.kvalitet, year)}
    assert progress["ATG"]["total"] == 1 and progress["ATG"]["done"] == 0
    assert queries.year_progress(org.chef_a1) is None
    page = login_as(org.kvalitet).get("/").get_data(as_text=True)
    assert "Förbättringsåtgärder: 0 av 1 klara" in _figure(page, "start-progress")
    assert db.session.get(Item, action.id) is not None


def test_login_lands_on_the_start_page_with_rapportera(org, client):
    response = client.login(org.med_a1.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="start-mine"' in page
    assert 'href="/rapportera"' in page
    chooser = client.get("/rapportera").get_data(as_text=True)
    for href in ("/avvikelser/ny", "/lexsarah/ny"):
        assert f'href="{href}"' in chooser
