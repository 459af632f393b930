"""A known dataset for the kvalitetsberättelse tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.models import QualityArea
from kvalitet.items.operations import new_item

YEAR = 2025  # quality year 2025/26: 2025-09-01 – 2026-08-31; previous 2024/25


def atgard(org: Any, unit: Any, title: str, at: datetime, **fields: Any) -> Any:
    from kvalitet.atgarder.models import Atgard

    clock.freeze(at)
    areas = fields.pop("areas", [])
    closed = fields.pop("closed", None)
    item = new_item(Atgard, org.kvalitet, title=title, unit_id=unit.id, unit=unit, **fields)
    if areas:
        item.quality_areas = list(
            db.session.scalars(select(QualityArea).where(QualityArea.name.in_(areas)))
        )
    if closed:
        item.closed_at = closed.replace(tzinfo=clock.STOCKHOLM)
    db.session.commit()
    clock.freeze(None)
    return item


def area_names() -> list[str]:
    return list(db.session.scalars(select(QualityArea.name).order_by(QualityArea.sort_order)))


def fake_synpunkter(root: Any, period: Any) -> dict[str, Any]:
    """Stand-in stats: known figures per period, with a breakdown by sex that must be
    suppressed below 5."""
    this = period.label == "2025/26"
    return {
        "period": period.label,
        "antal": 12 if this else 9,
        "andel_besvarade_i_tid": 75.0 if this else 50.0,
        "per_typ": {"Klagomål": 8, "Synpunkt": 3, "Beröm": 1} if this else
        {"Klagomål": 5, "Synpunkt": 4},
        "per_kon": {"Kvinna": 9, "Man": 3} if this else {"Kvinna": 6, "Man": 3},
    }  # fmt: skip


def use_only(monkeypatch: Any, **functions: Any) -> None:
    """Let the report see only these stats modules (others: not there yet)."""
    from kvalitet.rapport import document

    monkeypatch.setattr(document, "load_stats", lambda module: functions.get(module))


def dataset(org: Any) -> dict[str, Any]:
    areas = area_names()
    items = {
        # Last year's proposals, one done with effect followed up, one still going.
        "prev_done": atgard(org, org.a1, "Ny introduktionsrutin", datetime(2024, 10, 1, 10),
                            status="genomford", done_text="Rutinen infördes i januari",
                            effect_text="Färre dokumentationsbrister",
                            closed=datetime(2025, 2, 1, 10)),
        "prev_going": atgard(org, org.a2, "Checklista vid hembesök", datetime(2025, 3, 1, 10),
                             status="pagar"),
        # Older, marked "återkommer nästa år" and still open.
        "carried": atgard(org, org.a1, "Gemensam mall för utredningar", datetime(2023, 10, 2, 9),
                          status="paborjad", carry_over=True),
        # Older, closed, not carried over: not in this year's report.
        "old": atgard(org, org.a1, "Gammal åtgärd", datetime(2023, 10, 3, 9), status="genomford",
                      closed=datetime(2024, 1, 5, 10)),
        # This year's actions.
        "this_1": atgard(org, org.a1, "Utbildning i sekretess", datetime(2025, 10, 1, 10),
                         areas=[areas[0], areas[1]]),
        "this_2": atgard(org, org.a2, "Bättre överlämningar", datetime(2026, 3, 15, 10),
                         status="paborjad"),
        # Another avdelning.
        "other": atgard(org, org.b1, "Åtgärd i avdelning B", datetime(2025, 11, 1, 10)),
    }  # fmt: skip
    return items
