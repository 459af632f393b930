"""History on its own dates through the API: the ordinary call with `occurred_at` runs as on
that day (dates, deadlines, reference number of that year), only for kvalitetsutvecklare and
admin, validated (not in the future, in order), audited as imported at the real time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.notify.models import Notification
from tests.api.conftest import category_id


def _avvikelse(api, when: str, **params: str):
    query = "&".join(f"{k}={v}" for k, v in {"occurred_at": when, **params}.items())
    return api.post(f"/api/v1/avvikelser?{query}", json={
        "unit_id": _unit_id(), "description": "Journalen fördes inte", "category_id": category_id(),
    })  # fmt: skip


def _unit_id() -> int:
    from kvalitet.org.models import Unit

    return db.session.scalar(select(Unit.id).where(Unit.name == "Enhet A1"))


def test_created_on_its_own_date_with_that_years_number_and_audit(org, api_as):
    api = api_as(org.kvalitet)
    response = _avvikelse(api, "2021-03-04", source="Excel 2021")
    assert response.status_code == 201, response.get_json()
    ref = response.get_json()["ref"]
    assert ref == "AVV-2021-0001"
    item = db.session.scalar(select(Item).where(Item.ref == ref))
    assert clock.to_local(item.created_at).date().isoformat() == "2021-03-04"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.item_id == item.id)
                                 .order_by(AuditEntry.id)).all()  # fmt: skip
    created = next(e for e in entries if e.action == "created")
    assert clock.to_local(created.at).year == 2021
    imported = [e for e in entries if e.action == "imported"]
    assert len(imported) == 1 and imported[0].user_id == org.kvalitet.id
    assert imported[0].at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # when it was written down
    assert "API POST /api/v1/avvikelser: Excel 2021" in imported[0].summary
    assert db.session.scalar(select(Notification.id).limit(1)) is None  # history is not news
    # A number of this year is still 0001: the history did not use this year's counter.
    today = api.post("/api/v1/avvikelser", json={
        "unit_id": _unit_id(), "description": "I dag", "category_id": category_id()})  # fmt: skip
    assert today.get_json()["ref"] == "AVV-2026-0001"


def test_source_number_is_kept_and_never_handed_out_again(org, api_as):
    api = api_as(org.kvalitet)
    kept = _avvikelse(api, "2021-05-01", source_ref="AVV-2021-0007")
    assert kept.status_code == 201 and kept.get_json()["ref"] == "AVV-2021-0007"
    taken = _avvikelse(api, "2021-05-02", source_ref="AVV-2021-0007")
    assert taken.status_code == 422
    assert taken.get_json()["error"]["message"] == "Numret AVV-2021-0007 finns redan."
    following = _avvikelse(api, "2021-06-01")
    assert following.get_json()["ref"] == "AVV-2021-0008"
    foreign = _avvikelse(api, "2021-06-02", source_ref="Dnr 2021/44")
    assert foreign.get_json()["ref"] == "Dnr 2021/44"
    assert _avvikelse(api, "2021-06-03").get_json()["ref"] == "AVV-2021-0009"


def test_only_migrating_roles_not_in_the_future_and_in_order(org, api_as):
    chef = _avvikelse(api_as(org.chef_a1), "2021-03-04")
    assert chef.status_code == 403
    assert "kvalitetsutvecklare" in chef.get_json()["error"]["message"]
    api = api_as(org.kvalitet)
    future = _avvikelse(api, "2026-12-24")
    assert future.status_code == 422
    assert future.get_json()["error"]["fields"] == {
        "occurred_at": ["Tidpunkten kan inte ligga i framtiden."]}  # fmt: skip
    bad = _avvikelse(api, "fjärde mars")
    assert bad.status_code == 400
    ref = _avvikelse(api, "2021-03-04").get_json()["ref"]
    earlier = api.post(f"/api/v1/avvikelser/{ref}/comments?occurred_at=2021-03-01",
                       json={"body": "Före rapporten"})  # fmt: skip
    assert earlier.status_code == 422
    assert "före det som redan finns" in earlier.get_json()["error"]["message"]
    later = api.post(f"/api/v1/avvikelser/{ref}/comments?occurred_at=2021-03-08",
                     json={"body": "Efter rapporten"})  # fmt: skip
    assert later.status_code == 201
    assert later.get_json()["created_at"].startswith("2021-03-08")
    assert db.session.scalar(select(Item.id).where(Item.ref == "AVV-2021-0002")) is None
