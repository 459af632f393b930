"""Administration through the API (issue 14, point 6): users, roles, units with their life,
lists, lagrum, gallring and the outbox, on the admin pages' operations and rules."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.org.models import RoleAssignment, Unit, User


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_users_and_roles(org, api_as):
    admin = api_as(org.admin)
    made = admin.post("/api/v1/admin/anvandare", json={
        "name": "Åsa Öberg", "email": "asa.oberg@test.se", "password": "Långt-lösen-2026!",
        "home_unit_id": org.a1.id})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    user_id = made.get_json()["id"]
    assert _audits("user_created") >= 1

    # The same address twice: 422 on email, nobody new.
    before = db.session.scalar(select(func.count(User.id)))
    twice = admin.post(
        "/api/v1/admin/anvandare",
        json={"name": "Annan", "email": "ASA.oberg@test.se", "password": "Långt-lösen-2026!"},
    )
    assert twice.status_code == 422 and "email" in twice.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(User.id))) == before

    found = admin.get("/api/v1/admin/anvandare?q=ÅSA").get_json()
    assert [u["id"] for u in found] == [user_id]

    changed = admin.patch(f"/api/v1/admin/anvandare/{user_id}", json={"title": "Samordnare"})
    assert changed.status_code == 200 and changed.get_json()["title"] == "Samordnare"
    assert changed.get_json()["name"] == "Åsa Öberg"

    role = admin.post(
        f"/api/v1/admin/anvandare/{user_id}/roller",
        json={"role": "enhetschef", "unit_id": org.a1.id},
    )
    assert role.status_code == 201 and role.get_json()["roles"][0]["role"] == "enhetschef"
    again = admin.post(
        f"/api/v1/admin/anvandare/{user_id}/roller",
        json={"role": "enhetschef", "unit_id": org.a1.id},
    )
    assert again.status_code == 422 and "role" in again.get_json()["error"]["fields"]
    assignment = role.get_json()["roles"][0]["id"]
    removed = admin.open("DELETE", f"/api/v1/admin/roller/{assignment}")
    assert removed.status_code == 200 and removed.get_json()["roles"] == []
    assert db.session.get(RoleAssignment, assignment) is None

    # Not an administrator: 403 as on the pages, nothing changed.
    chef = api_as(org.chef_a1)
    assert chef.get("/api/v1/admin/anvandare").status_code == 403
    refused = chef.patch(f"/api/v1/admin/anvandare/{user_id}", json={"title": "X"})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user_id).title == "Samordnare"
    assert admin.patch("/api/v1/admin/anvandare/999999", json={}).status_code == 404


def test_units_with_their_life(org, api_as):
    admin = api_as(org.admin)
    made = admin.post("/api/v1/admin/enheter", json={
        "name": "Hemtjänst Öst", "kind": "enhet", "parent_id": org.avd_a.id,
        "founded_on": "2015-03-01"})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    unit = made.get_json()
    assert unit["founded_on"] == "2015-03-01" and unit["closed_on"] is None

    # Closed before it started: 422 on closed_on, nothing changed.
    bad = admin.patch(f"/api/v1/admin/enheter/{unit['id']}", json={"closed_on": "2014-01-01"})
    assert bad.status_code == 422 and "closed_on" in bad.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Unit, unit["id"]).closed_on is None
    created = admin.post(
        "/api/v1/admin/enheter",
        json={
            "name": "Aldrig",
            "kind": "enhet",
            "founded_on": "2020-01-01",
            "closed_on": "2019-01-01",
        },
    )
    assert created.status_code == 422
    assert db.session.scalar(select(Unit).where(Unit.name == "Aldrig")) is None

    closed = admin.patch(
        f"/api/v1/admin/enheter/{unit['id']}",
        json={"closed_on": "2024-12-31", "name": "Hemtjänst Öster"},
    )
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["closed_on"] == "2024-12-31"
    assert closed.get_json()["name"] == "Hemtjänst Öster"

    # Moving a unit in under itself is refused.
    loop = admin.patch(f"/api/v1/admin/enheter/{org.avd_a.id}", json={"parent_id": org.a1.id})
    assert loop.status_code == 422 and "parent_id" in loop.get_json()["error"]["fields"]

    # A unit with active sub-units cannot be switched off; an empty unit can be deleted.
    off = admin.post(f"/api/v1/admin/enheter/{org.avd_a.id}/aktiv", json={"active": False})
    assert off.status_code == 422
    assert db.session.get(Unit, org.avd_a.id).active
    off = admin.post(f"/api/v1/admin/enheter/{unit['id']}/aktiv", json={"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False
    busy = admin.open("DELETE", f"/api/v1/admin/enheter/{org.a1.id}")
    assert busy.status_code == 422 and "arbetsplats" in busy.get_json()["error"]["message"]
    gone = admin.open("DELETE", f"/api/v1/admin/enheter/{unit['id']}")
    assert gone.status_code == 200
    assert db.session.get(Unit, unit["id"]) is None

    assert (
        api_as(org.kvalitet)
        .post("/api/v1/admin/enheter", json={"name": "X", "kind": "enhet"})
        .status_code
        == 403
    )


def test_history_outside_the_units_life_is_refused(org, api_as):
    from tests.api.conftest import category_id

    org.a1.founded_on, org.a1.closed_on = date(2019, 1, 1), date(2023, 6, 30)
    db.session.commit()
    kvalitet = api_as(org.kvalitet)
    body = {"unit_id": org.a1.id, "title": "Dokumentation saknades", "category_id": category_id(),
            "description": "Journalanteckning saknades"}  # fmt: skip
    count = db.session.scalar(select(func.count(AuditEntry.id)))
    for when, word in (("2018-05-02", "startade 2019-01-01"), ("2024-02-01", "lades ned")):
        refused = kvalitet.post(f"/api/v1/avvikelser?occurred_at={when}", json=body)
        assert refused.status_code == 422, refused.get_json()
        message = refused.get_json()["error"]["fields"]["occurred_at"][0]
        assert message.startswith(f"Enheten fanns inte {when}") and word in message
    assert db.session.scalar(select(func.count(AuditEntry.id))) == count
    inside = kvalitet.post("/api/v1/avvikelser?occurred_at=2021-03-04", json=body)
    assert inside.status_code == 201, inside.get_json()
    assert inside.get_json()["ref"].startswith("AVV-2021-")


def test_lists_and_quality_areas(org, api_as):
    kvalitet = api_as(org.kvalitet)
    lists = kvalitet.get("/api/v1/admin/listor").get_json()
    key = next(k for k in lists if k != "quality_area")
    added = kvalitet.post("/api/v1/admin/listor", json={"list_key": key, "label": "Ögonblick"})
    assert added.status_code == 201, added.get_json()
    assert "Ögonblick" in [v["label"] for v in added.get_json()["values"]]
    twice = kvalitet.post("/api/v1/admin/listor", json={"list_key": key, "label": "Ögonblick"})
    assert twice.status_code == 422 and "label" in twice.get_json()["error"]["fields"]
    unknown = kvalitet.post("/api/v1/admin/listor", json={"list_key": "nej", "label": "X"})
    assert unknown.status_code == 422 and "list_key" in unknown.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(ListEntry.id)).where(
        ListEntry.label == "Ögonblick")) == 1  # fmt: skip

    entry = db.session.scalar(select(ListEntry).where(ListEntry.label == "Ögonblick"))
    off = kvalitet.post(f"/api/v1/admin/listor/{key}/{entry.id}/aktiv")
    assert off.status_code == 200 and off.get_json()["active"] is False
    area = kvalitet.post("/api/v1/admin/listor", json={"list_key": "quality_area",
                                                       "label": "Trygghet"})  # fmt: skip
    assert area.status_code == 201
    row = db.session.scalar(select(QualityArea).where(QualityArea.name == "Trygghet"))
    assert kvalitet.post(f"/api/v1/admin/listor/quality_area/{row.id}/aktiv").status_code == 200
    assert kvalitet.post(f"/api/v1/admin/listor/{key}/{row.id}999/aktiv").status_code == 404
    assert (
        api_as(org.chef_a1)
        .post("/api/v1/admin/listor", json={"list_key": key, "label": "Y"})
        .status_code
        == 403
    )


def test_lagrum_gallring_and_outbox(org, api_as):
    admin = api_as(org.admin)
    made = admin.post("/api/v1/lagrum", json={"key": "test_lagrum", "valid_from": "2025-07-01",
                                              "text": "SoL (2025:400) 1 kap."})  # fmt: skip
    assert made.status_code == 201, made.get_json()
    twice = admin.post("/api/v1/lagrum", json={"key": "test_lagrum", "valid_from": "2025-07-01",
                                               "text": "Annan"})  # fmt: skip
    assert twice.status_code == 422 and "valid_from" in twice.get_json()["error"]["fields"]
    fixed = admin.patch(f"/api/v1/lagrum/{made.get_json()['id']}", json={"text": "SoL 2 kap."})
    assert fixed.status_code == 200 and fixed.get_json()["text"] == "SoL 2 kap."
    assert api_as(org.kvalitet).get("/api/v1/lagrum").status_code == 403

    kvalitet = api_as(org.kvalitet)
    rule = kvalitet.post("/api/v1/gallring/regler", json={"kind": "AVV", "years": 0})
    assert rule.status_code == 422 and "years" in rule.get_json()["error"]["fields"]
    rule = kvalitet.post("/api/v1/gallring/regler", json={"kind": "AVV", "years": 5,
                                                          "active": True})  # fmt: skip
    assert rule.status_code == 200, rule.get_json()
    assert kvalitet.post("/api/v1/gallring/kor").get_json()["items"] == 0
    hold = kvalitet.post(
        "/api/v1/gallring/sparrar", json={"ref": "AVV-1999-0001", "reason": "Tvist"}
    )
    assert hold.status_code == 422 and "ref" in hold.get_json()["error"]["fields"]
    assert kvalitet.post("/api/v1/gallring/sparrar/99999/hav").status_code == 404
    assert api_as(org.chef_a1).post("/api/v1/gallring/kor").status_code == 403
    assert admin.post("/api/v1/admin/utkorg/99999/skicka-igen").status_code == 404
    assert kvalitet.post("/api/v1/admin/ej-levererade/99999/hanterad").status_code == 403


def test_holds_and_the_outbox_succeed(org, api_as):
    from kvalitet.atgarder.models import Atgard
    from kvalitet.gallring.models import LegalHold
    from kvalitet.items.operations import new_item
    from kvalitet.notify.models import OutboxMail, OutboxStatus, UndeliverableNotice

    item = new_item(Atgard, org.chef_a1, title="Sparas", unit_id=org.a1.id)
    mail = OutboxMail(to_addr="x@test.se", subject="Påminnelse", body="Text",
                      status=OutboxStatus.MISSLYCKAD, attempts=5)  # fmt: skip
    db.session.add(mail)
    db.session.flush()
    notice = UndeliverableNotice(item_id=item.id, purpose="reminder", message="Försenad",
                                 reason="Ingen chef")  # fmt: skip
    db.session.add(notice)
    db.session.commit()

    kvalitet = api_as(org.kvalitet)
    hold = kvalitet.post("/api/v1/gallring/sparrar", json={"ref": item.ref, "reason": "Tvist"})
    assert hold.status_code == 201, hold.get_json()
    state = kvalitet.get("/api/v1/gallring").get_json()
    assert [h["ref"] for h in state["holds"]] == [item.ref]
    lifted = kvalitet.post(f"/api/v1/gallring/sparrar/{hold.get_json()['id']}/hav")
    assert lifted.status_code == 200
    db.session.expire_all()
    assert db.session.get(LegalHold, hold.get_json()["id"]).lifted_at is not None

    admin = api_as(org.admin)
    retried = admin.post(f"/api/v1/admin/utkorg/{mail.id}/skicka-igen")
    assert retried.status_code == 200 and retried.get_json()["status"] == "vantar"
    handled = admin.post(f"/api/v1/admin/ej-levererade/{notice.id}/hanterad")
    assert handled.status_code == 200 and handled.get_json()["handled"] is True
    assert _audits("outbox_retry") == 1 and _audits("undeliverable_handled") == 1
