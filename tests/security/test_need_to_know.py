"""Need-to-know on lex Sarah as written: "the chef of the unit concerned" is the enhetschef of
the item's unit. An avdelningschef sees a case only as decision maker or where the unit has no
enhetschef; the wider rule is a setting."""

from __future__ import annotations

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.permissions import visible_clause
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.lexsarah import operations as ls_ops
from kvalitet.lexsarah.kinds import SPEC
from kvalitet.org.models import UnitKind
from kvalitet.org.operations import create_unit, update_user
from tests.lexsarah.helpers import investigate, make_case


def _sees(user, case) -> bool:
    query = select(func.count(Item.id)).where(Item.id == case.id, visible_clause(user, [SPEC]))
    return bool(db.session.scalar(query))


def test_avdelningschef_does_not_open_a_case_of_a_unit_with_its_own_enhetschef(org, login_as):
    case = make_case(org, unit=org.a1)
    assert login_as(org.avdchef_a).get(f"/lexsarah/{case.ref}").status_code == 404
    assert case.title not in login_as(org.avdchef_a).get("/lexsarah/").get_data(as_text=True)
    assert login_as(org.chef_a1).get(f"/lexsarah/{case.ref}").status_code == 200
    # The enhetschef of another unit in the same avdelning does not either.
    assert not _sees(org.chef_a2, case)


def test_avdelningschef_sees_as_decision_maker(org, login_as):
    case = make_case(org, unit=org.a1)
    ls_ops.assess(case, org.sas, "missforhallande", "Utreds.")
    investigate(case, org.sas)
    ls_ops.decide(case, org.sas, outcome="missforhallande", allvarligt=False,
                  decision_maker_id=org.avdchef_a.id, decision_date=clock.today(),
                  reason="Rutin saknades.")  # fmt: skip
    assert login_as(org.avdchef_a).get(f"/lexsarah/{case.ref}").status_code == 200


def test_avdelningschef_sees_where_the_unit_has_no_enhetschef(org, login_as):
    without = create_unit(None, "Enhet A3", UnitKind.ENHET, org.avd_a)
    case = make_case(org, unit=without)
    assert _sees(org.avdchef_a, case)
    assert login_as(org.avdchef_a).get(f"/lexsarah/{case.ref}").status_code == 200
    # When the only enhetschef of A1 leaves (deactivated), the avdelningschef takes over.
    other = make_case(org, unit=org.a1)
    assert not _sees(org.avdchef_a, other)
    update_user(org.admin, org.chef_a1, name=org.chef_a1.name, email=org.chef_a1.email,
                active=False, home_unit_id=org.a1.id)  # fmt: skip
    assert _sees(org.avdchef_a, other)


def test_wide_rule_is_a_setting(app, org):
    case = make_case(org, unit=org.a1)
    assert not _sees(org.avdchef_a, case)
    app.config["LEXSARAH_NEED_TO_KNOW"] = "wide"
    assert _sees(org.avdchef_a, case)
    assert not _sees(org.chef_b1, case)  # never outside the avdelning
