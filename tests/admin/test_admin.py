from datetime import date

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.operations import new_item
from kvalitet.org.models import Unit, User


def test_only_admin_reaches_admin_pages(app, org, login_as):
    assert login_as(org.chef_a1).get("/admin/enheter").status_code == 403
    assert login_as(org.admin).get("/admin/enheter").status_code == 200


def test_create_rename_move_and_deactivate_unit(app, org, login_as):
    admin = login_as(org.admin)
    response = admin.post(
        "/admin/enheter/ny", {"name": "Team Nord", "kind": "team", "parent_id": org.a1.id}
    )
    assert response.status_code == 302
    team = db.session.scalar(select(Unit).where(Unit.name == "Team Nord"))
    assert team.path == f"{org.a1.path}{team.id}/"
    # Move the team from A1 to B1: its path follows, and B1's chef now covers it.
    response = admin.post(
        f"/admin/enheter/{team.id}",
        {"name": "Team Nordväst", "kind": "team", "parent_id": org.b1.id},
    )
    assert response.status_code == 302
    db.session.refresh(team)
    assert team.name == "Team Nordväst"
    assert team.path.startswith(org.b1.path)
    # Deactivate.
    admin.post(f"/admin/enheter/{team.id}/aktiv", {"active": "0"})
    db.session.refresh(team)
    assert team.active is False
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit_changed"))


def test_moving_avdelning_moves_its_subtree(app, org, login_as):
    admin = login_as(org.admin)
    admin.post(
        f"/admin/enheter/{org.avd_a.id}",
        {"name": "Avdelning A", "kind": "avdelning", "parent_id": org.namnd.id},
    )
    db.session.refresh(org.a1)
    assert org.a1.path == f"{org.namnd.path}{org.avd_a.id}/{org.a1.id}/"
    assert org.a1.depth == 2


def test_unit_cannot_move_into_itself(app, org, login_as):
    admin = login_as(org.admin)
    response = admin.post(
        f"/admin/enheter/{org.avd_a.id}",
        {"name": "Avdelning A", "kind": "avdelning", "parent_id": org.a1.id},
    )
    assert response.status_code == 200
    assert "under sig själv" in response.get_data(as_text=True)
    db.session.refresh(org.avd_a)
    assert org.avd_a.parent_id == org.forv.id


def test_unit_with_items_cannot_be_deleted(app, org, login_as):
    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit

    empty = create_unit(None, "Tom enhet", UnitKind.ENHET, org.avd_b)
    used = create_unit(None, "Använd enhet", UnitKind.ENHET, org.avd_b)
    new_item(Atgard, org.chef_b1, title="x", unit_id=used.id, due_date=date(2026, 12, 1))
    db.session.commit()
    admin = login_as(org.admin)
    response = admin.post(f"/admin/enheter/{used.id}/ta-bort", follow_redirects=True)
    assert "har ärenden" in response.get_data(as_text=True)
    assert db.session.get(Unit, used.id) is not None
    admin.post(f"/admin/enheter/{empty.id}/ta-bort")
    db.session.expire_all()
    assert db.session.get(Unit, empty.id) is None


def test_create_user_and_grant_role(app, org, login_as):
    admin = login_as(org.admin)
    response = admin.post(
        "/admin/anvandare/ny",
        {"name": "Ny Person", "email": "ny.person@test.se", "title": "Handläggare",
         "home_unit_id": org.a1.id, "active": "y", "password": "forsta-losen-1"},
    )  # fmt: skip
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ny.person@test.se"))
    response = admin.post(
        f"/admin/anvandare/{user.id}/roller",
        {"role-role": "enhetschef", "role-unit_id": org.a2.id},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert [(r.role, r.unit_id) for r in user.roles] == [("enhetschef", org.a2.id)]


def test_duplicate_email_is_refused_with_message(app, org, login_as):
    admin = login_as(org.admin)
    response = admin.post(
        "/admin/anvandare/ny",
        {"name": "Dubbel", "email": org.chef_a1.email, "home_unit_id": 0, "password": "abcdefgh1"},
    )
    assert response.status_code == 200
    assert "finns redan" in response.get_data(as_text=True)


def test_audit_log_is_searchable(app, org, login_as):
    new_item(Atgard, org.chef_a1, title="Sökbar", unit_id=org.a1.id)
    db.session.commit()
    admin = login_as(org.admin)
    text = admin.get("/admin/logg?q=ATG-").get_data(as_text=True)
    assert "ATG-" in text and "skapades" in text
    assert login_as(org.chef_a1).get("/admin/logg").status_code == 403


GARBAGE = ["", " ", "x" * 5000, "<script>alert(1)</script>", "'; DROP TABLE unit; --", "\x00",
           "-1", "99999999999999999999", "ä" * 300]  # fmt: skip


def test_garbage_in_admin_forms_never_500(app, org, login_as):
    admin = login_as(org.admin)
    for value in GARBAGE:
        for url, fields in [
            ("/admin/enheter/ny", ["name", "kind", "parent_id"]),
            (f"/admin/enheter/{org.a1.id}", ["name", "kind", "parent_id"]),
            ("/admin/anvandare/ny", ["name", "email", "title", "home_unit_id", "password"]),
            (f"/admin/anvandare/{org.med_a1.id}", ["name", "email", "home_unit_id"]),
            (f"/admin/anvandare/{org.med_a1.id}/roller", ["role-role", "role-unit_id"]),
            ("/logga-in", ["email", "password"]),
            ("/konto", ["current", "new", "repeat"]),
        ]:
            response = admin.post(url, {f: value for f in fields})
            assert response.status_code < 500, (url, value)
    assert db.session.scalar(select(Unit).where(Unit.name == "'; DROP TABLE unit; --")) is None


def test_unknown_ids_give_friendly_404(app, org, login_as):
    admin = login_as(org.admin)
    for url in ["/admin/enheter/999999", "/admin/anvandare/999999", "/arende/ATG-2099-9999",
                "/atgarder/nonsense", "/bilaga/424242", "/finns-inte"]:  # fmt: skip
        response = admin.get(url)
        assert response.status_code == 404, url
        assert "Sidan finns inte" in response.get_data(as_text=True)


def test_unexpected_error_gives_swedish_500_and_saves_nothing(app, org, login_as):
    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit

    @app.route("/test-krasch", methods=["POST"])
    def crash():
        create_unit(None, "Halvsparad", UnitKind.TEAM, None)
        db.session.flush()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = login_as(org.admin)
    response = client.post("/test-krasch")
    assert response.status_code == 500
    assert "Något gick fel" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(Unit).where(Unit.name == "Halvsparad")) is None


