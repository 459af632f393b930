# The statistics before statistics_many (issue 12), kept as the reference the grouped
# queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of risks for a unit subtree and period (SQL aggregates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kvalitet.core.periods import Period
from kvalitet.extensions import db
from kvalitet.items.scales import risk_level
from kvalitet.org.models import Unit
from kvalitet.risker.models import Risk, RiskStatus

LEVELS = {1: "Låg", 2: "Måttlig", 3: "Hög", 4: "Mycket hög"}


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Risks of root's subtree (cancelled excluded).

    Keys: period; identified (risks created in the period); open_at_end (risks created
    before the period's end and not closed by then); by_level {label: count} of identified;
    heat {"c,l": count} of identified by consequence and likelihood; reviews_overdue (open
    risks whose review date is before the period's end).
    """
    in_tree = Risk.unit_id.in_(select(Unit.id).where(Unit.path.startswith(root.path)))
    alive = Risk.cancelled_at.is_(None)
    in_period = (Risk.created_at >= period.start_utc()) & (Risk.created_at < period.end_utc())
    rows = db.session.execute(
        select(Risk.consequence, Risk.likelihood, func.count())
        .where(in_tree, alive, in_period)
        .group_by(Risk.consequence, Risk.likelihood)
    ).all()
    by_level = dict.fromkeys(LEVELS.values(), 0)
    heat: dict[str, int] = {}
    for consequence, likelihood, count in rows:
        by_level[LEVELS[risk_level(consequence * likelihood)]] += int(count)
        heat[f"{consequence},{likelihood}"] = int(count)
    open_at_end = db.session.scalar(
        select(func.count(Risk.id)).where(
            in_tree,
            alive,
            Risk.created_at < period.end_utc(),
            (Risk.closed_at.is_(None)) | (Risk.closed_at >= period.end_utc()),
        )
    )
    overdue = db.session.scalar(
        select(func.count(Risk.id)).where(
            in_tree, alive, Risk.status != RiskStatus.AVSLUTAD, Risk.review_date < period.end
        )
    )
    return {
        "period": period.label,
        "identified": sum(by_level.values()),
        "open_at_end": int(open_at_end or 0),
        "by_level": by_level,
        "heat": heat,
        "reviews_overdue": int(overdue or 0),
    }
