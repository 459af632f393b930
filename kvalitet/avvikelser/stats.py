"""Statistics of avvikelser for a unit subtree and a period (SQL aggregates only).

The caller checks that the user may see aggregates for `root`; call twice (period and
period.previous_year()) for the comparison year.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select

from kvalitet.avvikelser.kinds import WORKFLOW
from kvalitet.avvikelser.models import (
    ALDERSGRUPPER,
    KON_LABELS,
    ORSAK_LABELS,
    Avvikelse,
    AvvikelseOrsak,
    Kon,
    Orsak,
)
from kvalitet.core import aggregates, summary
from kvalitet.core.periods import Period
from kvalitet.extensions import db, reads_replica
from kvalitet.items import areas
from kvalitet.items.models import ListEntry
from kvalitet.org.models import Unit, UnitKind


def underreporting_threshold() -> int:
    """Enheter with fewer reports than this in a period are flagged (config
    AVVIKELSE_UNDERREPORTING_THRESHOLD, default 2 per quality year)."""
    if has_app_context():
        return int(current_app.config.get("AVVIKELSE_UNDERREPORTING_THRESHOLD", 2))
    return 2


def _units(roots: Sequence[Unit]) -> list[Unit]:
    """Every unit in the roots' subtrees (active or not), in tree order."""
    return list(
        db.session.scalars(
            select(Unit).where(aggregates.in_subtrees(Unit.path, roots)).order_by(Unit.path)
        )
    )


def _categories() -> list[ListEntry]:
    return list(
        db.session.scalars(
            select(ListEntry)
            .where(ListEntry.list_key == "avvikelse_kategori")
            .order_by(ListEntry.sort_order, ListEntry.label)
        )
    )


def _where(periods: Sequence[Period]) -> tuple[Any, ...]:
    A = Avvikelse
    return (A.kind == "AVV", aggregates.in_periods(A.created_at, periods),
            A.cancelled_at.is_(None))  # fmt: skip


def count(
    periods: Sequence[Period], unit_ids: Sequence[int] | None, samples: bool = True
) -> dict[tuple[int, int], summary.Tally]:
    """The counters per (unit placed at, period index): the figures, the causes and (with
    `samples`) the days from report to close of the closed ones, for the medians. The
    summary's counting query and the live statistics' alike."""
    A = Avvikelse
    columns: dict[str, Any] = {"total": func.count()}
    for entry in _categories():
        columns[f"cat:{entry.id}"] = func.count().filter(A.category_id == entry.id)
    columns["cat:"] = func.count().filter(A.category_id.is_(None))
    for state in WORKFLOW.states:
        columns[f"status:{state}"] = func.count().filter(A.status == state)
    for level, condition in _bands().items():
        columns[f"sev:{level}"] = func.count().filter(condition)
    for k in Kon:
        columns[f"sex:{k}"] = func.count().filter(A.sex == str(k))
    for key in ALDERSGRUPPER:
        columns[f"age:{key}"] = func.count().filter(A.age_group == key)
    columns["health_care"] = func.count().filter(A.is_health_care())
    columns["closed"] = func.count().filter(A.closed_at.is_not(None))
    bucket = aggregates.period_index(A.created_at, periods)
    where = _where(periods)
    if unit_ids is not None:
        where = (aggregates.among(A.unit_id, list(unit_ids), aggregates.unit_count()), *where)
    per_unit = aggregates.counts(columns, A.unit_id, bucket, select().select_from(A).where(*where))
    out = {key: summary.Tally(counts) for key, counts in per_unit.items()}
    for name in Orsak:
        for tally in out.values():
            tally.counts[f"cause:{name}"] = 0
    cause_rows = db.session.execute(
        select(A.unit_id, bucket, AvvikelseOrsak.orsak, func.count())
        .select_from(AvvikelseOrsak)
        .join(A, A.id == AvvikelseOrsak.avvikelse_id)
        .where(*where)
        .group_by(A.unit_id, bucket, AvvikelseOrsak.orsak)
    ).all()
    for unit_id, p, orsak, n in cause_rows:
        if p is not None:
            tally = out.setdefault((unit_id, int(p)), summary.Tally())
            tally.counts[f"cause:{orsak}"] = tally.counts.get(f"cause:{orsak}", 0) + int(n)
    if samples:
        days = aggregates.days_between(A.created_at, A.closed_at)
        for unit_id, p, value in db.session.execute(
            select(A.unit_id, bucket, days).where(*where, A.closed_at.is_not(None))
        ):
            if p is not None and value is not None:
                tally = out.setdefault((unit_id, int(p)), summary.Tally())
                tally.samples.setdefault("close", []).append(float(value))
    return out


def _bands() -> dict[int, Any]:
    """The bands of kvalitet.items.scales.risk_level, as SQL."""
    A = Avvikelse
    return {
        0: (A.severity.is_(None)) | (A.severity == 0),
        1: A.severity.between(1, 2),
        2: A.severity.between(3, 6),
        3: A.severity.between(7, 9),
        4: A.severity >= 10,
    }


