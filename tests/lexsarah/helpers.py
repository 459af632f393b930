from __future__ import annotations

from datetime import timedelta
from typing import Any

from kvalitet.core import clock
from kvalitet.lexsarah import operations as ops
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende


def make_case(org: Any, unit: Any = None, reporter: Any = None, **kw: Any) -> LexSarahArende:
    return ops.report(
        reporter or org.med_a1,
        unit=unit or org.a1,
        title=kw.pop("title", "Insats uteblev tre dagar"),
        description=kw.pop("description", "Beviljad insats utfördes inte under tre dagar."),
        happened_at=clock.now() - timedelta(days=1),
        consequences="Den enskilde fick inte sina måltider.",
        immediate_measures="Extra personal sattes in.",
        immediate_measures_at=clock.now() - timedelta(hours=20),
        **kw,
    )


def investigate(case: LexSarahArende, author: Any) -> None:
    for section in REQUIRED_SECTIONS:
        ops.add_entry(
            case,
            author,
            section=section,
            entry_date=clock.today(),
            source="Samtal med personal",
            karaktar="fakta",
            text=f"Uppgift om {section.label.lower()}.",
        )
