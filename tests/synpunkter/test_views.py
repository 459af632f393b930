"""Synpunkter from the outside: the public e-tjänst and its abuse protection, the pages of
registrator and chef, lists, exports and who may see what."""

from datetime import date

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.models import Synpunkt

PUBLIC = "/synpunkter/lamna"


def count() -> int:
    return db.session.scalar(select(func.count(Synpunkt.id)))


def public_post(client, **fields):
    data = {"typ": "klagomal", "unit_id": "", "kalla": "narstaende",
            "description": "Min mamma fick vänta länge på svar.", "name": "", "contact": "",
            "webbplats": "", "csrf_token": client.token(PUBLIC)}  # fmt: skip
    data.update(fields)
    return client.post(PUBLIC, data)


def test_public_page_needs_no_login_and_lists_public_units_only(client, org):
    page = client.get(PUBLIC)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Enhet A1" in html and "Enhet B1" in html
    assert "Avdelning A" not in html
    assert 'name="csrf_token"' in html


def test_public_submission_gives_diarienummer_and_lands_with_registrator(client, org, login_as):
    response = public_post(client, unit_id=str(org.a1.id), contact="anna@example.se")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    item = db.session.scalar(select(Synpunkt))
    assert item.diarienummer in html and "Vad händer nu?" in html
    assert item.status == "inkommen" and item.unit_id == org.a1.id
    # Reloading the receipt sends nothing again; without a submission there is no receipt.
    assert client.get("/synpunkter/lamna/tack").status_code == 200
    assert count() == 1
    from tests.conftest import Client

    assert (
        Client(client.raw.application.test_client()).get("/synpunkter/lamna/tack").status_code
        == 302
    )
    registrator = login_as(org.registrator)
    assert item.ref in registrator.get("/").get_data(as_text=True)  # Mina ärenden
    assert item.diarienummer in registrator.get("/synpunkter/").get_data(as_text=True)


def test_honeypot_is_silently_dropped(client, org):
    response = public_post(client, webbplats="http://spam.example")
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"])
    assert receipt.status_code == 200 and "Tack" in receipt.get_data(as_text=True)
    assert count() == 0


def test_burst_from_one_address_is_slowed_down_with_a_clear_message(client, org):
    for _ in range(5):
        assert public_post(client).status_code == 302
    response = public_post(client)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "många gånger på kort tid" in html and "Vänta en stund" in html
    assert count() == 5
    # Reading the page is still allowed.
    assert client.get(PUBLIC).status_code == 200


def test_personnummer_is_refused_at_the_field_and_nothing_saved(client, org):
    response = public_post(client, description="Det gäller 19121212-1212.")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "personnummer" in html and "description-fel" in html
    assert count() == 0
    assert db.session.scalar(select(func.count(Item.id))) == 0


def test_size_limits(client, org, app):
    app.config["SYNPUNKT_PUBLIC_MAX_CHARS"] = 100
    response = public_post(client, description="x" * 101)
    assert response.status_code == 422 and "för lång" in response.get_data(as_text=True)
    response = public_post(client, name="n" * 201)
    assert response.status_code == 422 and "Högst 200 tecken" in response.get_data(as_text=True)
    response = public_post(client, description="x" * 100_000)
    assert response.status_code == 413
    assert count() == 0


def test_missing_fields_and_missing_csrf(client, org):
    response = public_post(client, description="", typ="")
    assert response.status_code == 422
    assert "Skriv vad du vill berätta" in response.get_data(as_text=True)
    response = client.post(PUBLIC, {"typ": "synpunkt", "description": "Hej"}, csrf=False)
    assert response.status_code == 400
    assert count() == 0


