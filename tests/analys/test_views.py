"""The analysis pages: who sees them, bad input answered at the field, theme suggestions named
and added to a category list, which årshjul activities are analyses."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kvalitet.analys import operations as ops
from kvalitet.analys.models import Analys, AnalysPlan
from kvalitet.arshjul.models import ArshjulAktivitet
from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry
from tests.analys.helpers import avvikelse
from tests.analys.test_task import quarter_tasks

TEXTS = ["Tolken var inte bokad till mötet", "Tolken kom inte till samtalet",
         "Ingen tolk bokades trots behov", "Tolken talade fel dialekt",
         "Utbetalningen blev försenad", "Utbetalningen hade fel belopp",
         "Försenad utbetalning av bistånd", "Utbetalning till fel konto"]  # fmt: skip


def test_who_sees_the_analysis_pages(app, org, login_as):
    quarter_tasks(org)
    analys = db.session.scalar(select(Analys).where(Analys.unit_id == org.a1.id))
    assert login_as(org.chef_a1).get("/analys/").status_code == 200
    assert login_as(org.chef_a1).get(f"/analys/{analys.ref}").status_code == 200
    # Another unit's chef learns nothing, not even the title.
    other = login_as(org.chef_b1).get(f"/analys/{analys.ref}")
    assert other.status_code == 404
    assert analys.title not in other.get_data(as_text=True)
    # A medarbetare has no statistics: no analysis page.
    assert login_as(org.med_a1).get("/analys/").status_code == 403
    # Läsare: aggregates only.
    page = login_as(org.lasare).get("/analys/")
    assert page.status_code == 200
    assert "aggregat" in page.get_data(as_text=True)


def test_bad_input_is_answered_at_the_field_and_nothing_is_saved(app, org, login_as):
    quarter_tasks(org)
    analys = db.session.scalar(select(Analys).where(Analys.unit_id == org.a1.id))
    chef = login_as(org.chef_a1)
    empty = chef.post(f"/analys/{analys.ref}/slutsats", {"text": "", "quality_area_id": "0",
                                                          "atgard_owner_id": "0"})  # fmt: skip
    assert empty.status_code == 422
    assert "Skriv slutsatsen." in empty.get_data(as_text=True)
    no_title = chef.post(f"/analys/{analys.ref}/slutsats", {
        "text": "Brister", "make_atgard": "y", "atgard_title": "", "quality_area_id": "0",
        "atgard_owner_id": "0"})  # fmt: skip
    assert no_title.status_code == 422
    assert "Ange vad som ska göras." in no_title.get_data(as_text=True)
    pnr = chef.post(f"/analys/{analys.ref}/slutsats", {
        "text": "Gäller 19121212-1212", "quality_area_id": "0",
        "atgard_owner_id": "0"})  # fmt: skip
    assert pnr.status_code == 422
    db.session.refresh(analys)
    assert analys.slutsatser == []
    ok = chef.post(f"/analys/{analys.ref}/slutsats", {
        "text": "Brister i dokumentationen", "quality_area_id": "0", "atgard_owner_id": "0",
        "version": str(analys.version)})  # fmt: skip
    assert ok.status_code == 302
    db.session.refresh(analys)
    assert [s.text for s in analys.slutsatser] == ["Brister i dokumentationen"]


def test_theme_suggestions_and_naming_a_theme(app, org, login_as):
    clock.freeze(clock.local_midnight_utc(date(2026, 4, 10)))
    for n, text in enumerate(TEXTS * 3):
        avvikelse(org.med_a1, org.a1, date(2026, 3, 1 + n % 28), "Övrigt", text)
    url = f"/analys/teman?enhet={org.a1.id}&fran=2026-03-01&till=2026-03-31"
    page = login_as(org.chef_a1).get(url).get_data(as_text=True)
    assert "Förslag: &#34;tolk" in page or 'Förslag: "tolk' in page
    assert "utbetalning" in page
    assert "Lägg till i listan" not in page  # only the kvalitetsutvecklare adds to lists
    assert login_as(org.chef_a1).post(url, {"label": "Tolk", "list_key": "avvikelse_kategori"}
                                      ).status_code == 403  # fmt: skip
    ku = login_as(org.kvalitet)
    added = ku.post(url, {"label": "Tolk", "list_key": "avvikelse_kategori"})
    assert added.status_code == 302
    assert db.session.scalar(select(ListEntry).where(
        ListEntry.list_key == "avvikelse_kategori", ListEntry.label == "Tolk"))  # fmt: skip
    again = ku.post(url, {"label": "Tolk", "list_key": "avvikelse_kategori"})
    assert again.status_code == 422
    assert "Värdet finns redan i listan." in again.get_data(as_text=True)


def test_which_arshjul_activities_are_analyses(app, org, login_as):
    akt = quarter_tasks(org)
    assert login_as(org.chef_a1).get("/analys/installningar").status_code == 403
    ku = login_as(org.kvalitet)
    assert ku.get("/analys/installningar").status_code == 200
    assert ku.post("/analys/installningar", {f"months-{akt.id}": "6"}).status_code == 302
    assert db.session.get(AnalysPlan, akt.id).months == 6
    assert ku.post("/analys/installningar", {f"months-{akt.id}": ""}).status_code == 302
    assert db.session.get(AnalysPlan, akt.id) is None
    assert ku.post("/analys/installningar", {"typical": "1"}).status_code == 302
    assert db.session.get(AnalysPlan, akt.id).months == 3
    assert isinstance(akt, ArshjulAktivitet)


def test_an_analysis_started_by_hand(app, org, login_as):
    chef = login_as(org.chef_a1)
    made = chef.post("/analys/ny", {"unit_id": str(org.a1.id), "start": "2026-01-01",
                                    "end": "2026-03-31"})  # fmt: skip
    assert made.status_code == 302
    analys = db.session.scalar(select(Analys))
    assert analys.title == "Sammanställning och analys kv. 1 2026: Enhet A1"
    # Not for another unit.
    chef.post("/analys/ny", {"unit_id": str(org.b1.id), "start": "2026-01-01",
                             "end": "2026-03-31"})  # fmt: skip
    assert len(db.session.scalars(select(Analys)).all()) == 1
    with pytest.raises(OperationError, match="före"):
        ops.start_analysis(org.chef_a1, org.a1, date(2026, 3, 1), date(2026, 1, 1))
