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
from sqlalchemy import event, select

from bench.generate import BENCH_PASSWORD, Writer, generate_items, populate
from kvalitet.api.serialize import slug
from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.extensions import db
from kvalitet.items.models import Comment, Item, ItemLink
from kvalitet.org.models import User
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.conftest import Client

MAX_QUERIES = 15
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
    """A visible item of the kind with the most to show: links and comments first."""
    spec = next(s for s in all_kinds() if s.code == code)
    visible = select(Item.id).where(visible_clause(user, [spec]))
    for extra in (
        Item.id.in_(select(ItemLink.source_id)) & Item.id.in_(select(Comment.item_id)),
        Item.id.in_(select(ItemLink.target_id)),
        Item.id.in_(select(Comment.item_id)),
        None,
    ):
        query = select(Item).where(Item.id.in_(visible))
        if extra is not None:
            query = query.where(extra)
        item = db.session.scalar(query.order_by(Item.id).limit(1))
        if item is not None:
            return item
    return None


def _pages(user: User) -> list[tuple[str, str]]:
    pages = [("inkorg", url_for("items.inbox"))]
    for code, endpoint in LISTS.items():
        pages.append((f"{code} lista", url_for(endpoint)))
        pages.append((f"{code} sida 2", url_for(endpoint, page=2)))
        item = _detail_item(user, code)
        if item is not None:
            pages.append((f"{code} ärende", url_for(item.spec.endpoint, ref=item.ref)))
    return pages


def _api_pages() -> list[tuple[str, str]]:
    return [
        (f"API {s.code}", f"/api/v1/{slug(s)}?per_page=50")
        for s in all_kinds()
        if s.code in LISTS
    ]


def _measure(app: Any, api_as: Any, city: Any) -> dict[tuple[str, str], int]:  # noqa: F811
    counts: dict[tuple[str, str], int] = {}
    for who in USERS:
        user = db.session.get(User, city.named[who])
        assert user is not None
        web = Client(app.test_client())
        assert web.login(user.email, BENCH_PASSWORD).status_code == 302
        pages = _pages(user)
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
        city = populate(300, seed=3, years=2, people=150)
        small = _measure(app, api_as, city)
        writer = Writer()
        generate_items(1200, city, writer, random.Random(4))  # five times as many items
        db.session.commit()
        large = _measure(app, api_as, city)
    report = "\n".join(
        f"{who:<9} {label:<14} {small[(who, label)]:>3} -> {large[(who, label)]:>3}"
        for who, label in small
    )
    print(report)
    grown = [key for key in small if large[key] > small[key]]
    too_many = [key for key in large if large[key] > MAX_QUERIES]
    assert not grown, f"queries grew with the data:\n{report}"
    assert not too_many, f"more than {MAX_QUERIES} queries:\n{report}"
