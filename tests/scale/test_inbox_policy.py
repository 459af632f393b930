"""The inbox and the start page's per-unit counts are written per kind (items.queries:
`_mine_clause`, `must_act_clause`, `unit_overview` with `permissions.kind_branches`) rather
than as the whole policy ANDed with the open states. Their rows must still be exactly the
policy's: here they are compared, for every kind of user of a generated city, with a
definition of the inbox in Python over every item (owned or waiting for a role the user
holds over its unit, open, and among `visible_clause`'s rows), on both engines."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bench.generate import Writer, generate_items, populate
from kvalitet.core import clock
from kvalitet.core.permissions import holds_role_over, role_paths, unit_ids_under, visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import inbox_counts, inbox_query, unit_overview
from kvalitet.org.models import RoleAssignment, Unit, User
from kvalitet.start.queries import year_progress

WHO = ["chef", "kvalitet", "sas", "mas", "registrator", "lasare"]


@pytest.fixture
def city(app: Any) -> Any:
    with app.app_context():
        city = populate(40, seed=7, years=2, people=120)
        generate_items(900, city, Writer(), random.Random(4), enheter=city.enheter[:3])  # noqa: S311
        # The named users own items of every kind across the three enheter, also where no
        # role of theirs reaches (their inbox's "mine" arm).
        for n, who in enumerate(WHO):
            db.session.execute(
                update(Item).where(Item.id % 13 == n).values(owner_id=city.named[who])
            )
        db.session.commit()
        yield city


def _expected(user: User) -> tuple[set[int], Counter[tuple[int, bool]]]:
    """The inbox's ids and, for the chef panel, (unit, overdue) counts, item by item."""
    visible = set(db.session.scalars(select(Item.id).where(visible_clause(user))))
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    chef_units = set(unit_ids_under(role_paths(user, CHEF_ROLES) or ["-"]))
    today = clock.today()
    inbox: set[int] = set()
    panel: Counter[tuple[int, bool]] = Counter()
    for item in db.session.scalars(select(Item)):
        spec = kind_spec(item.kind)
        is_open = item.status in spec.workflow.open_states and item.cancelled_at is None
        if not is_open or item.id not in visible:
            continue
        roles = spec.workflow.action_roles.get(item.status, ())
        acts = bool(roles) and holds_role_over(user, roles, units[item.unit_id])
        if item.owner_id == user.id or acts:
            inbox.add(item.id)
        if item.unit_id in chef_units:
            panel[(item.unit_id, item.due_date is not None and item.due_date < today)] += 1
    return inbox, panel


@pytest.mark.parametrize("who", WHO)
def test_the_inbox_holds_the_policys_rows(app, city, who):
    with app.test_request_context():
        user = db.session.get(User, city.named[who])
        inbox, _panel = _expected(user)
        found = [i.id for i in db.session.scalars(inbox_query(user))]
        assert len(found) == len(set(found))
        assert set(found) == inbox
        today = clock.today()
        late = {i.id for i in db.session.scalars(inbox_query(user, "forsenade"))}
        rows = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(inbox)))}
        assert late == {i for i in inbox if rows[i].due_date and rows[i].due_date < today}
        counts = inbox_counts(user)
        assert counts["alla"] == len(inbox)
        assert counts["forsenade"] == len(late)
        if who in ("chef", "sas", "mas"):
            assert inbox  # the comparison is not of two empty sets


def test_the_chef_panel_counts_the_policys_rows(app, city):
    with app.test_request_context():
        chef = db.session.get(User, city.named["chef"])
        _inbox, panel = _expected(chef)
        rows = unit_overview(chef, role_paths(chef, CHEF_ROLES))
        found = {r["unit"].id: (r["open"], r["overdue"]) for r in rows}
        expected_units = {unit for unit, _late in panel}
        assert expected_units and expected_units <= set(found)
        for unit_id, (total, overdue) in found.items():
            assert total == panel[(unit_id, False)] + panel[(unit_id, True)], unit_id
            assert overdue == panel[(unit_id, True)], unit_id


def test_a_deactivated_user_has_an_empty_inbox(app, city):
    with app.test_request_context():
        user = db.session.get(User, city.named["chef"])
        assert db.session.scalars(inbox_query(user)).first() is not None
        user.active = False
        db.session.commit()
    with app.test_request_context():
        user = db.session.get(User, city.named["chef"])
        assert db.session.scalars(inbox_query(user)).first() is None
        assert inbox_counts(user)["alla"] == 0


def test_the_year_progress_counts_the_policys_rows(app, city):
    """A kvalitetsutvecklare at one enhet (the policy's unit branch covers only part of the
    city) who also owns items elsewhere: each kind's count is of the items they may see."""
    with app.test_request_context():
        medarbetare = next(u for users in city.users_at.values() for u in users)
        db.session.add(
            RoleAssignment(
                user_id=medarbetare, role=str(Role.KVALITETSUTVECKLARE), unit_id=city.enheter[0]
            )
        )
        db.session.execute(update(Item).where(Item.id % 7 == 0).values(owner_id=medarbetare))
        db.session.commit()
    with app.test_request_context():
        user = db.session.get(User, medarbetare)
        visible = set(db.session.scalars(select(Item.id).where(visible_clause(user))))
        year = clock.today().year
        expected: Counter[tuple[str, bool]] = Counter()
        for item in db.session.scalars(select(Item).where(Item.kind.in_(["EGK", "KBN", "ATG"]))):
            due = item.due_date
            if item.id in visible and item.cancelled_at is None and due and due.year == year:
                done = item.status in kind_spec(item.kind).workflow.closed_states
                expected[(item.kind, done)] += 1
        progress = {p["kind"]: (p["total"], p["done"]) for p in year_progress(user, year)}
        for kind, (total, done) in progress.items():
            assert total == expected[(kind, False)] + expected[(kind, True)], kind
            assert done == expected[(kind, True)], kind
        everything = db.session.scalar(
            select(func.count()).where(
                Item.kind.in_(["EGK", "ATG"]),
                Item.cancelled_at.is_(None),
                Item.due_date >= date(year, 1, 1),
                Item.due_date <= date(year, 12, 31),
            )
        )
        shown = sum(total for total, _ in progress.values())
        assert 0 < shown < everything  # some but not all of the year's items are theirs
