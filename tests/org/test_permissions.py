"""Permissions from the outside: what each user can list, open and fetch."""

import io
from datetime import date

from kvalitet.atgarder.models import Atgard
from kvalitet.core.permissions import can, visible_clause
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.operations import add_attachment, new_item
from kvalitet.org.operations import grant_role


def make(org, unit, owner, title):
    item = new_item(Atgard, owner, title=title, unit_id=unit.id, owner_id=owner.id,
                    due_date=date(2026, 12, 1))  # fmt: skip
    db.session.commit()
    return item


def visible_titles(user):
    from sqlalchemy import select

    from kvalitet.items.models import Item

    return set(db.session.scalars(select(Item.title).where(visible_clause(user))))


def test_sibling_unit_chef_cannot_list_open_or_fetch(app, org, login_as):
    secret = make(org, org.a2, org.chef_a2, "Hemlig rubrik A2")
    add_attachment(secret, org.chef_a2, "plan.pdf", io.BytesIO(b"%PDF-1.4 test"))
    client = login_as(org.chef_a1)
    page = client.get(f"/atgarder/{secret.ref}")
    assert page.status_code == 404
    assert "Hemlig rubrik" not in page.get_data(as_text=True)
    assert client.get(f"/arende/{secret.ref}").status_code == 404
    assert client.get("/bilaga/1").status_code == 404
    inbox = client.get("/").get_data(as_text=True)
    assert "Hemlig rubrik" not in inbox
    # Posting to its routes reveals nothing either.
    assert client.post(f"/arende/{secret.id}/kommentar", {"body": "hej"}).status_code == 404
    assert "Hemlig rubrik A2" not in visible_titles(org.chef_a1)


def test_avdelningschef_sees_the_whole_avdelning(app, org, login_as):
    make(org, org.a1, org.chef_a1, "Åtgärd A1")
    make(org, org.a2, org.chef_a2, "Åtgärd A2")
    make(org, org.b1, org.chef_b1, "Åtgärd B1")
    assert visible_titles(org.avdchef_a) == {"Åtgärd A1", "Åtgärd A2"}
    client = login_as(org.avdchef_a)
    text = client.get("/enheter").get_data(as_text=True)
    assert "Enhet A1" in text and "Enhet A2" in text and "Enhet B1" not in text


def test_owner_sees_own_item_in_other_unit(app, org):
    item = make(org, org.b1, org.med_a1, "Ägs av medarbetare")
    assert can(org.med_a1, "view", item)
    assert can(org.med_a1, "edit", item)
    assert not can(org.med_a1, "cancel", item)
    assert not can(org.med_a2, "view", item)


def test_reader_and_registrator_see_no_actions(app, org):
    make(org, org.a1, org.chef_a1, "Åtgärd A1")
    assert visible_titles(org.lasare) == set()
    assert visible_titles(org.registrator) == set()


def test_role_at_higher_unit_covers_subtree(app, org):
    make(org, org.b1, org.chef_b1, "Åtgärd B1")
    grant_role(None, org.chef_a1, Role.AVDELNINGSCHEF, org.avd_b)
    assert "Åtgärd B1" in visible_titles(org.chef_a1)


def test_attachment_served_after_permission_check(app, org, login_as):
    item = make(org, org.a1, org.chef_a1, "Med bilaga")
    attachment = add_attachment(item, org.chef_a1, "rutin.txt", io.BytesIO(b"innehall"))
    own = login_as(org.chef_a1).get(f"/bilaga/{attachment.id}")
    assert own.status_code == 200 and own.data == b"innehall"
    assert login_as(org.chef_b1).get(f"/bilaga/{attachment.id}").status_code == 404
    assert login_as(org.avdchef_a).get(f"/bilaga/{attachment.id}").status_code == 200
