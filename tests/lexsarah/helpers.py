from __future__ import annotations

from datetime import date, datetime
from typing import Any

from kvalitet.core.clock import STOCKHOLM
from kvalitet.lexsarah import operations as ops
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende


def make_case(org: Any, unit: Any = None, reporter: Any = None, **kw: Any) -> LexSarahArende:
    return ops.report(
        reporter or org.med_a1,
        unit=unit or org.a1,
        title=kw.pop("title", "Insats uteblev tre dagar"),
        description=kw.pop("description", "Beviljad insats utfördes inte under tre dagar."),
        happened_at=datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM),
        consequences="Den enskilde fick inte sina måltider.",
        immediate_measures="Extra personal sattes in.",
        immediate_measures_at=datetime(2026, 3, 2, 12, 0, tzinfo=STOCKHOLM),
        **kw,
    )


def investigate(case: LexSarahArende, author: Any) -> None:
    for section in REQUIRED_SECTIONS:
        ops.add_entry(case, author, section=section, entry_date=date(2026, 3, 4),
                      source="Samtal med personal", karaktar="fakta",
                      text=f"Uppgift om {section.label.lower()}.")  # fmt: skip
