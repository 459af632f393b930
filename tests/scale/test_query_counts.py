"""Queries per page stay constant in the data size and at most MAX_QUERIES: the inbox, each
kind's list (first and a later page), each detail page and each API list, for an enhetschef,
the kvalitetsutvecklare and SAS, counted on a generated city and again after five times as
many items (bench/generate.py, the benchmarks' generator)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import url_for
from sqlalchemy import event, func, or_, select

from bench.generate import BENCH_PASSWORD, Writer, generate_items, populate
from kvalitet.api.serialize import slug
from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.extensions import db
from kvalitet.items.models import Comment, Item, ItemLink
from kvalitet.org.models import User
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.conftest import Client

MAX_QUERIES = 15  # the target, held by the inbox, the lists and the API lists
# Detail pages, each at the lowest count reached (on SQLite, which counts its BEGIN too;
# PostgreSQL one fewer, so every detail page is at most 14 there). What every page has: the
# session with the user, their roles, the bell and the reference stamp (one statement,
# org.sessions), the item with the view check as a column (items.queries.load_item), the
# kvalitetsområden, the links with their other ends' visibility as a column, the attachments
# and the timeline (one statement); the unit tree and the footer's lagrum are kept by the
# process for the stamp (core.refcache) and cost nothing once read. Each kind adds its own
# forms and sections (docs/benchmarks.md, "Session 6: the cost of a request"). Any new
# statement fails here.
MAX_DETAIL_QUERIES = {
    "AVV": 12,
    "ATG": 9,
    "RSK": 7,
    "LXS": 15,  # SAS: the reporter, the IVO regions, the spreading and the investigation
    "SYN": 8,
    "EGK": 12,
    "LXM": 12,
}
LISTS = {
    "AVV": "avvikelser.index",
    "ATG": "atgarder.index",
    "RSK": "risker.index",
    "LXS": "lexsarah.board",
    "SYN": "synpunkter.index",
    "EGK": "egenkontroll.index",
    "LXM": "lexmaria.board",
}
USERS = ("chef", "kvalitet", "sas")
PAGE_SIZE = 5


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _detail_item(user: User, code: str) -> Item | None:
    """The visible item of the kind with the most to show (links, then comments): a per-link
    or per-comment query shows as growth when the larger city has richer items."""
    spec = next(s for s in all_kinds() if s.code == code)
    links = (
        select(func.count(ItemLink.id))
        .where(or_(ItemLink.source_id == Item.id, ItemLink.target_id == Item.id))
        .scalar_subquery()
    )
    comments = select(func.count(Comment.id)).where(Comment.item_id == Item.id).scalar_subquery()
    query = (
        select(Item)
        .where(Item.id.in_(select(Item.id).where(visible_clause(user, [spec]))))
        .order_by(links.desc(), comments.desc(), Item.id)
        .limit(1)
    )
    return db.session.scalar(query)


def _pages(user: User, details: dict[tuple[int, str], str]) -> list[tuple[str, str]]:
    """The pages to count; the detail pages are chosen on the small city and counted again,
    the same items, on the larger one."""
    pages = [("inkorg", url_for("items.inbox"))]
    for code, endpoint in LISTS.items():
        pages.append((f"{code} lista", url_for(endpoint)))
        pages.append((f"{code} sida 2", url_for(endpoint, page=2)))
        if (user.id, code) not in details:
            item = _detail_item(user, code)
            details[(user.id, code)] = url_for(item.spec.endpoint, ref=item.ref) if item else ""
        if details[(user.id, code)]:
            pages.append((f"{code} ärende", details[(user.id, code)]))
    return pages


def _api_pages() -> list[tuple[str, str]]:
    return [
        (f"API {s.code}", f"/api/v1/{slug(s)}?per_page={PAGE_SIZE}")
        for s in all_kinds()
        if s.code in LISTS
    ]


def _measure(
    app: Any,
    api_as: Any,  # noqa: F811
    city: Any,
    details: dict[tuple[int, str], str],
) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for who in USERS:
        user = db.session.get(User, city.named[who])
        assert user is not None
        web = Client(app.test_client())
        assert web.login(user.email, BENCH_PASSWORD).status_code == 302
        pages = _pages(user, details)
        api = api_as(user)
        db.session.commit()
        for label, url in pages + _api_pages():
            client = api if label.startswith("API") else web
            db.session.expire_all()
            with counting() as statements:
                response = client.get(url)
            assert response.status_code in (200, 302, 403), (who, label, url, response.status_code)
            counts[(who, label)] = len(statements)
    return counts


def test_queries_per_page_do_not_grow_with_the_data(app, api_as):  # noqa: F811
    with app.test_request_context():
        # Small pages, and half the items at the enhetschef's own enhet, so that every list
        # has several full pages for every user already in the small city.
        app.config["PAGE_SIZE"] = PAGE_SIZE
        city = populate(600, seed=3, years=2, people=150)
        generate_items(600, city, Writer(), random.Random(5), enheter=city.enheter[:1])  # noqa: S311
        db.session.commit()
        details: dict[tuple[int, str], str] = {}
        small = _measure(app, api_as, city, details)
        writer = Writer()
        generate_items(4800, city, writer, random.Random(4))  # noqa: S311 five times as many items
        db.session.commit()
        large = _measure(app, api_as, city, details)
    report = "\n".join(
        f"{who:<9} {label:<14} {small[(who, label)]:>3} -> {large[(who, label)]:>3}"
        for who, label in small
    )
    print(report)
    # One more is allowed: the page's owners are fetched only when some are not loaded
    # already (in the small city the enhetschef owns most of a page). A query per row would
    # add a page's worth (PAGE_SIZE) or more.
    grown = [key for key in small if large[key] > small[key] + 1]
    too_many = [
        key
        for key in large
        if large[key]
        > (MAX_DETAIL_QUERIES[key[1][:3]] if key[1].endswith("ärende") else MAX_QUERIES)
    ]
    assert not grown, f"queries grew with the data:\n{report}"
    assert not too_many, f"more queries than allowed:\n{report}"
