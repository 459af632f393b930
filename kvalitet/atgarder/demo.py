"""Demo: förbättringsåtgärder from the yearly analysis (standalone), some carried over."""

from __future__ import annotations

from datetime import timedelta

from kvalitet.atgarder.operations import create_atgard
from kvalitet.demo import DemoContext

ACTIONS = [
    ("Gemensam rutin för kommunicering före beslut", "Årets analys av avvikelser"),
    ("Utbildning i dokumentation för nyanställda", "Ledningens genomgång"),
    ("Checklista för utskick till skyddade adresser", "Årets analys av avvikelser"),
]


def seed(ctx: DemoContext) -> None:
    kvalitet = ctx.users.get("kvalitet")
    if kvalitet is None:
        return
    for index, avd in enumerate(ctx.avdelningar):
        title, source = ACTIONS[index % len(ACTIONS)]
        create_atgard(
            kvalitet, title=title, unit=avd, source_text=source, atgard_typ="forbattring",
            start_date=ctx.today - timedelta(days=30), due_date=ctx.today + timedelta(days=90),
            carry_over=index == 0, units_concerned=[u for u in ctx.enheter
                                                    if u.parent_id == avd.id],
        )  # fmt: skip
