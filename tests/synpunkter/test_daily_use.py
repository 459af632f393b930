"""Issue 19 for synpunkter: short titles (or proposed ones) in every form, the e-tjänst's
logo from settings, help links, and a case page whose forms keep what was typed."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.models import Synpunkt
from tests.synpunkter.test_views import PUBLIC, public_post

LONG = ("Min pappa har väntat i sex veckor på ett besked om sin ansökan om hemtjänst och "
        "ingen har ringt tillbaka trots att vi har lämnat flera meddelanden.")  # fmt: skip


def _items() -> list[Synpunkt]:
    return list(db.session.scalars(select(Synpunkt).order_by(Synpunkt.id)))


def test_public_title_is_kept_or_proposed_from_the_first_words(client, org):  # type: ignore[no-untyped-def]
    page = client.get(PUBLIC).get_data(as_text=True)
    assert "Rubrik (kort)" in page
    assert public_post(client, description=LONG).status_code == 302
    assert public_post(client, description=LONG, title="Väntar på besked").status_code == 302
    proposed, own = _items()
    assert proposed.title.startswith("Klagomål: Min pappa har väntat i sex veckor")
    assert proposed.title.endswith("…") and len(proposed.title) <= len("Klagomål: ") + 60
    assert own.title == "Väntar på besked"
    response = public_post(client, description=LONG, title="Gäller 19121212-1212")
    assert response.status_code == 422 and "personnummer" in response.get_data(as_text=True)
    assert len(_items()) == 2


def test_staff_forms_take_a_title_and_link_to_help(org, login_as):  # type: ignore[no-untyped-def]
    reg = login_as(org.registrator)
    page = reg.get("/synpunkter/ny").get_data(as_text=True)
    assert "Rubrik (kort)" in page and 'href="/hjalp/synpunkt"' in page
    response = reg.post("/synpunkter/ny", {
        "received_date": clock.today().isoformat(), "kanal": "brev", "kalla": "narstaende",
        "typ": "synpunkt", "unit_id": str(org.a2.id), "theme_id": "", "description": LONG,
        "title": "Lång väntan på besked"})  # fmt: skip
    assert response.status_code == 302
    med = login_as(org.med_a1)
    page = med.get("/synpunkter/muntlig").get_data(as_text=True)
    assert "Rubrik (kort)" in page and 'href="/hjalp/synpunkt"' in page
    response = med.post("/synpunkter/muntlig", {
        "unit_id": str(org.a1.id), "typ": "forslag", "kalla": "brukare", "theme_id": "",
        "description": "Fler aktiviteter på helgerna. Gärna utomhus.",
        "anonymous": "y"})  # fmt: skip
    assert response.status_code == 302
    written, oral = _items()
    assert written.title == "Lång väntan på besked"
    assert oral.title == "Förslag: Fler aktiviteter på helgerna"
    chef = login_as(org.chef_a2)
    assert 'href="/hjalp/synpunkt"' in chef.get(f"/synpunkter/{written.ref}").get_data(as_text=True)


def test_etjanst_logo_from_settings(app, client, org):  # type: ignore[no-untyped-def]
    assert 'data-testid="kommun-logo"' not in client.get(PUBLIC).get_data(as_text=True)
    folder = Path(app.instance_path) / "static"
    folder.mkdir(parents=True, exist_ok=True)
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    (folder / "kommunlogo.png").write_bytes(png)
    app.config["KOMMUN_LOGO_URL"] = "kommunlogo.png"
    page = client.get(PUBLIC).get_data(as_text=True)
    tag = re.search(r'<img[^>]*data-testid="kommun-logo"[^>]*>', page)
    assert tag is not None
    assert f'alt="{app.config["ORGANISATION_NAME"]}"' in tag.group(0)
    src = re.search(r'src="([^"]+)"', tag.group(0)).group(1)  # type: ignore[union-attr]
    image = client.get(src)
    assert image.status_code == 200 and image.data == png
    assert image.headers["Content-Type"] == "image/png"
    # a path outside instance/static/ or a missing file gives no logo (and no file)
    app.config["KOMMUN_LOGO_URL"] = "../secret_key"
    assert 'data-testid="kommun-logo"' not in client.get(PUBLIC).get_data(as_text=True)
    assert client.get("/synpunkter/lamna/logo").status_code == 404
    app.config["KOMMUN_LOGO_URL"] = "/static/img/logo.svg"
    assert 'src="/static/img/logo.svg"' in client.get(PUBLIC).get_data(as_text=True)


def test_refused_answer_keeps_its_text_and_the_acknowledgement_its_date(org, login_as):  # type: ignore[no-untyped-def]
    item = ops.public_submit(unit_id=org.a1.id, typ="klagomal", description="Fel i beslutet",
                             contact="070-1")  # fmt: skip
    ops.route(item, org.registrator)
    db.session.commit()
    chef = login_as(org.chef_a1)
    response = chef.post(f"/synpunkter/{item.ref}/svara", {
        "answer_text": "Vi har rättat beslutet och ber om ursäkt.", "explanation": "Ny rutin",
        "answered_date": "", "answer_method": "brev", "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ange datum." in page
    assert "Vi har rättat beslutet och ber om ursäkt." in page
    ack_date = re.search(r'<input[^>]*name="acknowledged_date"[^>]*>', page)
    assert ack_date is not None and f'value="{clock.today().isoformat()}"' in ack_date.group(0)
    db.session.refresh(item)
    assert item.answer_text in (None, "")


def _themes() -> list[int]:
    from kvalitet.items.models import ListEntry
    from kvalitet.synpunkter.models import THEME_LIST

    return list(db.session.scalars(
        select(ListEntry.id).where(ListEntry.list_key == THEME_LIST)
        .order_by(ListEntry.sort_order, ListEntry.label)
    ))  # fmt: skip


def test_several_themes_in_form_list_filter_statistics_and_api(app, org, login_as):  # type: ignore[no-untyped-def]
    from kvalitet.api.tokens import create_token
    from kvalitet.core.periods import recent_quality_years
    from kvalitet.synpunkter.stats import statistics
    from tests.api.conftest import ApiClient

    first, second, third = _themes()[:3]
    reg = login_as(org.registrator)
    page = reg.get("/synpunkter/ny").get_data(as_text=True)
    assert "<legend" in page and "Teman (välj alla som passar)" in page
    assert re.search(rf'<input[^>]*name="theme_ids"[^>]*value="{second}"', page)
    response = reg.post("/synpunkter/ny", {
        "received_date": clock.today().isoformat(), "kanal": "brev", "kalla": "narstaende",
        "typ": "klagomal", "unit_id": str(org.a1.id), "description": "Svårt att nå och fel besked",
        "theme_ids": [str(first), str(second)]})  # fmt: skip
    assert response.status_code == 302
    both = _items()[0]
    assert [t.id for t in both.themes] == [first, second] and both.theme_id == first
    one = ops.register(org.registrator, unit=org.a1, typ="synpunkt", kalla="brukare",
                       kanal="telefon", description="Lång väntan", theme_id=second)  # fmt: skip
    assert [t.id for t in one.themes] == [second]
    db.session.commit()
    chef = login_as(org.chef_a1)
    listed = chef.get(f"/synpunkter/?tema={second}").get_data(as_text=True)
    assert both.ref in listed and one.ref in listed
    listed = chef.get(f"/synpunkter/?tema={first}").get_data(as_text=True)
    assert both.ref in listed and one.ref not in listed
    detail = chef.get(f"/synpunkter/{both.ref}").get_data(as_text=True)
    labels = ", ".join(t.label for t in both.themes)
    assert f'data-testid="themes">{labels}<' in detail
    figures = statistics(org.avd_a, recent_quality_years(1)[0])
    by_tema = figures["by_tema"]
    assert figures["total"] == 2
    assert by_tema[both.themes[1].label] == 2 and by_tema[both.themes[0].label] == 1
    stats_page = login_as(org.kvalitet).get("/synpunkter/statistik").get_data(as_text=True)
    assert "räknas under vart och ett av sina teman" in stats_page
    # the API: theme_ids in, theme_ids out; the edit form keeps them
    _row, token = create_token(org.chef_a1, org.chef_a1, name="test")
    api = ApiClient(app, token)
    response = api.patch(f"/api/v1/synpunkter/{one.ref}", {"theme_ids": [third, first]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["fields"]["theme_ids"] == [first, third]
    assert response.get_json()["fields"]["theme_id"] == first
    response = api.patch(f"/api/v1/synpunkter/{one.ref}", {"theme_ids": [999999]})
    assert response.status_code == 422
    assert "theme_ids" in response.get_json()["error"]["fields"]
    edit = chef.get(f"/synpunkter/{one.ref}/andra").get_data(as_text=True)
    assert re.search(rf'<input checked[^>]*name="theme_ids"[^>]*value="{third}"', edit)
