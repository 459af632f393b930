# The statistics before kvalitet.core.aggregates (commit f23c2e9), kept as the reference the
# grouped queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of förbättringsåtgärder for a unit subtree and period (SQL aggregates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kvalitet.atgarder.kinds import WORKFLOW
from kvalitet.atgarder.models import ATGARD_TYP_LABELS, Atgard, AtgardStatus, AtgardTyp
from kvalitet.core.periods import Period
from kvalitet.extensions import db
from kvalitet.org.models import Unit


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Actions of root's subtree (cancelled excluded).

    Keys: period; created (actions created in the period); by_type {label: count} and
    by_status {label: count} of those; completed (status Genomförd with closed_at in the
    period); effect_followed_up (effect_date in the period); open_at_end (created before the
    period's end, not closed by then); overdue_at_end (of those, due before the period's
    end); carry_over (open or closed in the period, marked "återkommer nästa år");
    deferred (open and consciously deferred).
    """
    tree = Atgard.unit_id.in_(select(Unit.id).where(Unit.path.startswith(root.path)))
    alive = Atgard.cancelled_at.is_(None)
    start, end = period.start_utc(), period.end_utc()
    created = (Atgard.created_at >= start) & (Atgard.created_at < end)
    by_type_rows = dict(
        db.session.execute(
            select(Atgard.atgard_typ, func.count()).where(tree, alive, created)
            .group_by(Atgard.atgard_typ)
        ).tuples().all()
    )  # fmt: skip
    by_status_rows = dict(
        db.session.execute(
            select(Atgard.status, func.count()).where(tree, alive, created).group_by(Atgard.status)
        )
        .tuples()
        .all()
    )
    open_at_end_clause = (Atgard.created_at < end) & (
        Atgard.closed_at.is_(None) | (Atgard.closed_at >= end)
    )
    row = db.session.execute(
        select(
            func.count().filter(
                Atgard.status == AtgardStatus.GENOMFORD,
                Atgard.closed_at >= start,
                Atgard.closed_at < end,
            ),
            func.count().filter(
                Atgard.effect_date >= period.start, Atgard.effect_date <= period.end
            ),
            func.count().filter(open_at_end_clause),
            func.count().filter(open_at_end_clause, Atgard.due_date < period.end_exclusive),
            func.count().filter(
                Atgard.carry_over.is_(True),
                (Atgard.created_at < end)
                & (Atgard.closed_at.is_(None) | (Atgard.closed_at >= start)),
            ),
            func.count().filter(Atgard.deferred.is_(True), Atgard.closed_at.is_(None)),
        ).where(tree, alive)
    ).one()
    return {
        "period": period.label,
        "created": sum(int(v) for v in by_type_rows.values()),
        "by_type": {ATGARD_TYP_LABELS[t]: int(by_type_rows.get(str(t), 0)) for t in AtgardTyp},
        "by_status": {label: int(by_status_rows.get(s, 0)) for s, label in WORKFLOW.states.items()},
        "completed": int(row[0]),
        "effect_followed_up": int(row[1]),
        "open_at_end": int(row[2]),
        "overdue_at_end": int(row[3]),
        "carry_over": int(row[4]),
        "deferred": int(row[5]),
    }
