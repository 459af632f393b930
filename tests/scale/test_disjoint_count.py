"""A list's capped count as a sum of one count per permission branch, the branches made
disjoint (permissions.disjoint_parts, items.queries.capped_count): the same number as the
count of the list's rows for every user, also where one item is seen by several branches
at once (in my unit, mine and reported by me) or a branch's column is empty, and the cap
still says "fler än"."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, not_, or_, select, update

from kvalitet.avvikelser.kinds import SPEC as AVV
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core import clock, permissions
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.permissions import disjoint_parts, visible_clause
from kvalitet.extensions import db
from kvalitet.items import queries
from kvalitet.items.models import Item
from kvalitet.items.queries import _keys_only, capped_count, paginate
from tests.avvikelser.helpers import report


def _rows(query):
    keys = query.order_by(None).with_only_columns(Item.id, maintain_column_froms=True)
    return db.session.scalar(select(func.count()).select_from(keys.subquery()))


def _set(item, **values):
    db.session.execute(update(Item).where(Item.id == item.id).values(**values))


@pytest.fixture
def city(org, monkeypatch):
    """Avvikelser seen by the chef of A1 through one branch, two or all three: at A1 (the
    unit branch), at B1 owned by the chef, at B1 reported by the chef, at A1 owned and
    reported by the chef; and at B1 with no owner, and one with neither owner nor
    reporter (a branch's column NULL, which must count as "not this branch": the
    chef reported the one at B1, which has no owner)."""
    # PostgreSQL splits counts; here on SQLite too, so that both engines check the sums.
    monkeypatch.setattr(permissions, "_splits_counts", lambda: True)
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    made = {}
    for name, unit in [("a1", org.a1), ("a1 all", org.a1), ("b1 owned", org.b1),
                       ("b1 reported", org.b1), ("b1 none", org.b1), ("b1 empty", org.b1),
                       ("a2", org.a2)]:  # fmt: skip
        made[name] = report(org.med_a1, unit=unit, title=f"Händelse {name}")
    db.session.flush()
    _set(made["a1 all"], owner_id=org.chef_a1.id, reporter_id=org.chef_a1.id)
    _set(made["b1 owned"], owner_id=org.chef_a1.id)
    _set(made["b1 reported"], reporter_id=org.chef_a1.id, owner_id=None)
    _set(made["b1 none"], owner_id=None)
    _set(made["b1 empty"], owner_id=None, reporter_id=None)
    db.session.commit()
    return made


def test_the_sum_of_the_parts_is_the_count_for_every_user(app, org, city):
    users = (org.chef_a1, org.chef_b1, org.chef_a2, org.avdchef_a, org.kvalitet, org.sas,
             org.mas, org.med_a1, org.admin)  # fmt: skip
    split = 0
    for user in users:
        with app.test_request_context("/avvikelser/"):
            query = select(Avvikelse).where(visible_clause(user, [AVV]))
            ids = _keys_only(query)
            split += disjoint_parts(ids._where_criteria) is not None
            assert capped_count(ids) == _rows(query), user.name
            with_filter = query.where(Item.status == "rapporterad")
            assert capped_count(_keys_only(with_filter)) == _rows(with_filter), user.name
    assert split >= 3  # the chefs' lists did take the disjoint parts


def test_the_chef_counts_each_item_once(app, org, city):
    with app.test_request_context("/avvikelser/"):
        query = select(Avvikelse).where(visible_clause(org.chef_a1, [AVV]))
        # A1's two, and B1's owned and reported ones: "a1 all" is in all three branches.
        assert capped_count(_keys_only(query)) == 4
        titles = {i.title for i in db.session.scalars(query)}
        assert titles == {"Händelse a1", "Händelse a1 all", "Händelse b1 owned",
                          "Händelse b1 reported"}  # fmt: skip


def test_a_list_past_the_cap_says_more_than(app, org, city, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    app.config["PAGE_SIZE"] = 1
    with app.test_request_context("/avvikelser/"):
        query = select(Avvikelse).where(visible_clause(org.chef_a1, [AVV]))
        page = paginate(query.order_by(Item.created_at.desc()))
        assert page.capped and page.total == 2
        assert page.total_label.startswith("fler än")


def test_the_clause_under_or_or_not_is_not_split(app, org, city):
    with app.test_request_context("/avvikelser/"):
        clause = visible_clause(org.chef_a1, [AVV])
        assert disjoint_parts([clause]) is not None
        assert disjoint_parts([or_(clause, Item.unit_id == org.b1.id)]) is None
        assert disjoint_parts([not_(clause)]) is None
        widened = select(Avvikelse).where(or_(clause, Item.unit_id == org.a2.id))
        assert capped_count(_keys_only(widened)) == _rows(widened) == 5
        # The negation is counted plainly, as SQL reads it (an empty owner makes it NULL).
        hidden = select(Avvikelse).where(not_(clause))
        assert capped_count(_keys_only(hidden)) == _rows(hidden)


def test_the_chefs_list_page_shows_the_count(org, login_as, city, app):
    app.config["PAGE_SIZE"] = 2
    page = login_as(org.chef_a1).get("/avvikelser/").get_data(as_text=True)
    assert "4 träffar" in page
    assert "Händelse a2" not in page and "Händelse b1 none" not in page
