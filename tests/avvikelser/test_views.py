from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from kvalitet.avvikelser.models import Avvikelse, AvvikelseStatus
from kvalitet.extensions import db
from tests.avvikelser.helpers import category, report

VALID_PNR = "19121212-1212"  # Skatteverket's test number: valid Luhn digit
FAILING_NUMBER = "1234567890"  # ten digits, fails the Luhn check


def _form(**extra):  # type: ignore[no-untyped-def]
    data = {
        "category_id": str(category().id),
        "description": "Beslutet skickades inte till den enskilde.",
        "event_at": "2026-11-20T10:00",
    }
    data.update(extra)
    return data


def test_report_by_form_gives_receipt_with_reference(org, login_as):  # type: ignore[no-untyped-def]
    client = login_as(org.med_a1)
    page = client.get("/avvikelser/ny")
    assert page.status_code == 200
    assert f'<option selected value="{org.a1.id}"' in page.get_data(as_text=True)
    response = client.post("/avvikelser/ny", _form(unit_id=str(org.a1.id)))
    assert response.status_code == 302
    item = db.session.scalars(db.select(Avvikelse)).one()
    assert response.headers["Location"].endswith(f"/avvikelser/{item.ref}/kvitto")
    receipt = client.get(f"/avvikelser/{item.ref}/kvitto").get_data(as_text=True)
    assert item.ref in receipt
    assert item.unit_id == org.a1.id
    assert item.event_at is not None and item.event_at.hour == 9  # 10:00 Stockholm = 09:00 UTC


def test_personnummer_refused_in_every_free_text_field(org, login_as):  # type: ignore[no-untyped-def]
    client = login_as(org.med_a1)
    for name in ("description", "consequence_actual", "consequence_possible",
                 "immediate_action", "external_party", "title"):  # fmt: skip
        response = client.post(
            "/avvikelser/ny", _form(unit_id=str(org.a1.id), **{name: f"Gäller {VALID_PNR} idag"})
        )
        assert response.status_code == 422, name
        assert "personnummer" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Avvikelse)).all() == []
    response = client.post(
        "/avvikelser/ny", _form(unit_id=str(org.a1.id), description=f"Ärende {FAILING_NUMBER}")
    )
    assert response.status_code == 302
    item = report(org.med_a1)
    chef = login_as(org.chef_a1)
    response = chef.post(f"/avvikelser/{item.ref}/analys", {
        "analys-analysis": f"Personen {VALID_PNR} fick fel besked", "analys-causes": "kompetens",
        "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    assert "personnummer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Avvikelse, item.id).analysis == ""


def test_other_unit_gets_404_and_no_title_in_list_or_export(org, login_as):  # type: ignore[no-untyped-def]
    mine = report(org.med_a1, title="Hemlig rubrik A1")
    other = report(org.chef_b1, unit=org.b1, title="Rubrik B1")
    chef_b = login_as(org.chef_b1)
    assert chef_b.get(f"/avvikelser/{mine.ref}").status_code == 404
    listing = chef_b.get("/avvikelser/").get_data(as_text=True)
    assert "Hemlig rubrik A1" not in listing and other.ref in listing
    export = chef_b.get("/avvikelser/?format=csv").get_data(as_text=True)
    assert "Hemlig rubrik A1" not in export
    med_a2 = login_as(org.med_a2)
    assert med_a2.get(f"/avvikelser/{mine.ref}").status_code == 404


def test_exports_contain_exactly_visible_filtered_rows(org, login_as):  # type: ignore[no-untyped-def]
    a1_first = report(org.med_a1, title="Första A1")
    a1_second = report(org.med_a2, unit=org.a1, title="Andra A1",
                       category_id=category("Sekretess och dataskydd").id)  # fmt: skip
    a2 = report(org.med_a2, title="A2 händelse")
    b1 = report(org.chef_b1, unit=org.b1, title="B1 händelse")
    hsl = report(org.med_a1, title="Läkemedel fel", health_care=True)

    def refs_csv(client, query=""):  # type: ignore[no-untyped-def]
        raw = client.get(f"/avvikelser/?format=csv{query}").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
        assert rows[0][0] == "Nummer"
        return sorted(r[0] for r in rows[1:])

    def refs_xlsx(client, query=""):  # type: ignore[no-untyped-def]
        data = client.get(f"/avvikelser/?format=xlsx{query}").data
        sheet = load_workbook(io.BytesIO(data)).active
        return sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))

    chef_a1 = login_as(org.chef_a1)
    expected = sorted([a1_first.ref, a1_second.ref, hsl.ref])
    assert refs_csv(chef_a1) == expected
    assert refs_xlsx(chef_a1) == expected
    cat = category("Sekretess och dataskydd").id
    assert refs_xlsx(chef_a1, f"&kategori={cat}") == [a1_second.ref]
    avd = login_as(org.avdchef_a)
    assert refs_csv(avd) == sorted([a1_first.ref, a1_second.ref, a2.ref, hsl.ref])
    assert refs_csv(avd, f"&enhet={org.a2.id}") == [a2.ref]
    assert refs_csv(login_as(org.mas)) == [hsl.ref]
    assert refs_csv(login_as(org.med_a1)) == sorted([a1_first.ref, hsl.ref])
    assert refs_csv(login_as(org.kvalitet)) == sorted(
        [a1_first.ref, a1_second.ref, a2.ref, b1.ref, hsl.ref]
    )
    assert refs_csv(login_as(org.lasare)) == []


