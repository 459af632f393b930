"""Lex Sarah statistics for the kvalitetsberättelse and the SAS network (stats interface)."""

from __future__ import annotations

import statistics as pystats
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from kvalitet.core import aggregates, clock, summary
from kvalitet.core.periods import Period
from kvalitet.core.workdays import working_days_between
from kvalitet.extensions import db, reads_replica
from kvalitet.items import areas
from kvalitet.lexsarah.models import UTFALL_LABELS, LexSarahArende, Utfall
from kvalitet.org.models import Unit, UnitKind


def _local(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.date() if local else None
    return value


def _median(pairs: list[tuple[Any, Any]]) -> float | None:
    values = []
    for start, end in pairs:
        a, b = _local(start), _local(end)
        if a and b:
            values.append(working_days_between(a, b))
    return float(pystats.median(values)) if values else None


NAMES = ["rapporter", "utredningar", "beslut", "ej_missforhallande", "missforhallande",
         "pataglig_risk", "allvarliga", "anmalda_ivo"]  # fmt: skip


def _columns(period: Period) -> list[Any]:
    """The figures of one period, each filtered by the date that places it in the period."""
    L = LexSarahArende
    start, end = period.start_utc(), period.end_utc()
    decided = L.decision_date.between(period.start, period.end)
    return [
        func.count(L.id).filter(L.reported_at >= start, L.reported_at < end),
        func.count(L.id).filter(L.assessed_at >= start, L.assessed_at < end),
        func.count(L.id).filter(decided),
        func.count(L.id).filter(decided, L.outcome == Utfall.EJ_MISSFORHALLANDE),
        func.count(L.id).filter(decided, L.outcome == Utfall.MISSFORHALLANDE),
        func.count(L.id).filter(decided, L.outcome == Utfall.PATAGLIG_RISK),
        func.count(L.id).filter(decided, L.allvarligt.is_(True)),
        func.count(L.id).filter(L.ivo_filed_date.between(period.start, period.end)),
    ]


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. Two
    queries whatever the number of roots and periods: every figure of every period per unit,
    and the date columns of the cases reported in the periods (lex Sarah cases are few: the
    working-day medians are taken here, with the holiday calendar of core.workdays)."""
    if not roots or not periods:
        return {}
    L = LexSarahArende
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    in_tree = (L.kind == "LXS", L.unit_id.in_(list(paths)), L.cancelled_at.is_(None))
    columns = [c for p in periods for c in _columns(p)]
    per_unit: dict[tuple[int, int], dict[str, int]] = {}
    # Only the cases with a date in a period (each date column has its index): every figure
    # of the others is 0.
    dated = or_(
        aggregates.in_periods(L.reported_at, periods),
        aggregates.in_periods(L.assessed_at, periods),
        aggregates.in_periods(L.decision_date, periods, utc=False),
        aggregates.in_periods(L.ivo_filed_date, periods, utc=False),
    )
    grouped = select(L.unit_id, *columns).where(*in_tree, dated).group_by(L.unit_id)
    for row in db.session.execute(grouped):
        for index in range(len(periods)):
            values = row[1 + index * len(NAMES) : 1 + (index + 1) * len(NAMES)]
            per_unit[(row[0], index)] = {n: int(v or 0) for n, v in zip(NAMES, values, strict=True)}
    folded = aggregates.fold(per_unit, paths, roots, len(periods), NAMES)
    cases = db.session.execute(
        select(L.unit_id, L.reported_at, L.assessed_at, L.decision_date, L.ivo_filed_date,
               L.closed_at)
        .where(*in_tree, aggregates.in_periods(L.reported_at, periods))
    ).all()  # fmt: skip
    # Local dates once per case (not once per subtree and step).
    local_cases = [(r[0], r[1], *(_local(v) for v in r[1:])) for r in cases]
    avdelningar_of = {
        r.id: sorted(
            [u for u in units if u.path.startswith(r.path) and u.kind == UnitKind.AVDELNING] or [r],
            key=lambda u: u.name,
        )
        for r in roots
    }
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index, period in enumerate(periods):
            totals = folded[(root.id, index)]
            per_avd = []
            for avd in avdelningar_of[root.id]:
                figures = dict.fromkeys(NAMES, 0)
                for unit in units:
                    found = per_unit.get((unit.id, index))
                    if found and unit.path.startswith(avd.path):
                        for key, value in found.items():
                            figures[key] += value
                per_avd.append({"unit_id": avd.id, "avdelning": avd.name, **figures})
            start, end = period.start_utc(), period.end_utc()
            rows = [
                r[2:]
                for r in local_cases
                if paths[r[0]].startswith(root.path) and start <= r[1] < end
            ]
            out[(root.id, index)] = {
                "period": period.label,
                "rapporter": totals["rapporter"],
                "utredningar": totals["utredningar"],
                "beslut": totals["beslut"],
                "per_utfall": {UTFALL_LABELS[u]: totals[str(u)] for u in Utfall},
                "missforhallanden": totals["missforhallande"] + totals["pataglig_risk"],
                "allvarliga": totals["allvarliga"],
                "anmalda_ivo": totals["anmalda_ivo"],
                "median_arbetsdagar": {
                    "Rapport → bedömning": _median([(r[0], r[1]) for r in rows]),
                    "Bedömning → beslut": _median([(r[1], r[2]) for r in rows]),
                    "Beslut → anmälan till IVO": _median([(r[2], r[3]) for r in rows]),
                    "Rapport → avslut": _median([(r[0], r[4]) for r in rows]),
                },
                "per_avdelning": per_avd,
            }
    return out


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Lex Sarah figures for `root`'s subtree in `period` (cancelled cases left out).

    Keys:
    - "rapporter": rapporter received (reported_at in the period)
    - "utredningar": utredningar started (SAS assessment in the period)
    - "beslut": beslut taken (decision_date in the period)
    - "per_utfall": {outcome label: count} of those beslut
    - "missforhallanden": beslut missförhållande + påtaglig risk
    - "allvarliga": beslut marked allvarligt
    - "anmalda_ivo": anmälningar to IVO filed in the period
    - "median_arbetsdagar": {step label: median Swedish working days or None} for cases
      reported in the period: rapport→bedömning, bedömning→beslut, beslut→anmälan,
      rapport→avslut
    - "per_avdelning": list of {"unit_id", "avdelning", and the counts above} for each
      avdelning in the subtree (or the root itself when it is below avdelning level)
    - "period": the period label
    """
    return statistics_many([root], [period])[(root.id, 0)]


def statistics_with_previous(root: Unit, period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """`statistics` for `period` and the year before, read together (one pass)."""
    both = statistics_many([root], [period, period.previous_year()])
    return both[(root.id, 0)], both[(root.id, 1)]


summary.register(areas.summary_spec("LXS", LexSarahArende))
