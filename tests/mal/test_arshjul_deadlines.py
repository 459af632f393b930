"""The årshjul's year view shows the follow-up deadlines of the plans the user may see, with
how many indikatorer are reported and a link to the follow-up board; a user of another
branch sees none of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kvalitet.core import clock
from kvalitet.mal import operations as ops
from tests.mal.helpers import plan_with_goal


def test_follow_up_deadlines_in_the_year_view(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)  # plan 2026: T1, T2, T3 (share) and T2, AR (count)
    clock.freeze(datetime(2026, 5, 20, 9, 0))
    ops.save_utfall(org.chef_a1, data["share"], "T1", value="85", value_k="86", value_m="84",
                    n_k="30", n_m="25")  # fmt: skip
    page = login_as(org.kvalitet).get(f"/arshjul/?ar=2025/26&enhet={org.forv.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    plan_id = data["plan"].id
    # T1 is due 15 May 2026, inside quality year 2025/26; one of one indikator reported.
    assert "Måluppföljning T1 2026: Verksamhetsplan 2026" in html
    assert f"/mal/plan/{plan_id}/uppfoljning?period=T1" in html
    assert "1/1 genomförda" in html
    # T2 (15 September 2026) belongs to the next quality year's view.
    assert "Måluppföljning T2 2026" not in html
    nxt = login_as(org.kvalitet).get(f"/arshjul/?ar=2026/27&enhet={org.forv.id}")
    text = nxt.get_data(as_text=True)
    assert "Måluppföljning T2 2026" in text and "0/2 genomförda" in text
    clock.freeze(datetime(2026, 9, 20, 9, 0))  # T2's deadline has passed: late
    late = login_as(org.kvalitet).get(f"/arshjul/?ar=2026/27&enhet={org.forv.id}")
    assert "0/2 genomförda, 2 försenade" in late.get_data(as_text=True)
    clock.freeze(None)


def test_a_plan_of_another_branch_is_not_shown(org: Any, login_as: Any) -> None:
    plan = ops.create_plan(org.kvalitet, unit=org.avd_a, year=2026, name="Plan för avdelning A")
    goal = ops.create_goal(org.kvalitet, plan, None, name="Snabbare svar")
    ops.create_indikator(org.kvalitet, goal, name="Andel svar i tid", unit_of_measure="procent",
                         direction="hogre", target="90", periods=["T1"],
                         responsible_id=org.chef_a1.id)  # fmt: skip
    mine = login_as(org.chef_a1).get(f"/arshjul/?ar=2025/26&enhet={org.a1.id}")
    assert "Plan för avdelning A" not in mine.get_data(as_text=True)  # a1 is below the plan
    avd = login_as(org.avdchef_a).get(f"/arshjul/?ar=2025/26&enhet={org.avd_a.id}")
    assert "Måluppföljning T1 2026: Plan för avdelning A" in avd.get_data(as_text=True)
    other = login_as(org.chef_b1).get(f"/arshjul/?ar=2025/26&enhet={org.b1.id}")
    assert "Plan för avdelning A" not in other.get_data(as_text=True)