summary.register(
    summary.SummarySpec(
        kind="AVV", model=Avvikelse, period="created_at", utc=True, count=count,
        children={AvvikelseOrsak.__tablename__: "avvikelse_id"},
    )
)  # fmt: skip


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period at once: {(root id, period index): stats}.

    From the statistics summary (kvalitet.core.summary) when the periods are whole months:
    one query for the units' months, the medians from the buckets' values. Otherwise live,
    three queries whatever the number of roots and periods: the counts per unit and period
    (one pass over the periods' avvikelser, through the index on item kind + created_at),
    the causes, and the medians; the folding into subtrees is done here."""
    if not roots or not periods:
        return {}
    if aggregates.overlapping(periods):
        return {
            (r.id, i): statistics_many([r], [p])[(r.id, 0)]
            for r in roots
            for i, p in enumerate(periods)
        }
    A = Avvikelse
    categories = _categories()
    units = _units(roots)
    paths = {u.id: u.path for u in units}
    tallies = summary.read("AVV", periods, list(paths))
    if tallies is not None:
        median_rows = {
            (r.id, i): m
            for r in roots
            for i in range(len(periods))
            if (m := summary.median(tallies, paths, r.path, i, "close")) is not None
        }
    else:
        tallies = count(periods, list(paths), samples=False)
        bucket = aggregates.period_index(A.created_at, periods)
        tree = aggregates.membership(roots, units)
        median_rows = aggregates.medians(
            aggregates.days_between(A.created_at, A.closed_at),
            [tree.c.root_id, bucket],
            select()
            .select_from(A)
            .join(tree, tree.c.unit_id == A.unit_id)
            .where(*_where(periods), A.closed_at.is_not(None)),
        )
    per_unit = {key: tally.counts for key, tally in tallies.items()}
    names = [
        "total", *(f"cat:{e.id}" for e in categories), "cat:",
        *(f"status:{s}" for s in WORKFLOW.states), *(f"sev:{k}" for k in range(5)),
        *(f"sex:{k}" for k in Kon), *(f"age:{k}" for k in ALDERSGRUPPER), "health_care",
        "closed", *(f"cause:{o}" for o in Orsak),
    ]  # fmt: skip
    folded = aggregates.fold(per_unit, paths, roots, len(periods), names)
    per_unit_counts = {k: v.get("total", 0) for k, v in per_unit.items()}
    threshold = underreporting_threshold()
    names_of = {0: "Ej bedömd", 1: "Låg", 2: "Måttlig", 3: "Hög", 4: "Mycket hög"}
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        active = [u for u in units if u.path.startswith(root.path) and u.active]
        for index, period in enumerate(periods):
            c = folded[(root.id, index)]
            by_category = {
                e.label: c[f"cat:{e.id}"] for e in categories if e.active or c[f"cat:{e.id}"]
            }
            if c["cat:"]:
                by_category["Utan kategori"] = c["cat:"]
            by_status: dict[str, int] = {}
            for state, label in WORKFLOW.states.items():
                key = "Rapporterad" if state == "rapporterad_hsl" else label
                by_status[key] = by_status.get(key, 0) + c[f"status:{state}"]
            at_unit = {u.id: per_unit_counts.get((u.id, index), 0) for u in active}
            median = median_rows.get((root.id, index))
            out[(root.id, index)] = {
                "period": period.label,
                "total": c["total"],
                "by_category": by_category,
                "by_status": by_status,
                "by_cause": {ORSAK_LABELS[o]: c[f"cause:{o}"] for o in Orsak},
                "by_unit": {u.name: at_unit[u.id] for u in active},
                "by_severity": {names_of[k]: c[f"sev:{k}"] for k in (1, 2, 3, 4, 0)},
                "by_sex": {KON_LABELS[k]: c[f"sex:{k}"] for k in Kon},
                "by_age": {label: c[f"age:{key}"] for key, label in ALDERSGRUPPER.items()},
                "health_care": c["health_care"],
                "closed": c["closed"],
                "median_days_to_close": round(median, 1) if median is not None else None,
                "underreporting": [
                    u.name
                    for u in active
                    if u.kind in (UnitKind.ENHET, UnitKind.TEAM) and at_unit[u.id] < threshold
                ],
                "threshold": threshold,
            }
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Avvikelser in root's subtree reported (created_at) in `period`; cancelled excluded.

    Keys:
    - period: the period label; total: number reported.
    - by_category: {category label: count}, every category (0 included), in list order.
    - by_status: {status label: count}; by_cause: {cause label: count} (analysed ones).
    - by_unit: {unit name: count} for every active unit in the subtree (0 included), tree
      order, counting items placed at exactly that unit.
    - by_severity: {"Låg"/"Måttlig"/"Hög"/"Mycket hög"/"Ej bedömd": count}.
    - by_sex / by_age: {label: count}; `suppress()` turns counts below 5 into "<5" for
      read-only users.
    - health_care: count of health-care deviations.
    - closed: number of those closed; median_days_to_close: median whole days from report to
      close among closed ones (None if none).
    - underreporting: [unit names] of active enheter (and teams) with fewer than
      `underreporting_threshold` reports; threshold: that number.
    """
    return statistics_many([root], [period])[(root.id, 0)]


def statistics_with_previous(root: Unit, period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """`statistics` for `period` and the year before, read together (one pass)."""
    both = statistics_many([root], [period, period.previous_year()])
    return both[(root.id, 0)], both[(root.id, 1)]


summary.register(areas.summary_spec("AVV", Avvikelse))
