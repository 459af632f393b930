"""One policy: the web and the API answer the same question the same way, for every role ×
kind × statistic, and the rules themselves hold (inactive unit, inactive user)."""

from __future__ import annotations

import pytest

from kvalitet.api.serialize import slug
from kvalitet.core.permissions import Detail, statistics_detail
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Item
from tests.api.conftest import api_as  # noqa: F401  (fixture)

ROLES = ["admin", "kvalitet", "avdchef_a", "chef_a1", "med_a1", "sas", "mas", "registrator",
         "lasare"]  # fmt: skip
WEB_STATS = {"AVV": "/avvikelser/statistik", "LXS": "/lexsarah/statistik",
             "SYN": "/synpunkter/statistik", "EGK": "/egenkontroll/statistik"}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(WEB_STATS))
def test_web_and_api_statistics_agree_for_every_role(org, login_as, api_as, kind):  # noqa: F811
    for role in ROLES:
        user = getattr(org, role)
        web = login_as(user).get(WEB_STATS[kind])
        api = api_as(user).get(f"/api/v1/statistics/{slug(kind_spec(kind))}")
        assert web.status_code in (200, 403), (role, web.status_code)
        assert web.status_code == api.status_code, (kind, role, web.status_code, api.status_code)
        if api.status_code == 200:
            suppressed = api.get_json()["suppressed"]
            top = db.session.get(type(org.namnd), api.get_json()["unit"]["id"])
            detail = statistics_detail(user, kind, top)
            assert suppressed == (detail == Detail.AGGREGATE), (kind, role)


def test_statistics_levels(org):
    assert statistics_detail(org.chef_a1, "AVV", org.a1) == Detail.FULL
    assert statistics_detail(org.chef_a1, "AVV", org.a2) is None
    assert statistics_detail(org.lasare, "AVV", org.a1) == Detail.AGGREGATE
    assert statistics_detail(org.admin, "AVV", org.a1) is None  # admins administer
    assert statistics_detail(org.registrator, "SYN", org.a1) == Detail.FULL
    assert statistics_detail(org.registrator, "AVV", org.a1) is None


def test_role_at_a_deactivated_unit_grants_nothing(org):
    from kvalitet.core.permissions import holds_role_over, role_paths

    assert holds_role_over(org.chef_a1, ["enhetschef"], org.a1)
    org.a1.active = False
    db.session.flush()
    assert role_paths(org.chef_a1, ["enhetschef"]) == []
    assert not holds_role_over(org.chef_a1, ["enhetschef"], org.a1)
    assert statistics_detail(org.chef_a1, "AVV", org.a1) is None


def test_deactivated_user_sees_and_may_nothing(org):
    from kvalitet.core.permissions import can, visible_clause
    from tests.avvikelser.helpers import report

    item = report(org.med_a1)
    assert can(org.chef_a1, "edit", item)
    org.chef_a1.active = False
    db.session.flush()
    for action in ("view", "comment", "edit", "attach", "link", "cancel"):
        assert not can(org.chef_a1, action, item), action
    assert statistics_detail(org.chef_a1, "AVV", org.a1) is None
    visible = db.session.scalars(db.select(Item.id).where(visible_clause(org.chef_a1))).all()
    assert visible == []
