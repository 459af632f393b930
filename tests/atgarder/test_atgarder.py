from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from kvalitet.atgarder.models import Atgard
from kvalitet.atgarder.operations import create_atgard, follow_up_effect, set_deferred
from kvalitet.core import clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import ItemLink
from tests.avvikelser.helpers import report

PNR = "19121212-1212"


def test_standalone_create_by_form_and_inbox(org, login_as):  # type: ignore[no-untyped-def]
    chef = login_as(org.chef_a1)
    assert chef.get("/atgarder/ny").status_code == 200
    response = chef.post("/atgarder/ny", {
        "title": "Rutin för återkoppling", "atgard_typ": "forbattring", "unit_id": str(org.a1.id),
        "owner_id": str(org.med_a1.id), "start_date": "2026-01-10", "due_date": "2026-03-31",
        "units_concerned": [str(org.a2.id)], "source_text": "Årets analys", "carry_over": "y",
    })  # fmt: skip
    assert response.status_code == 302
    action = db.session.scalars(db.select(Atgard)).one()
    assert action.owner_id == org.med_a1.id and action.carry_over
    assert [u.name for u in action.units_concerned] == ["Enhet A2"]
    owner = login_as(org.med_a1)
    assert action.ref in owner.get("/").get_data(as_text=True)  # Mina ärenden
    # Chef of a concerned unit sees it; chef of another avdelning does not.
    assert login_as(org.chef_a2).get(f"/atgarder/{action.ref}").status_code == 200
    assert login_as(org.chef_b1).get(f"/atgarder/{action.ref}").status_code == 404


def test_create_refusals(org, login_as):  # type: ignore[no-untyped-def]
    assert login_as(org.med_a1).get("/atgarder/ny").status_code == 403
    with pytest.raises(Forbidden):
        create_atgard(org.chef_b1, title="x", unit=org.a1)
    with pytest.raises(OperationError) as err:
        create_atgard(org.chef_a1, title="x", unit=org.a1, start_date=date(2026, 5, 1),
                      due_date=date(2026, 4, 1))  # fmt: skip
    assert err.value.field == "due_date"
    chef = login_as(org.chef_a1)
    response = chef.post("/atgarder/ny", {"title": "Åtgärd", "why": f"Gäller {PNR}",
                         "atgard_typ": "forbattring", "unit_id": str(org.a1.id),
                         "owner_id": "0"})  # fmt: skip
    assert response.status_code == 422 and "personnummer" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Atgard)).all() == []


def test_from_any_item_linked_and_follow_up(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1)
    chef = login_as(org.chef_a1)
    response = chef.post("/atgarder/ny", {"fran": item.ref, "title": "Checklista",
                         "atgard_typ": "korrigerande", "unit_id": str(org.a1.id),
                         "owner_id": str(org.chef_a1.id), "due_date": "2026-09-30"})  # fmt: skip
    assert response.status_code == 302
    action = db.session.scalars(db.select(Atgard)).one()
    link = db.session.scalars(db.select(ItemLink)).one()
    assert (link.source_id, link.target_id, link.link_type) == (item.id, action.id, "atgard")
    # A medarbetare who only reported the deviation may not create actions from it.
    assert login_as(org.med_a1).get(f"/atgarder/ny?fran={item.ref}").status_code == 403
    with pytest.raises(OperationError):
        follow_up_effect(org.chef_a1, action, "  ")
    clock.freeze(clock.local_now().replace(year=2026, month=6, day=1))
    response = chef.post(
        f"/atgarder/{action.ref}/effekt",
        {"effekt-effect_text": "Inga fler missade utskick", "version": str(action.version)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Atgard, action.id)
    assert action.effect_text == "Inga fler missade utskick"
    assert action.effect_date == date(2026, 6, 1)
    chef.post(f"/atgarder/{action.ref}/gjort", {"gjort-done_text": "Checklista införd",
              "version": str(action.version)})  # fmt: skip
    db.session.expire_all()
    action = db.session.get(Atgard, action.id)
    run_transition(action, "paborja", org.chef_a1)
    run_transition(action, "genomford", org.chef_a1)
    assert action.status == "genomford"


def test_defer_only_by_manager_with_reason(org):  # type: ignore[no-untyped-def]
    action = create_atgard(org.chef_a1, title="Utbildning", unit=org.a1, owner=org.med_a1)
    with pytest.raises(Forbidden):
        set_deferred(org.med_a1, action, True, "Orkar inte")
    with pytest.raises(OperationError):
        set_deferred(org.chef_a1, action, True, "")
    set_deferred(org.chef_a1, action, True, "Budget saknas i år")
    assert action.deferred


def test_list_filters_and_xlsx_export(org, login_as):  # type: ignore[no-untyped-def]
    a = create_atgard(org.chef_a1, title="Alfa", unit=org.a1, atgard_typ="omedelbar",
                      due_date=date(2026, 1, 15), carry_over=True)  # fmt: skip
    b = create_atgard(org.chef_a1, title="Beta", unit=org.a1, due_date=date(2026, 6, 1))
    create_atgard(org.chef_b1, title="Gamma B1", unit=org.b1)
    chef = login_as(org.chef_a1)

    def refs(query):  # type: ignore[no-untyped-def]
        data = chef.get(f"/atgarder/?format=xlsx&{query}").data
        sheet = load_workbook(io.BytesIO(data)).active
        return sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True))

    assert refs("") == sorted([a.ref, b.ref])
    assert refs("typ=omedelbar") == [a.ref]
    assert refs("aterkommer=1") == [a.ref]
    assert refs("fran=2026-05-01&till=2026-06-30") == [b.ref]
    assert refs("q=beta") == [b.ref]


