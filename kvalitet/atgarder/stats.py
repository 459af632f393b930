"""Statistics of förbättringsåtgärder for a unit subtree and period (SQL aggregates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from kvalitet.atgarder.kinds import WORKFLOW
from kvalitet.atgarder.models import ATGARD_TYP_LABELS, Atgard, AtgardStatus, AtgardTyp
from kvalitet.core import aggregates
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.org.models import Unit


def _columns(period: Period) -> dict[str, Any]:
    """The figures of one period, each filtered by the date that places it in the period."""
    A = Atgard
    start, end = period.start_utc(), period.end_utc()
    created = (A.created_at >= start) & (A.created_at < end)
    open_at_end = (A.created_at < end) & (A.closed_at.is_(None) | (A.closed_at >= end))
    columns: dict[str, Any] = {"created": func.count().filter(created)}
    for t in AtgardTyp:
        columns[f"typ:{t}"] = func.count().filter(created, A.atgard_typ == str(t))
    for state in WORKFLOW.states:
        columns[f"status:{state}"] = func.count().filter(created, A.status == state)
    columns |= {
        "completed": func.count().filter(
            A.status == AtgardStatus.GENOMFORD, A.closed_at >= start, A.closed_at < end
        ),
        "effect_followed_up": func.count().filter(
            A.effect_date >= period.start, A.effect_date <= period.end
        ),
        "open_at_end": func.count().filter(open_at_end),
        "overdue_at_end": func.count().filter(open_at_end, A.due_date < period.end_exclusive),
        "carry_over": func.count().filter(
            A.carry_over.is_(True),
            (A.created_at < end) & (A.closed_at.is_(None) | (A.closed_at >= start)),
        ),
        "deferred": func.count().filter(A.deferred.is_(True), A.closed_at.is_(None)),
    }
    return columns


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. One query
    whatever the number of roots and periods: every figure of every period per unit (the
    figures "open at the end" and "deferred" need the actions of every year, so it reads
    all the subtree's actions: one pass, grouped by unit)."""
    if not roots or not periods:
        return {}
    A = Atgard
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    per_period = [_columns(p) for p in periods]
    names = list(per_period[0])
    flat = [c for columns in per_period for c in columns.values()]
    per_unit: dict[tuple[int, int], dict[str, int]] = {}
    for row in db.session.execute(
        select(A.unit_id, *flat)
        .where(A.unit_id.in_(list(paths)), A.cancelled_at.is_(None))
        .group_by(A.unit_id)
    ):
        for index in range(len(periods)):
            values = row[1 + index * len(names) : 1 + (index + 1) * len(names)]
            per_unit[(row[0], index)] = {n: int(v or 0) for n, v in zip(names, values, strict=True)}
    folded = aggregates.fold(per_unit, paths, roots, len(periods), names)
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index, period in enumerate(periods):
            c = folded[(root.id, index)]
            out[(root.id, index)] = {
                "period": period.label,
                "created": c["created"],
                "by_type": {ATGARD_TYP_LABELS[t]: c[f"typ:{t}"] for t in AtgardTyp},
                "by_status": {label: c[f"status:{s}"] for s, label in WORKFLOW.states.items()},
                **{key: c[key] for key in ("completed", "effect_followed_up", "open_at_end",
                                           "overdue_at_end", "carry_over")},
                "deferred": c["deferred"],
            }  # fmt: skip
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Actions of root's subtree (cancelled excluded).

    Keys: period; created (actions created in the period); by_type {label: count} and
    by_status {label: count} of those; completed (status Genomförd with closed_at in the
    period); effect_followed_up (effect_date in the period); open_at_end (created before the
    period's end, not closed by then); overdue_at_end (of those, due before the period's
    end); carry_over (open or closed in the period, marked "återkommer nästa år");
    deferred (open and consciously deferred).
    """
    return statistics_many([root], [period])[(root.id, 0)]
