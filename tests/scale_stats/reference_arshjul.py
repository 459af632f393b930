# The statistics before statistics_many (issue 12), kept as the reference the grouped
# queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of the årshjul for the kvalitetsberättelse (the shared stats interface)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift, ArsStatus
from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit


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
    today = clock.today()
    open_states = [ArsStatus.PLANERAD]
    rows = db.session.execute(
        select(
            ArshjulAktivitet.title,
            func.count(Item.id),
            func.count(Item.id).filter(Item.status == ArsStatus.GENOMFORD),
            func.count(Item.id).filter(Item.status == ArsStatus.EJ_GENOMFORD),
            func.count(Item.id).filter(Item.status.in_(open_states), Item.due_date < today),
            func.count(Item.id).filter(Item.status.in_(open_states)),
        )
        .select_from(ArshjulUppgift)
        .join(ArshjulAktivitet, ArshjulAktivitet.id == ArshjulUppgift.aktivitet_id)
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            ArshjulUppgift.planned_date >= period.start,
            ArshjulUppgift.planned_date <= period.end,
            Item.cancelled_at.is_(None),
        )
        .group_by(ArshjulAktivitet.id, ArshjulAktivitet.title, ArshjulAktivitet.sort_order)
        .order_by(ArshjulAktivitet.sort_order, ArshjulAktivitet.title)
    ).all()
    per_activity = [
        {"title": t, "planned": n, "done": d, "not_done": nd, "overdue": o}
        for t, n, d, nd, o, _ in rows
    ]
    planned = sum(r[1] for r in rows)
    done = sum(r[2] for r in rows)
    return {
        "planned": planned,
        "done": done,
        "not_done": sum(r[3] for r in rows),
        "open": sum(r[5] for r in rows),
        "overdue": sum(r[4] for r in rows),
        "done_share": (done / planned) if planned else 0.0,
        "per_activity": per_activity,
    }
