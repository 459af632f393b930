"""Statistics of synpunkter och klagomål (the shared stats interface, see docs/synpunkter.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from kvalitet.core import aggregates, clock, summary
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.items import areas
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


BREAKDOWNS: dict[str, tuple[str, dict[Any, str] | None]] = {
    "by_typ": ("typ", dict(TYP_LABELS)),
    "by_kalla": ("kalla", dict(KALLA_LABELS)),
    "by_kanal": ("kanal", dict(KANAL_LABELS)),
    # A synpunkt counts under each of its themes (synpunkt_tema), "Ej angivet" if none.
    "by_tema": ("tema", None),
}


def count(
    periods: Sequence[Period], unit_ids: Sequence[int] | None, samples: bool = True
) -> dict[tuple[int, int], summary.Tally]:
    """The counters per (unit, period index): the figures, the breakdowns by raw value
    ("typ:<value>", "tema:<theme id>", "" for none) and, with `samples` (the summary's
    form), what depends on the day: acknowledgements and answers still owed counted per due
    date ("ack_wait:<date>"; owed once the date has passed), and the answer days."""
    S = Synpunkt
    owed = and_(S.anonymous.is_(False), S.ack_due.is_not(None))
    columns = {
        "total": func.count(S.id),
        "anonymous": func.count(S.id).filter(S.anonymous.is_(True)),
        "public": func.count(S.id).filter(S.public_submission.is_(True)),
        "open": func.count(S.id).filter(Item.closed_at.is_(None)),
        "ack_in_time": func.count(S.id).filter(owed, S.acknowledged_date <= S.ack_due),
        "answered": func.count(S.id).filter(S.answered_date.is_not(None)),
        "answered_in_time": func.count(S.id).filter(owed, S.answered_date <= S.answer_due),
    }
    if samples:
        columns["ack_given"] = func.count(S.id).filter(owed, S.acknowledged_date.is_not(None))
        columns["answer_given"] = func.count(S.id).filter(owed, S.answered_date.is_not(None))
    else:
        today = clock.today()
        columns["ack_owed"] = func.count(S.id).filter(
            owed, (S.acknowledged_date.is_not(None)) | (S.ack_due < today)
        )
        columns["answer_owed"] = func.count(S.id).filter(
            owed, (S.answered_date.is_not(None)) | (S.answer_due < today)
        )
    where: tuple[Any, ...] = _where(periods)
    if unit_ids is not None:
        where = (aggregates.among(S.unit_id, list(unit_ids), aggregates.unit_count()), *where)
    bucket = aggregates.period_index(S.received_date, periods, utc=False)
    per_unit = aggregates.counts(columns, S.unit_id, bucket, select().select_from(S).where(*where))
    out = {key: summary.Tally(counts) for key, counts in per_unit.items()}

    def add(rows: Any, prefix: str) -> None:
        for unit_id, p, value, n in rows:
            if p is not None:
                key = f"{prefix}:{'' if value is None else value}"
                tally = out.setdefault((unit_id, int(p)), summary.Tally())
                tally.counts[key] = tally.counts.get(key, 0) + int(n)

    grouped: list[tuple[str, Any, Any, tuple[Any, ...]]] = [
        ("typ", S.typ, S, ()), ("kalla", S.kalla, S, ()), ("kanal", S.kanal, S, ()),
        ("tema", synpunkt_tema.c.theme_id,
         S.__table__.join(Item.__table__, Item.id == S.id).outerjoin(
             synpunkt_tema, synpunkt_tema.c.synpunkt_id == S.id), ()),
    ]  # fmt: skip
    if samples:
        waiting = (owed,)
        grouped += [
            ("ack_wait", S.ack_due, S, (*waiting, S.acknowledged_date.is_(None))),
            ("answer_wait", S.answer_due, S,
             (*waiting, S.answered_date.is_(None), S.answer_due.is_not(None))),
        ]  # fmt: skip
    for prefix, column, source, extra in grouped:
        add(
            db.session.execute(
                select(S.unit_id, bucket, column, func.count(S.id))
                .select_from(source)
                .where(*where, *extra)
                .group_by(S.unit_id, bucket, column)
            ).all(),
            prefix,
        )
    if samples:
        for unit_id, p, days in db.session.execute(
            select(S.unit_id, bucket, S.answer_days).where(*where, S.answer_days.is_not(None))
        ):
            if p is not None:
                tally = out.setdefault((unit_id, int(p)), summary.Tally())
                tally.samples.setdefault("answer", []).append(float(days))
    return out


def _owed_today(tally: summary.Tally, today: date) -> dict[str, int]:
    """The summary's counters with what is owed today: given, or due before today."""
    counts = dict(tally.counts)
    for name in ("ack", "answer"):
        owed = counts.get(f"{name}_given", 0)
        prefix = f"{name}_wait:"
        for key, n in tally.counts.items():
            if key.startswith(prefix) and date.fromisoformat(key[len(prefix) :]) < today:
                owed += n
        counts[f"{name}_owed"] = owed
    return counts


