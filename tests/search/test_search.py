"""Search across kinds: reference straight to the item, full-text with Swedish letters,
the policy's visibility in SQL, facets, the index kept as items change and rebuilt."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text, update

from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.search import index
from tests.avvikelser.helpers import report
from tests.conftest import browser_login


def _hits(client, q: str, **args) -> str:
    response = client.get("/sok", query_string={"q": q, **args})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_reference_goes_straight_to_the_item_only_if_visible(org, login_as):
    item = report(org.med_a1, unit=org.a1, description="Mötet i mars blev inte av.")
    response = login_as(org.chef_a1).get("/sok", query_string={"q": item.ref.lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/{item.ref}")
    # A chef of another unit gets a search page with no hit, not the item.
    other = _hits(login_as(org.chef_b1), item.ref)
    assert "0 träffar" in other and "Mötet i mars" not in other


def test_words_find_what_the_user_may_see_and_nothing_else(org, login_as):
    mine = report(org.med_a1, unit=org.a1, description="Brukaren missade mötet på förmiddagen.")
    theirs = report(org.chef_b1, unit=org.b1, description="Brukaren missade mötet i Enhet B1.")
    other = report(org.med_a1, unit=org.a1, description="Medicinen gavs för sent.")
    page = _hits(login_as(org.chef_a1), "missade")
    assert mine.ref in page and theirs.ref not in page and other.ref not in page
    assert "1 träffar" in page
    # å, ä, ö: a word and the start of a word, any case.
    for q in ("förmiddagen", "FÖRMIDDAG", "mötet", "möt"):
        page = _hits(login_as(org.chef_a1), q)
        assert mine.ref in page and theirs.ref not in page, q
    # "mote" (without ö) is another word: no hit.
    assert mine.ref not in _hits(login_as(org.chef_a1), "moteX")


def test_facets_count_and_filter_in_sql(org, login_as):
    a1 = report(org.med_a1, unit=org.a1, description="Larmet fungerade inte.")
    a2 = report(org.med_a2, unit=org.a2, description="Larmet tystnade.")
    client = login_as(org.avdchef_a)
    page = _hits(client, "larmet")
    assert a1.ref in page and a2.ref in page
    assert "Enhet A1 (1)" in page and "Enhet A2 (1)" in page and "Avvikelser (2)" in page
    filtered = _hits(client, "larmet", enhet=str(org.a2.id))
    assert a2.ref in filtered and a1.ref not in filtered
    closed = _hits(client, "larmet", status="avslutade")
    assert a1.ref not in closed and a2.ref not in closed


def test_index_follows_changes_and_rebuilds(org, login_as):
    # A title of its own: one proposed from the description would keep the old word.
    item = report(org.med_a1, unit=org.a1, title="Entrén", description="Dörren var olåst.")
    db.session.commit()
    assert item.ref in _hits(login_as(org.chef_a1), "olåst")
    item.description = "Fönstret stod öppet."
    db.session.commit()
    client = login_as(org.chef_a1)
    assert item.ref not in _hits(client, "olåst")
    assert item.ref in _hits(client, "fönstret")
    db.session.execute(text("DELETE FROM search_fts"))
    assert item.ref not in _hits(login_as(org.chef_a1), "fönstret")
    assert index.rebuild() == db.session.scalar(select(db.func.count(Item.id)))
    assert item.ref in _hits(login_as(org.chef_a1), "fönstret")
    # The rebuild (in SQL) writes what the session hook writes (in Python).
    by_id = {
        "postgresql": "SELECT body FROM search_fts WHERE item_id = :id",
        "sqlite": "SELECT body FROM search_fts WHERE rowid = :id",
    }[db.engine.dialect.name]
    rebuilt = db.session.scalar(text(by_id), {"id": item.id})
    assert rebuilt == index.document(db.session.get(Item, item.id))


def test_refresh_writes_the_rows_of_a_plain_update(org, login_as, monkeypatch):
    """`refresh(ids)` (gallring's, after its plain UPDATEs) writes those items' rows from
    what is stored, in rounds of REFRESH_BATCH, each round only its items' kinds."""
    from tests.lexsarah.helpers import make_case

    monkeypatch.setattr(index, "REFRESH_BATCH", 2)
    items = [report(org.med_a1, unit=org.a1, title=f"Entrén {n}", description="Dörren var olåst.")
             for n in range(3)]  # fmt: skip
    case = make_case(org, title="Larmet tystnade", description="Dörren var olåst.")
    untouched = report(org.med_a1, unit=org.a1, title="Köket", description="Dörren var olåst.")
    db.session.commit()
    changed = [*items, case]
    db.session.execute(
        update(Item.__table__)
        .where(Item.__table__.c.id.in_([i.id for i in [*changed, untouched]]))
        .values(description="Fönstret stod öppet.")
    )
    index.refresh([i.id for i in changed])
    db.session.commit()
    chef, sas = login_as(org.chef_a1), login_as(org.sas)
    page = _hits(chef, "olåst")
    assert untouched.ref in page and not any(i.ref in page for i in items)
    assert all(i.ref in _hits(chef, "fönstret") for i in items)
    assert case.ref in _hits(sas, "fönstret") and case.ref not in _hits(sas, "olåst")
    assert untouched.ref not in _hits(chef, "fönstret")


def test_rebuild_command(app, org):
    report(org.med_a1, unit=org.a1, description="Nyckeln saknades.")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["search-rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 ärenden indexerade" in result.output


def test_list_free_text_filter_uses_the_index(org, login_as):
    item = report(org.med_a1, unit=org.a1, description="Personalen glömde överlämningen.")
    page = login_as(org.chef_a1).get("/avvikelser/", query_string={"q": "överlämning"})
    assert item.ref in page.get_data(as_text=True)


@pytest.mark.browser
def test_search_box_in_the_browser(app, org, live_server, page):
    mine = report(org.med_a1, unit=org.a1, description="Brukaren väntade i två timmar.")
    theirs = report(org.chef_b1, unit=org.b1, description="Brukaren väntade i Enhet B1.")
    db.session.commit()
    browser_login(page, live_server, org.chef_a1.email)
    box = page.get_by_role("searchbox", name="Sök ärenden")
    # 1. By reference: straight to the item.
    box.fill(mine.ref)
    box.press("Enter")
    page.wait_for_url(f"**/avvikelser/{mine.ref}")
    expect(page.get_by_role("heading", name=mine.title)).to_be_visible()
    # 2. By a word in a description.
    page.get_by_role("searchbox", name="Sök ärenden").fill("timmar")
    page.get_by_role("searchbox", name="Sök ärenden").press("Enter")
    expect(page.get_by_test_id("search-count")).to_have_text("1 träffar för ”timmar”.")
    expect(page.get_by_test_id("search-hit")).to_have_count(1)
    expect(page.get_by_role("link", name=mine.ref)).to_be_visible()
    # 3. By a word with å/ä/ö: only the item of the chef's own unit, not Enhet B1's.
    page.get_by_role("searchbox", name="Sök ärenden").fill("väntade")
    page.get_by_role("searchbox", name="Sök ärenden").press("Enter")
    expect(page.get_by_test_id("search-hit")).to_have_count(1)
    expect(page.get_by_role("link", name=mine.ref)).to_be_visible()
    expect(page.get_by_role("link", name=theirs.ref)).to_have_count(0)


def test_part_of_a_reference_finds_the_item_through_the_index(org, login_as):
    item = report(org.med_a1, unit=org.a1, description="Dörren lämnades öppen.")
    theirs = report(org.chef_b1, unit=org.b1, description="Dörren lämnades öppen.")
    db.session.commit()
    year, number = item.ref.split("-")[1:]
    client = login_as(org.chef_a1)
    for q in (f"{year}-{number}", number, f"AVV-{year}"):
        page = _hits(client, q)
        assert item.ref in page, q
        assert theirs.ref not in page, q


def test_facets_count_the_newest_matches_and_say_so(app, org, login_as, monkeypatch):
    from kvalitet.search import views

    items = [report(org.med_a1, unit=org.a1, description=f"Nyckelskåpet stod öppet {i}.")
             for i in range(3)]  # fmt: skip
    db.session.commit()
    client = login_as(org.chef_a1)
    page = _hits(client, "nyckelskåpet")
    assert "3 träffar" in page and "gäller de" not in page
    assert "Avvikelser (3)" in page
    monkeypatch.setattr(views, "FACET_SAMPLE", 2)
    # The page's ids are read with the facets, up to the page's end (a page of 25 here):
    # every hit is among them, so the count is exact; the facets count the newest 2.
    page = _hits(client, "nyckelskåpet")
    assert "3 träffar" in page
    assert "Antalen till vänster gäller de 2 senaste." in page
    assert "Avvikelser (2)" in page
    assert all(i.ref in page for i in items)
    # With a facet chosen the hits are read again, among that facet's.
    page = _hits(client, "nyckelskåpet", typ="AVV")
    assert "3 träffar" in page and all(i.ref in page for i in items)
    # Pages of one: on pages 1 and 2 the window is the sample and one more, full: "fler än"
    # the sample, and nothing counts further; page 3's window (4) holds every hit: exact.
    # Each page shows its own hit, newest first.
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)
    for number, item in enumerate(reversed(items), start=1):
        for args in ({}, {"typ": "AVV"}):
            page = _hits(client, "nyckelskåpet", page=str(number), **args)
            assert ("fler än 2 träffar" in page) == (number < 3), (number, args)
            assert number < 3 or "3 träffar" in page
            assert item.ref in page and sum(i.ref in page for i in items) == 1, (number, args)