def test_configurable_lists_add_and_deactivate_with_audit(app, org, login_as):
    from kvalitet.items.models import ListEntry, QualityArea

    assert login_as(org.chef_a1).get("/admin/listor").status_code == 403
    client = login_as(org.kvalitet)
    page = client.get("/admin/listor").get_data(as_text=True)
    assert "Trygghet och säkerhet" in page  # the seeded quality areas
    client.post("/admin/listor", {"list_key": "quality_area", "label": "Delaktighet"})
    again = client.post(
        "/admin/listor", {"list_key": "quality_area", "label": "Delaktighet"}, follow_redirects=True
    )
    assert "finns redan" in again.get_data(as_text=True)
    area = db.session.scalar(select(QualityArea).where(QualityArea.name == "Delaktighet"))
    assert area is not None and area.active
    client.post(f"/admin/listor/quality_area/{area.id}/aktiv")
    db.session.refresh(area)
    assert area.active is False
    unknown = client.post("/admin/listor", {"list_key": "finns_inte", "label": "x"},
                          follow_redirects=True)  # fmt: skip
    assert "Okänd lista" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(ListEntry).where(ListEntry.label == "x")) is None
    actions = set(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target == "list:quality_area")))  # fmt: skip
    assert actions == {"list_added", "list_deactivated"}


def test_unit_life_dates_in_the_admin_form(app, org, login_as):
    admin = login_as(org.admin)
    page = admin.get(f"/admin/enheter/{org.a1.id}").get_data(as_text=True)
    assert 'for="founded_on"' in page and 'for="closed_on"' in page
    fields = {"name": "Enhet A1", "kind": "enhet", "parent_id": org.avd_a.id}
    refused = admin.post(
        f"/admin/enheter/{org.a1.id}",
        {**fields, "founded_on": "2020-01-01", "closed_on": "2019-12-31"},
    )
    assert refused.status_code == 200
    assert "före den startade" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, org.a1.id).founded_on is None
    saved = admin.post(f"/admin/enheter/{org.a1.id}", {**fields, "founded_on": "2012-09-01"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, org.a1.id).founded_on == date(2012, 9, 1)
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.summary.like("Ändrade enhetens start- och nedläggningsdatum%")
        )
    )
    made = admin.post(
        "/admin/enheter/ny",
        {
            "name": "Gammal",
            "kind": "enhet",
            "parent_id": org.avd_a.id,
            "founded_on": "2001-01-01",
            "closed_on": "2000-01-01",
        },
    )
    assert made.status_code == 200
    assert db.session.scalar(select(Unit).where(Unit.name == "Gammal")) is None


def test_user_search_folds_swedish_letters(app, org, login_as):
    from tests.conftest import make_user

    make_user("Örjan Åkesson", None, org.a1, email="orjan@test.se")
    admin = login_as(org.admin)
    assert "Örjan Åkesson" in admin.get("/admin/anvandare?q=örjan").get_data(as_text=True)
    assert "Örjan Åkesson" in admin.get("/admin/anvandare?q=ÅKESS").get_data(as_text=True)
    assert "Örjan Åkesson" not in admin.get("/admin/anvandare?q=orjan a").get_data(as_text=True)
