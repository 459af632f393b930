"""Statistics of the årshjul for the kvalitetsberättelse (the shared stats interface)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift, ArsStatus
from kvalitet.core import aggregates, clock
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.items.models import Item
from kvalitet.org.models import Unit

FIGURES = ("planned", "done", "not_done", "overdue", "open")


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. One query
    whatever the number of roots and periods (tasks per unit and activity, each period's
    figures as filtered counts over the planned date), summed into each root's subtree."""
    if not roots or not periods:
        return {}
    today = clock.today()
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    open_ = Item.status.in_([ArsStatus.PLANERAD])
    columns = []
    for period in periods:
        in_period = ArshjulUppgift.planned_date.between(period.start, period.end)
        columns += [
            func.count(Item.id).filter(in_period),
            func.count(Item.id).filter(in_period, Item.status == ArsStatus.GENOMFORD),
            func.count(Item.id).filter(in_period, Item.status == ArsStatus.EJ_GENOMFORD),
            func.count(Item.id).filter(in_period, open_, Item.due_date < today),
            func.count(Item.id).filter(in_period, open_),
        ]
    rows = db.session.execute(
        select(Item.unit_id, ArshjulAktivitet.id, *columns)
        .select_from(ArshjulUppgift)
        .join(ArshjulAktivitet, ArshjulAktivitet.id == ArshjulUppgift.aktivitet_id)
        .where(
            Item.unit_id.in_(list(paths)),
            aggregates.in_periods(ArshjulUppgift.planned_date, periods, utc=False),
            Item.cancelled_at.is_(None),
        )
        .group_by(Item.unit_id, ArshjulAktivitet.id)
    ).all()
    activities = {
        a.id: a
        for a in db.session.scalars(
            select(ArshjulAktivitet).where(ArshjulAktivitet.id.in_({r[1] for r in rows}))
        )
    }
    width = len(FIGURES)  # planned, done, not_done, overdue, open
    sums: dict[tuple[int, int, int], list[int]] = {}  # (root, period, activity) -> figures
    for unit_id, activity_id, *values in rows:
        path = paths[unit_id]
        for root in roots:
            if not path.startswith(root.path):
                continue
            for index in range(len(periods)):
                figures = values[width * index : width * (index + 1)]
                total = sums.setdefault((root.id, index, activity_id), [0] * width)
                for position, value in enumerate(figures):
                    total[position] += int(value or 0)
    order = sorted(activities.values(), key=lambda a: (a.sort_order, a.title))
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index in range(len(periods)):
            per_activity: list[dict[str, Any]] = []
            open_total = 0
            for activity in order:
                found = sums.get((root.id, index, activity.id))
                if found is None or not found[0]:
                    continue  # no task of this activity planned in the period
                row = dict(zip(FIGURES, found, strict=True))
                open_total += row.pop("open")
                per_activity.append({"title": activity.title, **row})
            planned = sum(r["planned"] for r in per_activity)
            done = sum(r["done"] for r in per_activity)
            out[(root.id, index)] = {
                "planned": planned,
                "done": done,
                "not_done": sum(r["not_done"] for r in per_activity),
                "open": open_total,
                "overdue": sum(r["overdue"] for r in per_activity),
                "done_share": (done / planned) if planned else 0.0,
                "per_activity": per_activity,
            }
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Årshjul tasks in root's subtree whose planned date is in the period (makulerade left
    out). No permission logic: the caller checks that the user may see aggregates for root.

    Keys:
    - "planned": number of tasks;
    - "done": status Genomförd; "not_done": status Ej genomförd;
    - "open": still open; "overdue": open with due date before today;
    - "done_share": done / planned (0.0 when nothing was planned);
    - "per_activity": list of {"title", "planned", "done", "not_done", "overdue"} ordered by
      the activity's order in the årshjul.
    """
    return statistics_many([root], [period])[(root.id, 0)]
