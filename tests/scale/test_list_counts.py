"""The lists' counts and permission clauses in their index-friendly form (session 5): the
same rows as before for every user, and nothing of another unit.

- A kind's list is counted on `item` alone (without the kind's own table) only when its
  WHERE asks nothing of that table; the count is the joined count.
- The lex Sarah board's counts per step and of late cases read item alone; a chef counts
  only the cases of their own unit, the decision maker also the cases they decide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from kvalitet.atgarder.models import Atgard
from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.permissions import visible_clause
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import _keys_only, paginate
from kvalitet.lexsarah import operations as ops
from kvalitet.lexsarah.kinds import SPEC as LXS
from kvalitet.lexsarah.models import LexSarahArende
from tests.lexsarah.helpers import make_case


def _joined_count(query):
    keys = query.order_by(None).with_only_columns(Item.id, maintain_column_froms=True)
    return db.session.scalar(select(func.count()).select_from(keys.subquery()))


def _count(query):
    return db.session.scalar(select(func.count()).select_from(_keys_only(query).subquery()))


def test_count_on_item_alone_only_when_the_kind_table_is_not_asked(app, org):
    plain = select(LexSarahArende).where(Item.unit_id == org.a1.id)
    own_column = select(LexSarahArende).where(LexSarahArende.allvarligt.is_(True))
    assert "lexsarah_arende" not in str(_keys_only(plain))
    assert "lexsarah_arende" in str(_keys_only(own_column))
    # Not a kind's list: as it was.
    assert "FROM item" in str(_keys_only(select(Item).where(Item.unit_id == 1)))


def test_narrowed_counts_equal_the_joined_counts_for_every_user(app, org):
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    make_case(org, title="A1", unit=org.a1)
    make_case(org, title="A2", unit=org.a2)
    make_case(org, title="B1", unit=org.b1)
    db.session.commit()
    for user in (org.sas, org.chef_a1, org.chef_b1, org.avdchef_a, org.kvalitet, org.med_a1):
        for model, spec in ((LexSarahArende, LXS), (Atgard, None)):
            kinds = [spec] if spec is not None else None
            query = select(model).where(visible_clause(user, kinds))
            assert _count(query) == _joined_count(query), (user.name, model)
    # The chef of B1 counts only B1's case, SAS all three.
    chef_b1 = select(LexSarahArende).where(visible_clause(org.chef_b1, [LXS]))
    assert _count(chef_b1) == 1
    assert _count(select(LexSarahArende).where(visible_clause(org.sas, [LXS]))) == 3


def test_board_counts_only_what_the_user_may_see(org, login_as):
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    late = make_case(org, title="Sen i A1", unit=org.a1)
    make_case(org, title="Fall i A2", unit=org.a2)
    make_case(org, title="Fall i B1", unit=org.b1)
    clock.freeze(datetime(2026, 3, 12, 9, 0, tzinfo=STOCKHOLM))
    db.session.commit()
    sas = login_as(org.sas).get("/lexsarah/").text
    assert "Rapporterad, väntar på bedömning: 3" in sas and "Försenade: 3" in sas
    chef_b1 = login_as(org.chef_b1).get("/lexsarah/").text
    assert "Fall i B1" in chef_b1 and "Sen i A1" not in chef_b1 and "Fall i A2" not in chef_b1
    assert "Rapporterad, väntar på bedömning: 1" in chef_b1 and "Försenade: 1" in chef_b1
    # The chef of B1 made decision maker of A1's case: sees and counts it too.
    ops.assess(late, org.sas, "missforhallande", "Ska utredas.")
    late.decision_maker_id = org.chef_b1.id
    db.session.commit()
    chef_b1 = login_as(org.chef_b1).get("/lexsarah/").text
    assert "Sen i A1" in chef_b1 and "Fall i A2" not in chef_b1
    assert "Under utredning: 1" in chef_b1 and "Rapporterad, väntar på bedömning: 1" in chef_b1
    # The chef of A2 still sees nothing of A1 or B1.
    chef_a2 = login_as(org.chef_a2).get("/lexsarah/").text
    assert "Sen i A1" not in chef_a2 and "Fall i B1" not in chef_a2
    assert "Under utredning: 0" in chef_a2 and "Rapporterad, väntar på bedömning: 1" in chef_a2


def test_paginate_counts_past_the_page_with_the_narrowed_count(app, org):
    app.config["PAGE_SIZE"] = 2
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    for n in range(5):
        make_case(org, title=f"A1 {n}", unit=org.a1)
    make_case(org, title="B1", unit=org.b1)
    db.session.commit()
    with app.test_request_context("/lexsarah/"):
        query = select(LexSarahArende).where(visible_clause(org.chef_a1, [LXS]))
        page = paginate(query.order_by(Item.created_at.desc()))
        assert page.total == 5 and len(page.items) == 2
        assert all(i.unit_id == org.a1.id for i in page.items)


def _action_for_a1_concerning_a2(org):
    from kvalitet.atgarder.operations import create_atgard

    action = create_atgard(org.chef_a1, title="Gemensam rutin", unit=org.a1,
                           units_concerned=[org.a2])  # fmt: skip
    db.session.commit()
    return action


def _atgard_list(client):
    return client.get("/atgarder/").get_data(as_text=True)


def test_concerned_units_chef_lists_the_action_and_no_one_else(org, login_as):
    from kvalitet.atgarder.kinds import SPEC as ATG

    action = _action_for_a1_concerning_a2(org)
    clause = str(visible_clause(org.chef_a2, [ATG]).compile(compile_kwargs={"literal_binds": True}))
    assert "atgard_unit" not in clause and str(action.id) in clause  # a literal id list
    assert action.ref in _atgard_list(login_as(org.chef_a2))
    assert action.ref not in _atgard_list(login_as(org.chef_b1))
    assert action.ref in _atgard_list(login_as(org.chef_a1))


def test_concerned_units_beyond_the_literal_list_use_the_subselect(org, login_as, monkeypatch):
    from kvalitet.atgarder.kinds import SPEC as ATG
    from kvalitet.core import permissions

    action = _action_for_a1_concerning_a2(org)
    monkeypatch.setattr(permissions, "FEW_IDS", 0)  # every list is "too long"
    assert "atgard_unit" in str(visible_clause(org.chef_a2, [ATG]))
    assert action.ref in _atgard_list(login_as(org.chef_a2))
    assert action.ref not in _atgard_list(login_as(org.chef_b1))
