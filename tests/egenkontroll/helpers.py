"""Shared helpers for egenkontroll tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from kvalitet.core.recurrence import Rule
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Metod


def make_plan(org: Any, *, rule: Rule | None = None, units: list[Any] | None = None,
              adopt_on: date | None = date(2026, 1, 1), year: int = 2025,
              questions: list[str] | None = None, due_days: int = 5) -> Any:  # fmt: skip
    plan = ops.create_plan(org.kvalitet, year=year, name="Egenkontrollplan", scope=org.forv)
    kontroll = ops.save_kontroll(
        org.kvalitet,
        plan,
        title="Loggkontroll skyddade personuppgifter",
        method=Metod.LOGGKONTROLL,
        sample_size=3,
        rule=rule or Rule("monthly", date(2025, 9, 1), day=15),
        units=units or [org.a1, org.b1],
        questions=questions or ["Fanns skäl för åtkomsten?", "Är åtkomsten dokumenterad?"],
        due_working_days=due_days,
    )
    if adopt_on is not None:
        ops.adopt_plan(org.kvalitet, plan, on=adopt_on)
    return plan, kontroll