def test_statistics(org):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from kvalitet.atgarder.stats import statistics
    from kvalitet.core.periods import quality_year

    clock.freeze(datetime(2025, 10, 1, 12))
    done = create_atgard(
        org.chef_a1,
        title="A",
        unit=org.a1,
        atgard_typ="omedelbar",
        owner=org.chef_a1,
        due_date=date(2025, 12, 1),
        carry_over=True,
    )
    late = create_atgard(org.avdchef_a, title="B", unit=org.a2, due_date=date(2026, 2, 1))
    set_deferred(org.avdchef_a, late, True, "Nästa år")
    create_atgard(org.chef_b1, title="C", unit=org.b1)
    clock.freeze(datetime(2025, 11, 1, 12))
    update = {"done_text": "Klart"}
    from kvalitet.atgarder.operations import update_atgard

    update_atgard(org.chef_a1, done, **update)
    run_transition(done, "paborja", org.chef_a1)
    run_transition(done, "genomford", org.chef_a1)
    follow_up_effect(org.chef_a1, done, "Bra effekt")
    stats = statistics(org.avd_a, quality_year(2025))
    assert stats["created"] == 2
    assert stats["by_type"]["Omedelbar"] == 1 and stats["by_type"]["Förbättring"] == 1
    assert stats["by_status"]["Genomförd"] == 1 and stats["by_status"]["Föreslagen"] == 1
    assert stats["completed"] == 1 and stats["effect_followed_up"] == 1
    assert stats["open_at_end"] == 1 and stats["overdue_at_end"] == 1
    assert stats["carry_over"] == 1 and stats["deferred"] == 1
    assert statistics(org.forv, quality_year(2025))["created"] == 3
    assert statistics(org.avd_a, quality_year(2024))["created"] == 0


def test_any_item_page_offers_a_linked_action(org, login_as):  # type: ignore[no-untyped-def]
    from kvalitet.synpunkter.operations import register_oral

    synpunkt = register_oral(org.chef_a1, unit=org.a1, typ="klagomal",
                             description="Svårt att nå handläggaren per telefon.")  # fmt: skip
    chef = login_as(org.chef_a1)
    page = chef.get(f"/arende/{synpunkt.ref}", follow_redirects=True).get_data(as_text=True)
    assert f"/atgarder/ny?fran={synpunkt.ref}" in page
    response = chef.post("/atgarder/ny", {"fran": synpunkt.ref, "title": "Telefontider",
                         "atgard_typ": "forbattring", "unit_id": str(org.a1.id),
                         "owner_id": str(org.chef_a1.id)})  # fmt: skip
    assert response.status_code == 302
    action = db.session.scalars(db.select(Atgard)).one()
    link = db.session.scalars(db.select(ItemLink).where(ItemLink.target_id == action.id)).one()
    assert link.source_id == synpunkt.id and link.link_type == "atgard"
