"""The search page finds what the plain query finds (issue 12): on generated data, for the
enhetschef, the kvalitetsutvecklare and SAS, each page of a search, with and without a
facet chosen, numbered or by its "Nästa" link, shows the rows of the policy's
`visible_clause` and the index's match, newest first; its count and facets are those of the
same rows. The page reads its ids with the facets (kvalitet.search.views), so this holds it
to the straightforward statement it replaced."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.generate import BENCH_PASSWORD
from kvalitet.core.permissions import visible_clause
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import User
from kvalitet.search import index, views
from tests.scale.cities import tied_city

SIZE = 4
SAMPLE = 9
HIT = re.compile(r'<tr data-testid="search-hit">\s*<td><a href="[^"]*">([^<]+)</a>')
QUERIES = ("journalföring", "fallolycka nattpersonal", "utredning sekretess", "2025")


@pytest.fixture
def city(app: Any) -> Any:
    with app.app_context():
        # Ties in the sort: a third of the items share one creation time.
        city = tied_city(150, 250, seed=5, people=80, items_seed=3,
                         tied=datetime(2025, 3, 1, 8, 0, tzinfo=UTC))  # fmt: skip
        index.rebuild()
        db.session.commit()
        yield city


def _expected(app: Any, user_id: int, q: str, **args: str) -> tuple[list[str], int, list[str]]:
    """The plain statement's page of refs, its number of hits, and the newest SAMPLE hits'
    kinds (the facets' rows), for `user_id`."""
    with app.test_request_context("/sok"):
        user = db.session.get(User, user_id)
        where: list[Any] = [visible_clause(user), index.matching_clause(q, Item.id)]
        if "typ" in args:
            where.append(Item.kind == args["typ"])
        if args.get("status") == "oppna":
            where.append(views._status_clause("oppna"))
        order = (Item.created_at.desc(), Item.id.desc())
        number = int(args.get("page", "1"))
        refs = db.session.scalars(
            select(Item.ref).where(*where).order_by(*order).offset((number - 1) * SIZE).limit(SIZE)
        ).all()
        hits = db.session.scalar(select(func.count()).select_from(Item).where(*where)) or 0
        newest = db.session.scalars(
            select(Item.kind).where(*where[:2]).order_by(*order).limit(SAMPLE)
        ).all()
        db.session.rollback()
        return list(refs), int(hits), list(newest)


@pytest.mark.parametrize("who", ["chef", "kvalitet", "sas"])
def test_every_page_shows_the_plain_querys_rows(app, city, client, monkeypatch, who):
    monkeypatch.setitem(app.config, "PAGE_SIZE", SIZE)
    monkeypatch.setattr(views, "FACET_SAMPLE", SAMPLE)
    with app.app_context():
        user = db.session.get(User, city.named[who])
        email, user_id = user.email, user.id
    assert client.login(email, BENCH_PASSWORD).status_code == 302
    checked = 0
    for q in QUERIES:
        for facet in ({}, {"typ": "AVV"}, {"status": "oppna"}):
            hits, newest = _expected(app, user_id, q, **facet)[1:]
            pages = max(1, -(-hits // SIZE))
            for number in sorted({1, 2, 3, pages, pages + 1}):
                args = {**facet, "page": str(number)}
                html = client.get("/sok", query_string={"q": q, **args}).get_data(as_text=True)
                want = _expected(app, user_id, q, **args)[0]
                assert HIT.findall(html) == want, (q, args)
                window = max(SAMPLE + 1, number * SIZE + 1)
                count = f"fler än {SAMPLE} träffar" if hits >= window else f"{hits} träffar"
                assert f">{count} för ”{q}”." in html, (q, args, hits)
                if not facet and newest:
                    # The kind facet counts the newest SAMPLE hits.
                    avv = sum(code == "AVV" for code in newest)
                    assert (f"Avvikelser ({avv})" in html) == bool(avv), (q, args)
                checked += bool(want)
            # "Nästa" from page 1 (a keyset link, paginated on the whole query) shows page 2.
            first = client.get("/sok", query_string={"q": q, **facet}).get_data(as_text=True)
            link = re.search(r'rel="next" href="([^"]+)"', first)
            if hits > SIZE:
                assert link, (q, facet)
                second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
                assert HIT.findall(second) == _expected(app, user_id, q, **facet, page="2")[0]
    assert checked > 5  # the queries find something for every role