def test_list_filters_and_free_text(org, login_as):  # type: ignore[no-untyped-def]
    from kvalitet.avvikelser.operations import analyse_avvikelse

    low = report(org.med_a1, title="Telefon")
    high = report(org.med_a1, title="Utbetalning sen", description="Pengarna kom fram sent")
    analyse_avvikelse(org.chef_a1, high, consequence=4, likelihood=3)
    client = login_as(org.chef_a1)
    body = client.get("/avvikelser/?allvarlighet=4").get_data(as_text=True)
    assert high.ref in body and low.ref not in body
    body = client.get("/avvikelser/?q=pengarna").get_data(as_text=True)
    assert high.ref in body and low.ref not in body
    body = client.get(f"/avvikelser/?status={AvvikelseStatus.UNDER_UTREDNING}").get_data(
        as_text=True
    )
    assert high.ref in body and low.ref not in body


def test_chef_web_flow_close_refused_then_closed(org, login_as):  # type: ignore[no-untyped-def]
    from kvalitet.atgarder.models import Atgard

    item = report(org.med_a1)
    chef = login_as(org.chef_a1)
    assert chef.post(f"/avvikelser/{item.ref}/utredare",
                     {"utredare-owner_id": str(org.chef_a1.id)}).status_code == 302  # fmt: skip
    response = chef.post(f"/arende/{item.id}/steg/avsluta", {"version": "3"},
                         follow_redirects=True)  # fmt: skip
    assert "analysen (orsaker) är inte skriven" in response.get_data(as_text=True)
    db.session.expire_all()
    item = db.session.get(Avvikelse, item.id)
    assert chef.post(f"/avvikelser/{item.ref}/analys", {
        "analys-analysis": "Rutinen var okänd för nyanställda.", "analys-causes": ["kompetens",
        "rutin_saknas"], "analys-consequence": "2", "analys-likelihood": "3",
        "version": str(item.version)}).status_code == 302  # fmt: skip
    response = chef.post(f"/avvikelser/{item.ref}/atgard", {
        "atgard-title": "Introduktion för nyanställda", "atgard-atgard_typ": "forebyggande",
        "atgard-unit_id": str(org.a1.id), "atgard-owner_id": str(org.chef_a1.id),
        "atgard-due_date": "2026-12-31"})  # fmt: skip
    assert response.status_code == 302
    action = db.session.scalars(db.select(Atgard)).one()
    db.session.expire_all()
    item = db.session.get(Avvikelse, item.id)
    response = chef.post(f"/arende/{item.id}/steg/avsluta", {"version": str(item.version)},
                         follow_redirects=True)  # fmt: skip
    assert f"{action.ref} är inte genomförd" in response.get_data(as_text=True)
    assert sorted(item.cause_codes) == ["kompetens", "rutin_saknas"] and item.severity == 6
