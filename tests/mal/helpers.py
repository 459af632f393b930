"""A small plan for the goal follow-up tests: a nämndmål with two indikatorer at the
förvaltning of the test organisation, year 2026."""

from __future__ import annotations

from typing import Any

from kvalitet.mal import operations as ops

YEAR = 2026


def plan_with_goal(org: Any) -> dict[str, Any]:
    plan = ops.create_plan(
        org.kvalitet,
        unit=org.forv,
        year=YEAR,
        name="Verksamhetsplan 2026",
        levels=["Nämndmål", "Utvecklingsområde"],
    )
    goal = ops.create_goal(
        org.kvalitet, plan, None, name="Brukarna är nöjda med bemötandet", owner_id=org.avdchef_a.id
    )
    share = ops.create_indikator(
        org.kvalitet,
        goal,
        name="Andel nöjda brukare",
        unit_of_measure="procent",
        direction="hogre",
        target="80",
        periods=["T1", "T2", "T3"],
        responsible_id=org.chef_a1.id,
        by_sex=True,
    )
    count = ops.create_indikator(
        org.kvalitet,
        goal,
        name="Antal SIP",
        unit_of_measure="antal",
        direction="hogre",
        periods=["T2", "AR"],
        responsible_id=org.chef_a1.id,
    )
    return {"plan": plan, "goal": goal, "share": share, "count": count}
