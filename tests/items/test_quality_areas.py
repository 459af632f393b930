"""Kvalitetsområden on every kind (issue 19 point 5): set on the case page by whoever may
edit the item, through the API, and counted on the statistics pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kvalitet.api.tokens import create_token
from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.periods import quality_year
from kvalitet.core.permissions import Detail
from kvalitet.extensions import db
from kvalitet.items.areas import WITHOUT_AREA, area_table, by_quality_area
from kvalitet.items.models import QualityArea
from kvalitet.items.operations import change_quality_areas
from kvalitet.synpunkter.models import Kalla, Kanal, SynpunktTyp
from kvalitet.synpunkter.operations import register
from tests.api.conftest import ApiClient
from tests.avvikelser.helpers import report


def _areas() -> list[QualityArea]:
    return list(db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order)))


def test_chef_sets_areas_on_an_avvikelse_from_its_page(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, org.a1)
    db.session.commit()
    first, second = _areas()[:2]
    chef = login_as(org.chef_a1)
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert "<legend" in page and "Vilka kvalitetsområden berör ärendet?" in page
    assert f'<label class="form-check-label" for="omrade-{first.id}">' in page
    response = chef.post(
        f"/arende/{item.id}/kvalitetsomraden",
        {"quality_area_ids": [str(first.id), str(second.id)], "version": str(item.version)},
    )
    assert response.status_code == 302
    db.session.refresh(item)
    assert [q.id for q in item.quality_areas] == [first.id, second.id]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.item_id == item.id, AuditEntry.action == "edit")
    ).one()
    assert entry.summary == "Ändrade kvalitetsområden"
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert f'value="{first.id}" id="omrade-{first.id}" checked' in page
    # an old version is refused (someone else saved first), nothing changes
    response = chef.post(
        f"/arende/{item.id}/kvalitetsomraden",
        {"quality_area_ids": [], "version": "1"},
    )
    assert response.status_code == 409
    db.session.refresh(item)
    assert len(item.quality_areas) == 2


def test_reporter_sees_areas_but_cannot_set_them_and_other_unit_gets_404(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, org.a1)
    first = _areas()[0]
    change_quality_areas(item, org.chef_a1, [first.id])
    db.session.commit()
    reporter = login_as(org.med_a1)
    page = reporter.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert first.name in page and "Spara kvalitetsområden" not in page
    response = reporter.post(f"/arende/{item.id}/kvalitetsomraden", {"quality_area_ids": []})
    assert response.status_code == 403
    other = login_as(org.chef_b1)
    response = other.post(f"/arende/{item.id}/kvalitetsomraden", {"quality_area_ids": []})
    assert response.status_code == 404
    db.session.refresh(item)
    assert [q.id for q in item.quality_areas] == [first.id]


def test_inactive_area_is_not_chosen_anew(org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, org.a1)
    old = _areas()[-1]
    old.active = False
    db.session.commit()
    chef = login_as(org.chef_a1)
    page = chef.get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert f'id="omrade-{old.id}"' not in page
    response = chef.post(
        f"/arende/{item.id}/kvalitetsomraden",
        {"quality_area_ids": [str(old.id)], "version": str(item.version)},
        follow_redirects=True,
    )
    assert "Kvalitetsområdet används inte längre." in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.quality_areas == []


def test_api_sets_areas_on_a_synpunkt_with_422_for_unknown(app, org):  # type: ignore[no-untyped-def]
    item = register(
        org.chef_a1, unit=org.a1, typ=SynpunktTyp.KLAGOMAL, kalla=Kalla.BRUKARE,
        kanal=Kanal.TELEFON, description="Svårt att nå handläggaren på telefon.",
    )  # fmt: skip
    _row, token = create_token(org.chef_a1, org.chef_a1, name="test")
    api = ApiClient(app, token)
    first = _areas()[0]
    url = f"/api/v1/synpunkter/{item.ref}/kvalitetsomraden"
    response = api.post(url, {"quality_area_ids": [first.id]})
    assert response.status_code == 200, response.get_json()
    assert [a["id"] for a in response.get_json()["quality_areas"]] == [first.id]
    response = api.post(url, {"quality_area_ids": [999999]})
    assert response.status_code == 422
    assert "quality_areas" in response.get_json()["error"]["fields"]
    spec = api.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/synpunkter/{ref}/kvalitetsomraden"]["post"]
    assert "422" in operation["responses"]


def test_statistics_count_each_area_of_an_item(org, login_as):  # type: ignore[no-untyped-def]
    first, second = _areas()[:2]
    clock.freeze(datetime(2025, 10, 15, 10, 0, tzinfo=clock.STOCKHOLM))
    both = report(org.med_a1, org.a1)
    change_quality_areas(both, org.chef_a1, [first.id, second.id])
    one = report(org.med_a1, org.a1)
    change_quality_areas(one, org.chef_a1, [first.id])
    report(org.med_a1, org.a1)  # none
    report(org.chef_b1, org.b1)  # another avdelning
    db.session.commit()
    period = quality_year(2025)
    now, before = by_quality_area("AVV", org.avd_a, [period, period.previous_year()])
    assert now[first.name] == 2 and now[second.name] == 1 and now[WITHOUT_AREA] == 1
    assert set(before.values()) == {0}
    assert by_quality_area("SYN", org.avd_a, [period])[0][first.name] == 0
    assert area_table("AVV", org.avd_a, period, Detail.AGGREGATE)["now"][first.name] == "<5"
    kv = login_as(org.kvalitet)
    body = kv.get(f"/avvikelser/statistik?enhet={org.avd_a.id}&ar=2025/26").get_data(as_text=True)
    assert 'data-testid="by-area"' in body and "Per kvalitetsområde" in body
    table = body.split('data-testid="by-area"')[1].split("</table>")[0]
    assert f'{first.name}</th><td class="text-end">2</td>' in table
    body = kv.get("/synpunkter/statistik").get_data(as_text=True)
    assert 'data-testid="by-area"' in body


def test_egenkontroll_and_lex_sarah_statistics_show_the_areas(org, login_as):  # type: ignore[no-untyped-def]
    kv = login_as(org.kvalitet)
    for url in ("/egenkontroll/statistik", "/lexsarah/statistik"):
        body = kv.get(url).get_data(as_text=True)
        assert 'data-testid="by-area"' in body and WITHOUT_AREA in body, url
