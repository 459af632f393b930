"""Statistics of synpunkter och klagomål (the shared stats interface, see docs/synpunkter.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select

from kvalitet.core import aggregates, clock
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.items.models import Item, ListEntry
from kvalitet.org.models import Unit
from kvalitet.synpunkter.models import (
    KALLA_LABELS,
    KANAL_LABELS,
    TYP_LABELS,
    Synpunkt,
    synpunkt_tema,
)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _where(periods: Sequence[Period]) -> tuple[Any, ...]:
    return (
        aggregates.in_periods(Synpunkt.received_date, periods, utc=False),
        Synpunkt.cancelled_at.is_(None),
    )


def _ranked(counts: dict[str, int]) -> dict[str, int]:
    """Largest first (ties by label, so the order does not depend on the database)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. Six
    queries whatever the number of roots and periods (the figures, four breakdowns and the
    medians), each one pass over the periods' synpunkter through the received_date index."""
    if not roots or not periods:
        return {}
    if aggregates.overlapping(periods):
        return {
            (r.id, i): statistics_many([r], [p])[(r.id, 0)]
            for r in roots
            for i, p in enumerate(periods)
        }
    today = clock.today()
    S = Synpunkt
    owed = and_(S.anonymous.is_(False), S.ack_due.is_not(None))
    columns = {
        "total": func.count(S.id),
        "anonymous": func.count(S.id).filter(S.anonymous.is_(True)),
        "public": func.count(S.id).filter(S.public_submission.is_(True)),
        "open": func.count(S.id).filter(Item.closed_at.is_(None)),
        "ack_owed": func.count(S.id).filter(
            owed, (S.acknowledged_date.is_not(None)) | (S.ack_due < today)
        ),
        "ack_in_time": func.count(S.id).filter(owed, S.acknowledged_date <= S.ack_due),
        "answer_owed": func.count(S.id).filter(
            owed, (S.answered_date.is_not(None)) | (S.answer_due < today)
        ),
        "answered": func.count(S.id).filter(S.answered_date.is_not(None)),
        "answered_in_time": func.count(S.id).filter(owed, S.answered_date <= S.answer_due),
    }
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    names = {u.id: u.name for u in units}
    in_tree = aggregates.among(S.unit_id, list(paths), aggregates.unit_count())
    where = (in_tree, *_where(periods))
    bucket = aggregates.period_index(S.received_date, periods, utc=False)
    per_unit = aggregates.counts(columns, S.unit_id, bucket, select().select_from(S).where(*where))
    folded = aggregates.fold(per_unit, paths, roots, len(periods), columns)

    breakdowns: dict[str, tuple[Any, dict[Any, str] | None]] = {
        "by_typ": (S.typ, dict(TYP_LABELS)),
        "by_kalla": (S.kalla, dict(KALLA_LABELS)),
        "by_kanal": (S.kanal, dict(KANAL_LABELS)),
        # A synpunkt counts under each of its themes (synpunkt_tema), "Ej angivet" if none.
        "by_tema": (synpunkt_tema.c.theme_id, None),
    }
    themes = dict(db.session.execute(select(ListEntry.id, ListEntry.label)).tuples().all())
    grouped: dict[str, dict[tuple[int, int], dict[str, int]]] = {}
    for key, (column, labels) in breakdowns.items():
        source: Any = S
        if key == "by_tema":
            source = S.__table__.join(Item.__table__, Item.id == S.id).outerjoin(
                synpunkt_tema, synpunkt_tema.c.synpunkt_id == S.id
            )
        rows = db.session.execute(
            select(S.unit_id, bucket, column, func.count(S.id))
            .select_from(source)
            .where(*where)
            .group_by(S.unit_id, bucket, column)
        ).all()
        found: dict[tuple[int, int], dict[str, int]] = {}
        for unit_id, p, value, count in rows:
            if p is None:
                continue
            if value is None:
                label = "Ej angivet"
            elif labels is not None:
                label = labels.get(value, str(value))
            else:
                theme = themes.get(value)
                label = "Ej angivet" if theme is None else str(theme)
            bucket_counts = found.setdefault((unit_id, int(p)), {})
            bucket_counts[label] = bucket_counts.get(label, 0) + int(count)
        grouped[key] = found

    tree = aggregates.membership(roots, units)
    median_rows = aggregates.medians(
        S.answer_days,
        [tree.c.root_id, bucket],
        select().select_from(S).join(tree, tree.c.unit_id == S.unit_id).where(*_where(periods)),
    )
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index, period in enumerate(periods):
            c = folded[(root.id, index)]
            parts: dict[str, dict[str, int]] = {}
            for key, found in grouped.items():
                total: dict[str, int] = {}
                for (unit_id, p), values in found.items():
                    if p == index and paths.get(unit_id, "\0").startswith(root.path):
                        for label, n in values.items():
                            total[label] = total.get(label, 0) + n
                parts[key] = _ranked(total)
            by_unit: dict[str, int] = {}
            for (unit_id, p), values in per_unit.items():
                inside = paths.get(unit_id, "\0").startswith(root.path)
                if p == index and inside and values["total"]:
                    name = names[unit_id]
                    by_unit[name] = by_unit.get(name, 0) + values["total"]
            out[(root.id, index)] = {
                "period": period.label,
                "total": c["total"],
                "anonymous": c["anonymous"],
                "public": c["public"],
                "open": c["open"],
                **parts,
                "by_unit": _ranked(by_unit),
                "ack_owed": c["ack_owed"],
                "ack_in_time": c["ack_in_time"],
                "ack_share": _share(c["ack_in_time"], c["ack_owed"]),
                "answer_owed": c["answer_owed"],
                "answered": c["answered"],
                "answered_in_time": c["answered_in_time"],
                "answer_share": _share(c["answered_in_time"], c["answer_owed"]),
                "median_days_to_answer": median_rows.get((root.id, index)),
            }
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Synpunkter och klagomål received (received_date) in `period` at `root` or below,
    cancelled ones left out. No permission logic: the caller checks access to aggregates.

    Keys:
    - period: the period's label; total: number received; anonymous: of which anonymous;
      public: of which through the e-tjänst; open: still not answered or closed.
    - by_typ, by_kalla, by_kanal, by_tema, by_unit: {Swedish label: count}, largest first
      (by_unit counts per unit name at any depth of the subtree). by_tema counts a synpunkt
      under each of its themes, so its sum can exceed total.
    - ack_owed / ack_in_time / ack_share: acknowledgements owed (not anonymous, and either
      acknowledged or past due), of which given by the deadline, and the share (0-1 or None).
    - answer_owed / answered / answered_in_time / answer_share: the same for answers;
      answered counts all answered in the period's intake.
    - median_days_to_answer: median calendar days from received to answered (None if none).
    """
    return statistics_many([root], [period])[(root.id, 0)]


def statistics_with_previous(root: Unit, period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """`statistics` for `period` and the year before, read together (one pass)."""
    both = statistics_many([root], [period, period.previous_year()])
    return both[(root.id, 0)], both[(root.id, 1)]
