# The statistics before kvalitet.core.aggregates (commit f23c2e9), kept as the reference the
# grouped queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of synpunkter och klagomål (the shared stats interface, see docs/synpunkter.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.org.models import Unit
from kvalitet.synpunkter.models import KALLA_LABELS, KANAL_LABELS, TYP_LABELS, Synpunkt


def _base(root: Unit, period: Period) -> list[Any]:
    return [
        Unit.path.startswith(root.path, autoescape=True),
        Synpunkt.received_date >= period.start,
        Synpunkt.received_date <= period.end,
        Item.cancelled_at.is_(None),
    ]


def _grouped(column: Any, root: Unit, period: Period, labels: dict[Any, str] | None = None,
             join_theme: bool = False) -> dict[str, int]:  # fmt: skip
    query = (
        select(column, func.count(Synpunkt.id))
        .select_from(Synpunkt)
        .join(Unit, Unit.id == Item.unit_id)
        .where(*_base(root, period))
        .group_by(column)
        .order_by(func.count(Synpunkt.id).desc())
    )
    if join_theme:
        query = query.outerjoin(ListEntry, ListEntry.id == Synpunkt.theme_id)
    result: dict[str, int] = {}
    for key, count in db.session.execute(query):
        if labels is not None:
            label = labels.get(key, str(key)) if key is not None else "Ej angivet"
        else:
            label = str(key) if key is not None else "Ej angivet"
        result[label] = result.get(label, 0) + int(count)
    return result


def _median_answer_days(root: Unit, period: Period) -> float | None:
    """Median of answer_days computed in SQL (ORDER BY with OFFSET; works on every database)."""
    where = [*_base(root, period), Synpunkt.answer_days.is_not(None)]
    n = db.session.scalar(
        select(func.count(Synpunkt.id))
        .select_from(Synpunkt)
        .join(Unit, Unit.id == Item.unit_id)
        .where(*where)
    )
    if not n:
        return None
    middle = list(
        db.session.scalars(
            select(Synpunkt.answer_days)
            .select_from(Synpunkt)
            .join(Unit, Unit.id == Item.unit_id)
            .where(*where)
            .order_by(Synpunkt.answer_days)
            .offset((n - 1) // 2)
            .limit(2 if n % 2 == 0 else 1)
        )
    )
    values = [int(v) for v in middle if v is not None]
    return float(sum(values)) / len(values) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Synpunkter och klagomål received (received_date) in `period` at `root` or below,
    cancelled ones left out. No permission logic: the caller checks access to aggregates.

    Keys:
    - period: the period's label; total: number received; anonymous: of which anonymous;
      public: of which through the e-tjänst; open: still not answered or closed.
    - by_typ, by_kalla, by_kanal, by_tema, by_unit: {Swedish label: count}, largest first
      (by_unit counts per unit name at any depth of the subtree).
    - ack_owed / ack_in_time / ack_share: acknowledgements owed (not anonymous, and either
      acknowledged or past due), of which given by the deadline, and the share (0-1 or None).
    - answer_owed / answered / answered_in_time / answer_share: the same for answers;
      answered counts all answered in the period's intake.
    - median_days_to_answer: median calendar days from received to answered (None if none).
    """
    today = clock.today()
    S = Synpunkt
    owed = and_(S.anonymous.is_(False), S.ack_due.is_not(None))
    row = db.session.execute(
        select(
            func.count(S.id),
            func.count(S.id).filter(S.anonymous.is_(True)),
            func.count(S.id).filter(S.public_submission.is_(True)),
            func.count(S.id).filter(Item.closed_at.is_(None)),
            func.count(S.id).filter(owed, (S.acknowledged_date.is_not(None)) | (S.ack_due < today)),
            func.count(S.id).filter(owed, S.acknowledged_date <= S.ack_due),
            func.count(S.id).filter(owed, (S.answered_date.is_not(None)) | (S.answer_due < today)),
            func.count(S.id).filter(S.answered_date.is_not(None)),
            func.count(S.id).filter(owed, S.answered_date <= S.answer_due),
        )
        .select_from(S)
        .join(Unit, Unit.id == Item.unit_id)
        .where(*_base(root, period))
    ).one()
    total, anonymous, public, open_, ack_owed, ack_in_time = (int(v or 0) for v in row[:6])
    answer_owed, answered, answered_in_time = (int(v or 0) for v in row[6:])
    return {
        "period": period.label,
        "total": total,
        "anonymous": anonymous,
        "public": public,
        "open": open_,
        "by_typ": _grouped(S.typ, root, period, dict(TYP_LABELS)),
        "by_kalla": _grouped(S.kalla, root, period, dict(KALLA_LABELS)),
        "by_kanal": _grouped(S.kanal, root, period, dict(KANAL_LABELS)),
        "by_tema": _grouped(ListEntry.label, root, period, join_theme=True),
        "by_unit": _grouped(Unit.name, root, period),
        "ack_owed": ack_owed,
        "ack_in_time": ack_in_time,
        "ack_share": _share(ack_in_time, ack_owed),
        "answer_owed": answer_owed,
        "answered": answered,
        "answered_in_time": answered_in_time,
        "answer_share": _share(answered_in_time, answer_owed),
        "median_days_to_answer": _median_answer_days(root, period),
    }
