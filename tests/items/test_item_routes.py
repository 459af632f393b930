"""The routes every item kind shares, through the web like a user."""

import io
from datetime import date

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Attachment, Comment
from kvalitet.items.operations import new_item


def make(org, **kw):
    fields = {"title": "Uppdatera rutin", "unit_id": org.a1.id, "owner_id": org.chef_a1.id,
              "due_date": date(2026, 12, 1)}  # fmt: skip
    fields.update(kw)
    item = new_item(Atgard, org.chef_a1, **fields)
    db.session.commit()
    return item


def test_comment_shows_in_timeline(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    client.post(f"/arende/{item.id}/kommentar", {"body": "Diskuterat på APT"})
    page = client.get(f"/atgarder/{item.ref}").get_data(as_text=True)
    assert "Diskuterat på APT" in page
    assert "skapades" in page


def test_comment_with_personnummer_is_refused(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    response = client.post(
        f"/arende/{item.id}/kommentar", {"body": "Gäller 19811218-9876"}, follow_redirects=True
    )
    assert "personnummer" in response.get_data(as_text=True)
    assert db.session.scalar(select(Comment)) is None


def test_transition_via_web_and_refusal_message(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    response = client.post(
        f"/arende/{item.id}/steg/paborja", {"version": item.version}, follow_redirects=True
    )
    assert "Påbörjad" in response.get_data(as_text=True)
    db.session.refresh(item)
    response = client.post(
        f"/arende/{item.id}/steg/genomford", {"version": item.version}, follow_redirects=True
    )
    assert "Fyll i först: vad som har gjorts" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.status == "paborjad"


def test_stale_save_via_web_is_refused(app, org, login_as):
    item = make(org)
    old_version = item.version
    first = login_as(org.chef_a1)
    first.post(f"/arende/{item.id}/steg/paborja", {"version": old_version})
    second = login_as(org.avdchef_a)
    response = second.post(
        f"/arende/{item.id}/makulera",
        {"version": old_version, "reason": "Dubblett"},
        follow_redirects=True,
    )
    assert "Någon annan har sparat ärendet" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.cancelled_at is None


def test_cancel_needs_reason_and_is_not_deletion(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    response = client.post(f"/arende/{item.id}/makulera", {"reason": ""}, follow_redirects=True)
    assert "Ange varför" in response.get_data(as_text=True)
    client.post(f"/arende/{item.id}/makulera", {"reason": "Dubblett av ATG-1"})
    db.session.refresh(item)
    assert item.is_cancelled and item.cancel_reason == "Dubblett av ATG-1"
    assert client.get(f"/atgarder/{item.ref}").status_code == 200  # still there


def test_medarbetare_cannot_cancel(app, org, login_as):
    item = make(org, owner_id=org.med_a1.id)
    client = login_as(org.med_a1)
    response = client.post(f"/arende/{item.id}/makulera", {"reason": "x"}, follow_redirects=True)
    assert "inte behörighet" in response.get_data(as_text=True)
    db.session.refresh(item)
    assert not item.is_cancelled


def test_link_items_and_invisible_target_is_not_revealed(app, org, login_as):
    first = make(org)
    second = make(org, title="Relaterad")
    hidden = make(org, unit_id=org.b1.id, owner_id=org.chef_b1.id, title="Annan avdelning")
    client = login_as(org.chef_a1)
    client.post(f"/arende/{first.id}/koppla", {"target": second.ref, "link_type": "relaterad"})
    page = client.get(f"/atgarder/{first.ref}").get_data(as_text=True)
    assert second.ref in page
    response = client.post(
        f"/arende/{first.id}/koppla",
        {"target": hidden.ref, "link_type": "relaterad"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "Hittar inget ärende" in text and "Annan avdelning" not in text


def test_attachment_limits(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    app.config["ATTACHMENT_MAX_BYTES"] = 100
    bad_type = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"MZ..."), "program.exe")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Filtypen är inte tillåten" in bad_type.get_data(as_text=True)
    too_big = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"x" * 101), "stor.txt")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "för stor" in too_big.get_data(as_text=True)
    assert db.session.scalar(select(Attachment)) is None
    ok = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"rutin"), "rutin.txt")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.filename == "rutin.txt" and attachment.size == 5


def test_inbox_shows_owned_items_with_due_dates(app, org, login_as):
    from kvalitet.core import clock

    clock.freeze(clock.local_now().replace(year=2026, month=11, day=22))
    make(org, title="Försenad åtgärd", due_date=date(2026, 11, 1))
    make(org, title="Snart dags", due_date=date(2026, 11, 30))
    make(org, title="Någon annans", owner_id=org.chef_a2.id, unit_id=org.a2.id)
    client = login_as(org.chef_a1)
    text = client.get("/").get_data(as_text=True)
    assert "Försenad åtgärd" in text and "Snart dags" in text and "Någon annans" not in text
    overdue = client.get("/?visa=forsenade").get_data(as_text=True)
    assert "Försenad åtgärd" in overdue and "Snart dags" not in overdue


def test_every_change_leaves_an_audit_row(app, org, login_as):
    item = make(org)
    client = login_as(org.chef_a1)
    before = db.session.scalar(
        select(db.func.count(AuditEntry.id)).where(AuditEntry.item_id == item.id)
    )
    client.post(f"/arende/{item.id}/kommentar", {"body": "Hej"})
    client.post(f"/arende/{item.id}/steg/paborja", {"version": item.version})
    after = db.session.scalar(
        select(db.func.count(AuditEntry.id)).where(AuditEntry.item_id == item.id)
    )
    assert after == before + 2


def test_text_search_takes_percent_literally(app, org):
    from kvalitet.core.permissions import visible_clause
    from kvalitet.items.models import Item
    from kvalitet.items.queries import in_subtree, text_match

    make(org, title="Rutin 100% klar")
    make(org, title="Annan rutin")
    make(org, title="Rutin i B1", unit_id=org.b1.id, owner_id=org.chef_b1.id)

    def titles(*conditions):
        query = select(Item.title).where(visible_clause(org.kvalitet), *conditions)
        return sorted(db.session.scalars(query))

    assert titles(text_match("100%")) == ["Rutin 100% klar"]
    assert titles(text_match("%")) == ["Rutin 100% klar"]
    assert titles(text_match("RUTIN"), in_subtree(org.avd_a)) == ["Annan rutin", "Rutin 100% klar"]
    assert titles(in_subtree(org.b1)) == ["Rutin i B1"]
