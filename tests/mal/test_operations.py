"""Plans, goals, indikatorer, utfall and assessments through the operations: valid input is
stored, bad input gets a Swedish message naming the field and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.extensions import db
from kvalitet.mal import operations as ops
from kvalitet.mal import queries
from kvalitet.mal.models import Bedomning, Indikator, Mal, Utfall, Verksamhetsplan
from tests.mal.helpers import YEAR, plan_with_goal


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_plan_structure_as_data(org: Any) -> None:
    data = plan_with_goal(org)
    plan, goal = data["plan"], data["goal"]
    sub = ops.create_goal(org.kvalitet, plan, goal, name="Bemötande i mottagningen")
    assert (goal.nr, sub.nr, sub.level) == ("1", "1.1", 2)
    assert plan.level_name(2) == "Utvecklingsområde" and plan.level_name(3) == "Indikator"
    with pytest.raises(OperationError) as error:
        ops.create_goal(org.kvalitet, plan, sub, name="En nivå för mycket")
    assert error.value.field == "parent_id" and "indikator" in error.value.message
    assert data["share"].periods == ["T1", "T2", "T3"]
    assert queries.target_text(data["share"]) == "minst 80 %"
    assert queries.target_text(data["count"]) == "Ska öka"


def test_malvarde_without_direction_is_refused_and_nothing_saved(org: Any) -> None:
    data = plan_with_goal(org)
    before = count(Indikator)
    with pytest.raises(OperationError) as error:
        ops.create_indikator(
            org.kvalitet,
            data["goal"],
            name="Väntetid",
            unit_of_measure="dagar",
            target="14",
            periods=["T1"],
        )
    assert error.value.field == "direction"
    assert "riktning" in error.value.message.lower()
    assert count(Indikator) == before


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"unit_of_measure": "procent", "direction": "hogre", "target": "120"}, "target", "0–100"),
        ({"unit_of_measure": "antal", "direction": "hogre", "target": "tre"}, "target", "tal"),
        (
            {"unit_of_measure": "procent", "direction": "intervall", "target": "60"},
            "target_high",
            "intervall",
        ),
        ({"unit_of_measure": "procent", "periods": ["T4"]}, "periods", "T4"),
        ({"unit_of_measure": "procent", "periods": []}, "periods", "period"),
        ({"unit_of_measure": "meter"}, "unit_of_measure", "procent"),
    ],
)
def test_bad_indikator_input(org: Any, fields: dict[str, Any], field: str, text: str) -> None:
    data = plan_with_goal(org)
    fields.setdefault("periods", ["T1"])
    before = count(Indikator)
    with pytest.raises(OperationError) as error:
        ops.create_indikator(org.kvalitet, data["goal"], name="Mått", **fields)
    assert error.value.field == field
    assert text in error.value.message
    assert count(Indikator) == before


def test_utfall_for_unmeasured_period_and_wrong_type(org: Any) -> None:
    data = plan_with_goal(org)
    share, count_ind = data["share"], data["count"]
    with pytest.raises(OperationError) as error:
        ops.save_utfall(org.chef_a1, count_ind, "T1", value="4")
    assert error.value.field == "period"
    assert error.value.message == "Indikatorn mäts inte för T1. Den mäts: T2, Helår."
    with pytest.raises(OperationError) as error:
        ops.save_utfall(org.chef_a1, share, "T2", value="hög")
    assert (error.value.field, error.value.message) == (
        "value",
        "Ange ett tal, t.ex. 72 eller 72,5.",
    )
    with pytest.raises(OperationError) as error:
        ops.save_utfall(org.chef_a1, count_ind, "T2", value="2,5")
    assert error.value.field == "value" and "heltal" in error.value.message
    with pytest.raises(OperationError) as error:
        ops.save_utfall(org.chef_a1, count_ind, "T2", value="4", value_k="2")
    assert error.value.field == "value_k"
    assert count(Utfall) == 0


def test_utfall_per_sex_and_proposal(org: Any) -> None:
    data = plan_with_goal(org)
    share, count_ind, goal = data["share"], data["count"], data["goal"]
    saved = ops.save_utfall(
        org.chef_a1,
        share,
        "T2",
        value="82,5",
        value_k="85",
        value_m="78",
        n_k="24",
        n_m="73",
        comment="Brukarenkät maj.",
    )
    assert (saved.value, saved.value_k, saved.value_m, saved.n_k, saved.n_m) == (
        82.5,
        85,
        78,
        24,
        73,
    )
    assert queries.propose(goal, "T2") == Bedomning.UPPNATT  # the count has no value yet
    # The count "ska öka" needs an earlier value: the baseline.
    count_ind.baseline = 10
    db.session.commit()
    ops.save_utfall(org.chef_a1, count_ind, "T2", value=8)
    assert queries.propose(goal, "T2") == Bedomning.DELVIS  # one of two reach the target
    ops.save_utfall(org.chef_a1, count_ind, "T2", value=12)
    assert queries.propose(goal, "T2") == Bedomning.UPPNATT
    row = ops.save_bedomning(org.avdchef_a, goal, "T2", value="uppnatt", orsak="", analys="Bra.")
    assert (row.value, row.proposed, row.confirmed_by_id) == (
        "uppnatt",
        "uppnatt",
        org.avdchef_a.id,
    )


def test_only_the_responsible_or_editors_report(org: Any) -> None:
    data = plan_with_goal(org)
    with pytest.raises(Forbidden):
        ops.save_utfall(org.chef_b1, data["share"], "T1", value=50)
    with pytest.raises(Exception):  # noqa: B017 - another branch sees nothing (NotFound)
        ops.save_utfall(org.med_a2, data["share"], "T1", value=50)
    ops.save_utfall(org.kvalitet, data["share"], "T1", value=50)


def test_assessment_needs_reason_when_not_reached(org: Any) -> None:
    data = plan_with_goal(org)
    with pytest.raises(OperationError) as error:
        ops.save_bedomning(org.avdchef_a, data["goal"], "T2", value="ej_uppnatt")
    assert error.value.field == "orsak"
    with pytest.raises(OperationError) as error:
        ops.save_bedomning(org.avdchef_a, data["goal"], "T2", value="grönt")
    assert error.value.field == "value"
    with pytest.raises(OperationError) as error:
        ops.save_bedomning(org.avdchef_a, data["goal"], "M05", value="uppnatt")
    assert error.value.field == "period"


def test_assessment_links_new_atgard(org: Any) -> None:
    data = plan_with_goal(org)
    goal = data["goal"]
    ops.save_bedomning(org.avdchef_a, goal, "T2", value="delvis", orsak="Lägre i mottagningen.")
    atgard = ops.new_atgard_for_goal(
        org.avdchef_a, goal, "T2", title="Utbildning i bemötande", owner=org.chef_a1
    )
    row = queries.bedomning_of(goal, "T2")
    assert row is not None and [a.ref for a in row.atgarder] == [atgard.ref]
    assert atgard.kind == "ATG" and atgard.owner_id == org.chef_a1.id
    again = ops.save_bedomning(
        org.avdchef_a, goal, "T2", value="delvis", orsak="x", atgard_refs=[atgard.ref]
    )
    assert len(again.atgarder) == 1
    with pytest.raises(OperationError) as error:
        ops.save_bedomning(
            org.avdchef_a, goal, "T2", value="delvis", orsak="x", atgard_refs=["ATG-1999-0001"]
        )
    assert error.value.field == "atgard_refs"


def test_copy_to_next_year_keeps_structure_and_targets(org: Any) -> None:
    data = plan_with_goal(org)
    ops.create_goal(org.kvalitet, data["plan"], data["goal"], name="Delmål")
    ops.save_utfall(org.chef_a1, data["count"], "AR", value=14)
    new = ops.copy_to_next_year(org.kvalitet, data["plan"])
    assert new.year == YEAR + 1 and new.copied_from_id == data["plan"].id
    goals = {g.name: g for g in new.goals}
    assert goals["Delmål"].parent_id == goals["Brukarna är nöjda med bemötandet"].id
    inds = {i.name: i for i in goals["Brukarna är nöjda med bemötandet"].indikatorer}
    assert (
        inds["Andel nöjda brukare"].target == 80
        and inds["Andel nöjda brukare"].direction == "hogre"
    )
    assert inds["Antal SIP"].history == {str(YEAR): 14.0}
    assert db.session.scalar(select(func.count()).select_from(Utfall)) == 1
    with pytest.raises(OperationError) as error:
        ops.copy_to_next_year(org.kvalitet, data["plan"])
    assert error.value.field == "year"
    rows = queries.history_rows(inds["Antal SIP"])
    assert [(r["label"], r["value"], r["current"]) for r in rows] == [
        (f"T2 {YEAR}", None, False),
        (f"Helår {YEAR}", 14.0, False),
        (f"T2 {YEAR + 1}", None, True),
        (f"Helår {YEAR + 1}", None, True),
    ]


def test_lower_unit_adopts_goals_and_adds_its_own(org: Any) -> None:
    data = plan_with_goal(org)
    lower = ops.adopt_plan(org.chef_a1, data["plan"], org.a1)
    assert lower.unit_id == org.a1.id and lower.parent_plan_id == data["plan"].id
    (adopted,) = lower.goals
    assert adopted.adopted_from_id == data["goal"].id and adopted.name == data["goal"].name
    own = ops.create_goal(org.chef_a1, lower, adopted, name="Återkoppling inom två dagar")
    assert own.level == 2 and own.nr == "1.1"
    ops.adopt_plan(org.chef_a1, data["plan"], org.a1)  # again: nothing twice
    assert len(lower.goals) == 2
    with pytest.raises(Forbidden):
        ops.adopt_plan(org.chef_a1, data["plan"], org.a2)
    # The other branch does not see the plans of A1.
    assert not queries.may_view_plan(org.chef_b1, lower)
    assert queries.may_view_plan(org.chef_b1, data["plan"])  # the förvaltning's plan


def test_plans_of_other_branches_are_invisible(org: Any) -> None:
    plan = ops.create_plan(org.chef_a1, unit=org.a1, year=YEAR)
    assert not queries.may_view_plan(org.chef_b1, plan)
    assert queries.may_view_plan(org.avdchef_a, plan)
    assert plan not in queries.visible_plans(org.chef_b1)
    with pytest.raises(OperationError) as error:
        ops.create_plan(org.chef_a1, unit=org.a1, year=YEAR)
    assert error.value.field == "year"
    assert db.session.scalar(select(func.count()).select_from(Verksamhetsplan)) == 1
    assert db.session.scalar(select(func.count()).select_from(Mal)) == 0
