from __future__ import annotations

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.atgarder.operations import create_atgard
from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.models import Avvikelse, AvvikelseStatus
from kvalitet.extensions import db
from kvalitet.notify.models import Notification
from tests.avvikelser.helpers import category, report


def test_edit_page_changes_fields_and_health_care_reroutes(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, title="Första rubrik")
    chef = login_as(org.chef_a1)
    page = chef.get(f"/avvikelser/{item.ref}/andra")
    assert page.status_code == 200 and "Första rubrik" in page.get_data(as_text=True)
    response = chef.post(f"/avvikelser/{item.ref}/andra", {
        "title": "Ny rubrik", "unit_id": str(org.a1.id),
        "category_id": str(category("Läkemedel").id), "description": "Dosen gavs inte.",
        "health_care": "y", "event_at": "2026-11-01T08:30", "version": str(item.version),
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Avvikelse, item.id)
    assert item.title == "Ny rubrik" and item.category_label == "Läkemedel"
    assert item.status == AvvikelseStatus.RAPPORTERAD_HSL
    notes = db.session.scalars(select(Notification.message).where(
        Notification.user_id == org.mas.id)).all()  # fmt: skip
    assert notes == [f"Ny avvikelse {item.ref} (hälso- och sjukvård)"]
    # The reporter may not edit, a chef elsewhere gets 404.
    assert login_as(org.med_a1).get(f"/avvikelser/{item.ref}/andra").status_code == 403
    assert login_as(org.chef_b1).get(f"/avvikelser/{item.ref}/andra").status_code == 404
    # Stale version: refused, nothing saved.
    response = chef.post(f"/avvikelser/{item.ref}/andra", {
        "title": "Krock", "unit_id": str(org.a1.id), "category_id": str(item.category_id),
        "description": "x", "version": "1"})  # fmt: skip
    assert response.status_code == 422 and "Någon annan har sparat" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Avvikelse, item.id).title == "Ny rubrik"


def test_bad_input_rerenders_with_message(org, login_as):  # type: ignore[no-untyped-def]
    client = login_as(org.med_a1)
    response = client.post("/avvikelser/ny", {"unit_id": str(org.a1.id), "category_id": "",
                           "description": ""})  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Välj en kategori." in body and "Beskriv vad som hände." in body
    response = client.post("/avvikelser/ny", {"unit_id": str(org.a1.id),
                           "category_id": str(category().id), "description": "x",
                           "event_at": "2099-01-01T10:00"})  # fmt: skip
    assert response.status_code == 422 and "kan inte vara i framtiden" in response.get_data(
        as_text=True
    )
    response = client.post("/avvikelser/ny", {"unit_id": "abc", "category_id": "xyz",
                           "description": "x", "sex": "nonsense"})  # fmt: skip
    assert response.status_code == 422
    assert db.session.scalars(select(Avvikelse)).all() == []


def test_reopen_needs_reason_and_closes_again(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1)
    ops.analyse_avvikelse(org.chef_a1, item, analysis="Orsak", causes=["annat"])
    ops.close_avvikelse(org.chef_a1, item)
    chef = login_as(org.chef_a1)
    body = chef.post(f"/arende/{item.id}/steg/ateroppna", {"version": str(item.version),
                     "reason": ""}, follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Ange ett skäl." in body
    chef.post(f"/arende/{item.id}/steg/ateroppna", {"version": str(item.version),
              "reason": "Ny uppgift från brukaren"})  # fmt: skip
    db.session.expire_all()
    item = db.session.get(Avvikelse, item.id)
    assert item.status == AvvikelseStatus.UNDER_UTREDNING and item.closed_at is None


def test_atgard_edit_and_defer_pages(org, login_as):  # type: ignore[no-untyped-def]
    action = create_atgard(org.chef_a1, title="Gammal", unit=org.a1, owner=org.med_a1)
    owner = login_as(org.med_a1)
    assert owner.get(f"/atgarder/{action.ref}/andra").status_code == 200
    response = owner.post(f"/atgarder/{action.ref}/andra", {
        "title": "Ny titel", "atgard_typ": "forebyggande", "unit_id": str(org.a1.id),
        "owner_id": str(org.med_a1.id), "due_date": "2026-12-01", "version": str(action.version),
    })  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(Atgard, action.id)
    assert action.title == "Ny titel" and action.atgard_typ == "forebyggande"
    # Owner may not defer; the chef may.
    assert "Skjut upp medvetet" not in owner.get(f"/atgarder/{action.ref}").get_data(as_text=True)
    chef = login_as(org.chef_a1)
    chef.post(f"/atgarder/{action.ref}/uppskjuten", {"deferred": "1", "version":
              str(action.version), "uppskjut-reason": "Väntar på nytt system"})  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Atgard, action.id).deferred is True
