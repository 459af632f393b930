"""Statistics of risks for a unit subtree and period (SQL aggregates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select

from kvalitet.core import aggregates
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.items.scales import risk_level
from kvalitet.org.models import Unit
from kvalitet.risker.models import Risk, RiskStatus

LEVELS = {1: "Låg", 2: "Måttlig", 3: "Hög", 4: "Mycket hög"}


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. One query
    whatever the number of roots and periods: every period's figures per unit, consequence
    and likelihood (the figures "open at the end" and "reviews overdue" need the risks of
    every year), summed into each root's subtree."""
    if not roots or not periods:
        return {}
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    columns = []
    for period in periods:
        start, end = period.start_utc(), period.end_utc()
        columns += [
            func.count().filter(Risk.created_at >= start, Risk.created_at < end),
            func.count().filter(
                Risk.created_at < end, or_(Risk.closed_at.is_(None), Risk.closed_at >= end)
            ),
            func.count().filter(Risk.status != RiskStatus.AVSLUTAD, Risk.review_date < period.end),
        ]
    per_unit: dict[tuple[int, int], dict[str, int]] = {}
    names: set[str] = {"open_at_end", "reviews_overdue"}
    rows = db.session.execute(
        select(Risk.unit_id, Risk.consequence, Risk.likelihood, *columns)
        .where(Risk.unit_id.in_(list(paths)), Risk.cancelled_at.is_(None))
        .group_by(Risk.unit_id, Risk.consequence, Risk.likelihood)
    )
    for unit_id, consequence, likelihood, *values in rows:
        for index in range(len(periods)):
            identified, open_at_end, overdue = values[3 * index : 3 * index + 3]
            counts = per_unit.setdefault((unit_id, index), {})
            if identified:
                cell = f"heat:{consequence},{likelihood}"
                names.add(cell)
                counts[cell] = counts.get(cell, 0) + int(identified)
            counts["open_at_end"] = counts.get("open_at_end", 0) + int(open_at_end or 0)
            counts["reviews_overdue"] = counts.get("reviews_overdue", 0) + int(overdue or 0)
    folded = aggregates.fold(per_unit, paths, roots, len(periods), sorted(names))
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index, period in enumerate(periods):
            c = folded[(root.id, index)]
            by_level = dict.fromkeys(LEVELS.values(), 0)
            heat: dict[str, int] = {}
            for name, count in c.items():
                if name.startswith("heat:") and count:
                    cell = name.removeprefix("heat:")
                    consequence, likelihood = (int(v) for v in cell.split(","))
                    by_level[LEVELS[risk_level(consequence * likelihood)]] += count
                    heat[cell] = count
            out[(root.id, index)] = {
                "period": period.label,
                "identified": sum(by_level.values()),
                "open_at_end": c["open_at_end"],
                "by_level": by_level,
                "heat": heat,
                "reviews_overdue": c["reviews_overdue"],
            }
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Risks of root's subtree (cancelled excluded).

    Keys: period; identified (risks created in the period); open_at_end (risks created
    before the period's end and not closed by then); by_level {label: count} of identified;
    heat {"c,l": count} of identified by consequence and likelihood; reviews_overdue (open
    risks whose review date is before the period's end).
    """
    return statistics_many([root], [period])[(root.id, 0)]