summary.register(
    summary.SummarySpec(
        kind="SYN", model=Synpunkt, period="received_date", utc=False, count=count,
        children={synpunkt_tema.name: "synpunkt_id"},
    )
)  # fmt: skip


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. From the
    statistics summary (kvalitet.core.summary) when the periods are whole months (one
    query), otherwise live: six queries whatever the number of roots and periods (the
    figures, four breakdowns and the medians), each one pass over the periods' synpunkter
    through the received_date index."""
    if not roots or not periods:
        return {}
    if aggregates.overlapping(periods):
        return {
            (r.id, i): statistics_many([r], [p])[(r.id, 0)]
            for r in roots
            for i, p in enumerate(periods)
        }
    S = Synpunkt
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    names = {u.id: u.name for u in units}
    tallies = summary.read("SYN", periods, list(paths))
    if tallies is not None:
        today = clock.today()
        per_unit = {key: _owed_today(t, today) for key, t in tallies.items()}
        median_rows = {
            (r.id, i): m
            for r in roots
            for i in range(len(periods))
            if (m := summary.median(tallies, paths, r.path, i, "answer")) is not None
        }
    else:
        tallies = count(periods, list(paths), samples=False)
        per_unit = {key: t.counts for key, t in tallies.items()}
        bucket = aggregates.period_index(S.received_date, periods, utc=False)
        tree = aggregates.membership(roots, units)
        median_rows = aggregates.medians(
            S.answer_days,
            [tree.c.root_id, bucket],
            select().select_from(S).join(tree, tree.c.unit_id == S.unit_id).where(*_where(periods)),
        )
    figures = ["total", "anonymous", "public", "open", "ack_owed", "ack_in_time",
               "answer_owed", "answered", "answered_in_time"]  # fmt: skip
    folded = aggregates.fold(per_unit, paths, roots, len(periods), figures)
    themes = dict(db.session.execute(select(ListEntry.id, ListEntry.label)).tuples().all())

    def label_of(prefix: str, labels: dict[Any, str] | None, raw: str) -> str:
        if raw == "":
            return "Ej angivet"
        if labels is not None:
            return labels.get(raw, raw)
        theme = themes.get(int(raw))
        return "Ej angivet" if theme is None else str(theme)

    grouped: dict[str, dict[tuple[int, int], dict[str, int]]] = {}
    for key, (prefix, labels) in BREAKDOWNS.items():
        found: dict[tuple[int, int], dict[str, int]] = {}
        for unit_key, counts in per_unit.items():
            for name, n in counts.items():
                if n and name.startswith(f"{prefix}:"):
                    label = label_of(prefix, labels, name[len(prefix) + 1 :])
                    bucket_counts = found.setdefault(unit_key, {})
                    bucket_counts[label] = bucket_counts.get(label, 0) + int(n)
        grouped[key] = found

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
                if p == index and inside and values.get("total", 0):
                    name = names[unit_id]
                    by_unit[name] = by_unit.get(name, 0) + values.get("total", 0)
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


summary.register(areas.summary_spec("SYN", Synpunkt))