def test_registrator_routes_and_chef_answers(org, login_as):
    item = ops.public_submit(unit_id=org.a1.id, typ="klagomal", description="Fel i beslutet",
                             contact="070-1")  # fmt: skip
    reg = login_as(org.registrator)
    assert reg.post(f"/synpunkter/{item.ref}/granska", {"version": item.version}).status_code == 302
    chef = login_as(org.chef_a1)
    page = chef.get(f"/synpunkter/{item.ref}").get_data(as_text=True)
    assert "Bekräfta mottagandet" in page and "Registrera svaret" in page
    response = chef.post(
        f"/synpunkter/{item.ref}/svara",
        {"answer_text": "", "answered_date": clock.today().isoformat(), "answer_method": "brev"},
    )
    assert response.status_code == 422
    assert "Skriv svaret" in response.get_data(as_text=True)
    response = chef.post(
        f"/synpunkter/{item.ref}/svara",
        {
            "answer_text": "Vi har rättat beslutet.",
            "explanation": "Ny rutin för kontroll.",
            "answered_date": clock.today().isoformat(),
            "answer_method": "brev",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(Synpunkt, item.id)
    assert item.status == "besvarad" and item.answer_text == "Vi har rättat beslutet."


def test_other_unit_gets_404_and_no_title_in_list_or_export(org, login_as):
    item = ops.register(org.registrator, unit=org.a1, typ="klagomal", kalla="brukare",
                        kanal="telefon", description="Hemligt bemötandeärende")  # fmt: skip
    other = login_as(org.chef_b1)
    response = other.get(f"/synpunkter/{item.ref}")
    assert response.status_code == 404
    assert "Hemligt" not in response.get_data(as_text=True)
    assert "Hemligt" not in other.get("/synpunkter/").get_data(as_text=True)
    assert "Hemligt" not in other.get("/synpunkter/?format=csv").get_data(as_text=True)
    own = login_as(org.chef_a1)
    csv = own.get("/synpunkter/?format=csv").get_data(as_text=True)
    assert "Hemligt" in csv and item.diarienummer in csv
    assert own.get("/synpunkter/?format=xlsx").status_code == 200
    assert login_as(org.med_a2).get(f"/synpunkter/{item.ref}").status_code == 404


def test_list_filters(org, login_as):
    ops.register(org.registrator, unit=org.a1, typ="berom", kalla="brukare", kanal="brev",
                 description="Beröm för gott bemötande")  # fmt: skip
    ops.register(org.registrator, unit=org.b1, typ="klagomal", kalla="myndighet", kanal="e_post",
                 description="Klagomål på handläggningstid")  # fmt: skip
    reg = login_as(org.registrator)
    html = reg.get("/synpunkter/?typ=berom").get_data(as_text=True)
    assert "Beröm för gott" in html and "handläggningstid" not in html
    html = reg.get(f"/synpunkter/?enhet={org.avd_b.id}").get_data(as_text=True)
    assert "Beröm för gott" not in html and "handläggningstid" in html
    html = reg.get("/synpunkter/?kanal=e_post&kalla=myndighet").get_data(as_text=True)
    assert "handläggningstid" in html
    html = reg.get("/synpunkter/?fran=2099-01-01").get_data(as_text=True)
    assert "handläggningstid" not in html


def test_register_form(org, login_as):
    reg = login_as(org.registrator)
    assert reg.get("/synpunkter/ny").status_code == 200
    data = {
        "received_date": clock.today().isoformat(),
        "kanal": "brev",
        "kalla": "narstaende",
        "typ": "klagomal",
        "unit_id": str(org.a2.id),
        "theme_id": "",
        "description": "Brev om 19121212-1212",
        "contact_name": "",
        "contact_info": "",
    }
    response = reg.post("/synpunkter/ny", data)
    assert response.status_code == 422 and "personnummer" in response.get_data(as_text=True)
    assert count() == 0
    data["description"] = "Brev om sena besked"
    response = reg.post("/synpunkter/ny", data)
    assert response.status_code == 302
    item = db.session.scalar(select(Synpunkt))
    assert item.unit_id == org.a2.id and item.status == "mottagen"


def test_any_employee_registers_oral_synpunkt(org, login_as):
    med = login_as(org.med_a1)
    page = med.get("/synpunkter/muntlig")
    assert page.status_code == 200
    response = med.post(
        "/synpunkter/muntlig",
        {
            "unit_id": str(org.a1.id),
            "typ": "forslag",
            "kalla": "narstaende",
            "theme_id": "",
            "description": "Föreslog digitala möten",
            "anonymous": "y",
        },
    )
    assert response.status_code == 302
    item = db.session.scalar(select(Synpunkt))
    assert item.kanal == "muntligt" and item.reporter_id == org.med_a1.id
    assert med.get(response.headers["Location"]).status_code == 200
    assert med.get("/synpunkter/").status_code == 302  # to the employee's own list


def test_statistics_page_and_read_only_suppression(org, login_as):
    for _ in range(6):
        ops.register(org.registrator, unit=org.a1, typ="klagomal", kalla="brukare",
                     kanal="brev", description="Klagomål")  # fmt: skip
    ops.register(org.registrator, unit=org.a1, typ="berom", kalla="brukare", kanal="brev",
                 description="Beröm")  # fmt: skip
    html = login_as(org.kvalitet).get("/synpunkter/statistik").get_data(as_text=True)
    assert 'data-testid="total">7<' in html and "<svg" in html
    html = login_as(org.lasare).get("/synpunkter/statistik").get_data(as_text=True)
    assert "&lt;5" in html and "Klagomål" in html
    assert login_as(org.med_a1).get("/synpunkter/statistik").status_code == 403


def test_anonymous_item_offers_closing_not_answering(org, login_as):
    item = ops.register(org.registrator, unit=org.a1, typ="synpunkt", kalla="brukare",
                        kanal="brev", description="Anonymt brev", anonymous=True)  # fmt: skip
    chef = login_as(org.chef_a1)
    html = chef.get(f"/synpunkter/{item.ref}").get_data(as_text=True)
    assert "Registrera svaret" not in html and "Avsluta utan svar" in html
    assert "Ange ett skäl." not in html
    data = {"version": item.version, "reason": "Anonymt, tas upp på APT"}
    response = chef.post(f"/arende/{item.id}/steg/avsluta", data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Synpunkt, item.id).status == "avslutad"


def test_edit_registration_moves_to_other_unit(org, login_as):
    item = ops.public_submit(unit_id="", typ="synpunkt", description="Vet inte vilken enhet",
                             contact="070-2")  # fmt: skip
    reg = login_as(org.registrator)
    page = reg.get(f"/synpunkter/{item.ref}/andra")
    assert page.status_code == 200
    data = {"received_date": item.received_date.isoformat(), "kanal": "e_tjanst",
            "kalla": "brukare", "typ": "klagomal", "unit_id": str(org.b1.id), "theme_id": "",
            "description": "Vet inte vilken enhet", "contact_name": "",
            "contact_info": "070-2", "version": str(item.version)}  # fmt: skip
    assert reg.post(f"/synpunkter/{item.ref}/andra", data).status_code == 302
    db.session.expire_all()
    item = db.session.get(Synpunkt, item.id)
    assert item.unit_id == org.b1.id and item.typ == "klagomal"
    assert item.owner_id == org.chef_b1.id
    # A stale version is refused with a message, nothing changes.
    data["typ"] = "berom"
    response = reg.post(f"/synpunkter/{item.ref}/andra", data)
    assert response.status_code == 422 and "Någon annan har sparat" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Synpunkt, item.id).typ == "klagomal"
    # A chef outside the unit cannot open the form.
    assert login_as(org.chef_a1).get(f"/synpunkter/{item.ref}/andra").status_code == 404


def test_statistics_for_a_custom_period(org, login_as):
    ops.register(org.registrator, unit=org.a1, typ="klagomal", kalla="brukare", kanal="brev",
                 description="Klagomål", received_date=date(2024, 5, 2))  # fmt: skip
    kv = login_as(org.kvalitet)
    html = kv.get("/synpunkter/statistik?fran=2024-05-01&till=2024-05-31").get_data(as_text=True)
    assert 'data-testid="total">1<' in html
    html = kv.get("/synpunkter/statistik?fran=2024-06-01&till=2024-06-30").get_data(as_text=True)
    assert 'data-testid="total">0<' in html
