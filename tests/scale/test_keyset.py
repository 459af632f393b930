"""Keyset paging (issue 12): "Nästa"/"Föregående" go by a cursor of the last (first) row's
sort key and id. Walking a list by cursor visits every row once, in the list's order, with
ties and NULLs in the sort keys, on both engines; backwards too; the permission clause and
the filters stay in the query, and a tampered token shows nothing more."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from flask import render_template_string
from sqlalchemy import select, text, update

from kvalitet.avvikelser import views as avvikelser_views
from kvalitet.avvikelser.kinds import S
from kvalitet.core.permissions import visible_clause
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import (
    COUNT_CAP,
    Page,
    _deferred,
    _stable,
    decode_cursor,
    encode_cursor,
    inbox_query,
    paginate,
)
from kvalitet.org.models import User
from tests.scale.cities import tied_city

SIZE = 7


@pytest.fixture
def city(app: Any) -> Any:
    with app.app_context():
        # Ties: a third of the items share one creation time, and many have no due date.
        city = tied_city(300, 400, seed=11, people=100, items_seed=2,
                         tied=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))  # fmt: skip
        db.session.execute(update(Item).where(Item.id % 4 == 0).values(due_date=None))
        db.session.commit()
        yield city


def _page(app: Any, query: Any, **args: str) -> Page:
    with app.test_request_context("/", query_string=args):
        return paginate(query, SIZE)


def _walk_forward(app: Any, query: Any) -> tuple[list[int], list[Page]]:
    pages = [_page(app, query)]
    while pages[-1].next_cursor:
        assert len(pages) < 500
        pages.append(_page(app, query, efter=pages[-1].next_cursor))
    return [i.id for p in pages for i in p.items], pages


def _walk_backward(app: Any, query: Any, last: Page) -> list[int]:
    seen = [[i.id for i in last.items]]
    page = last
    while page.prev_cursor:
        assert len(seen) < 500
        page = _page(app, query, fore=page.prev_cursor)
        seen.append([i.id for i in page.items])
    return [i for chunk in reversed(seen) for i in chunk]


def _lists(user: User) -> dict[str, Any]:
    lists = {
        f"avvikelser {sort}": avvikelser_views.filtered_query(
            user, avvikelser_views.list_filters({"sortering": sort})
        )
        for sort in avvikelser_views.SORTS
    }
    lists["due date with NULLs"] = (
        select(Item).where(visible_clause(user)).order_by(Item.due_date, Item.created_at.desc())
    )
    lists["inbox"] = inbox_query(user)
    return lists


@pytest.mark.parametrize("who", ["chef", "kvalitet", "sas"])
def test_a_list_paged_by_cursor_visits_every_row_once_in_order(app, city, who):
    with app.app_context():
        user = db.session.get(User, city.named[who])
        longest = 0
        for name, query in _lists(user).items():
            expected = [i.id for i in db.session.scalars(_stable(query)).unique()]
            visible = set(db.session.scalars(select(Item.id).where(visible_clause(user))))
            assert set(expected) <= visible
            ids, pages = _walk_forward(app, query)
            assert ids == expected, name
            assert len(ids) == len(set(ids)), name
            # Page numbers follow the walk, and the last page knows it is the last.
            assert [p.page for p in pages] == list(range(1, len(pages) + 1)), name
            assert not pages[-1].has_next
            assert pages[-1].total == len(expected)
            if len(pages) > 1:
                assert _walk_backward(app, query, pages[-1]) == expected, name
            longest = max(longest, len(pages))
    assert longest > 3  # the walks crossed several pages


@pytest.mark.parametrize("who", ["chef", "kvalitet", "sas"])
def test_numbered_pages_are_slices_of_the_list(app, city, who):
    """A numbered page past the first takes its ids from item alone (a deferred join,
    queries._deferred): every page is the same slice of the list as OFFSET on the whole
    query, for every avvikelse sort (some on the kind's own table, which keep OFFSET)."""
    with app.app_context():
        user = db.session.get(User, city.named[who])
        deferred = 0
        for name, query in _lists(user).items():
            expected = [i.id for i in db.session.scalars(_stable(query)).unique()]
            deferred += _deferred(_stable(query), SIZE + 1, SIZE) is not None
            for number in range(2, len(expected) // SIZE + 2):
                page = _page(app, query, page=str(number))
                start = (number - 1) * SIZE
                assert [i.id for i in page.items] == expected[start : start + SIZE], (name, number)
        assert deferred  # the newest-first lists page by the deferred join


def test_the_deferred_join_reads_the_ids_from_item_alone(app, city):
    with app.app_context():
        chef = db.session.get(User, city.named["chef"])
        query = _stable(avvikelser_views.filtered_query(chef, avvikelser_views.list_filters({})))
        deferred = _deferred(query, SIZE + 1, 3 * SIZE)
        assert deferred is not None
        sql = " ".join(str(deferred.compile(db.engine)).split())
        assert "IN (SELECT item.id FROM item WHERE" in sql
        assert sql.count("JOIN avvikelse") == 1  # the page's rows only
        # A sort on the kind's own table keeps the plain OFFSET.
        by_area = query.order_by(None).order_by(avvikelser_views.Avvikelse.id.desc())
        assert _deferred(by_area, SIZE + 1, SIZE) is None


def test_the_permission_clause_and_the_filters_stay_applied(app, city):
    with app.app_context():
        chef = db.session.get(User, city.named["chef"])
        kvalitet = db.session.get(User, city.named["kvalitet"])
        wide = select(Item).where(visible_clause(kvalitet)).order_by(Item.created_at.desc())
        narrow = select(Item).where(visible_clause(chef)).order_by(Item.created_at.desc())
        mine = set(db.session.scalars(select(Item.id).where(visible_clause(chef))))
        assert len(mine) < db.session.scalar(select(db.func.count(Item.id)))
        # A cursor taken from the wide list, used on the chef's list: only the chef's items.
        wide_page = _page(app, wide)
        for _ in range(3):
            wide_page = _page(app, wide, efter=wide_page.next_cursor)
        page = _page(app, narrow, efter=wide_page.next_cursor)
        assert page.items and {i.id for i in page.items} <= mine
        # A forged position (the newest possible): still only the chef's items.
        forged = encode_cursor(5, [datetime(2100, 1, 1, tzinfo=UTC), 10**9])
        assert forged and {i.id for i in _page(app, narrow, efter=forged).items} <= mine
        # A status filter holds on every page.
        state = str(S.UNDER_UTREDNING)
        f = avvikelser_views.list_filters({"status": state})
        query = avvikelser_views.filtered_query(kvalitet, f)
        pages = _walk_forward(app, query)[1]
        assert len(pages) > 1
        assert all(i.status == state for p in pages for i in p.items)


@pytest.mark.parametrize("token", ["", "x", "!!!!", encode_cursor(3, [1]), "eyJhIjoxfQ"])
def test_a_bad_or_stale_token_starts_the_list_from_the_top(app, city, token):
    with app.app_context():
        user = db.session.get(User, city.named["kvalitet"])
        query = select(Item).where(visible_clause(user)).order_by(Item.created_at.desc())
        first = _page(app, query)
        page = _page(app, query, efter=token or "", fore=token or "")
        assert [i.id for i in page.items] == [i.id for i in first.items]
        assert page.page == 1


def test_tokens_round_trip_the_sort_key_types():
    values = [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC), None, True, 5, "Å", 1.5]
    token = encode_cursor(12, values)
    assert token is not None and "=" not in token
    assert decode_cursor(token, len(values)) == (12, values)
    assert decode_cursor(token, 2) is None


def test_the_pager_links_next_and_previous_by_cursor(app, city):
    with app.app_context():
        user = db.session.get(User, city.named["kvalitet"])
        query = avvikelser_views.filtered_query(user, avvikelser_views.list_filters({}))
        with app.test_request_context("/avvikelser/", query_string={"status": "x"}):
            first = paginate(query, SIZE)
        with app.test_request_context(
            "/avvikelser/", query_string={"status": "x", "efter": first.next_cursor}
        ):
            second = paginate(query, SIZE)
            html = render_template_string('{% include "_pager.html" %}', pagination=second)
            third = parse_qs(urlparse(second.next_url or "").query)
            back = parse_qs(urlparse(second.prev_url or "").query)
        assert 'rel="next"' in html and 'rel="prev"' in html and 'aria-current="page">2<' in html
        assert third["efter"] == [second.next_cursor] and third["status"] == ["x"]
        assert "page" not in third
        # From page 2 "Föregående" is page 1 itself (no cursor needed).
        assert back == {"status": ["x"], "page": ["1"]}
        assert f"{COUNT_CAP}" not in html


def test_a_sort_that_cannot_be_keyed_pages_by_number(app, city):
    with app.app_context():
        user = db.session.get(User, city.named["kvalitet"])
        query = select(Item).where(visible_clause(user)).order_by(text("item.created_at DESC"))
        first = _page(app, query)
        assert first.next_cursor is None and first.has_next
        with app.test_request_context("/avvikelser/"):
            assert "page=2" in (first.next_url or "")
        second = _page(app, query, page="2")
        assert not {i.id for i in first.items} & {i.id for i in second.items}


def test_the_list_page_walks_on_by_its_nasta_link(app, city, client):
    """From the outside: the avvikelser list's "Nästa" link is a cursor link, and following
    it shows the next rows, none of the first page's, with "Föregående" back."""
    import re

    from bench.generate import BENCH_PASSWORD

    app.config["PAGE_SIZE"] = SIZE
    with app.app_context():
        user = db.session.get(User, city.named["kvalitet"])
        email = user.email
    assert client.login(email, BENCH_PASSWORD).status_code == 302
    refs = re.compile(r">(AVV-\d{4}-\d+)<")
    first = client.get("/avvikelser/").get_data(as_text=True)
    nxt = re.search(r'rel="next" href="([^"]+)"', first)
    assert nxt and "efter=" in nxt.group(1)
    second = client.get(nxt.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert refs.findall(first) and refs.findall(html)
    assert not set(refs.findall(html)) & set(refs.findall(first))
    assert 'rel="prev"' in html
