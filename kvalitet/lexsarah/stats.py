"""Lex Sarah statistics for the kvalitetsberättelse and the SAS network (stats interface)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

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


NAMES = ["rapporter", "utredningar", "beslut", "ej_missforhallande", "missforhallande",
         "pataglig_risk", "allvarliga", "anmalda_ivo"]  # fmt: skip

# The steps of the working-day medians: (label, sample key, from, to), for the cases
# reported in the period.
STEPS = [
    ("Rapport → bedömning", "r_b", "reported_at", "assessed_at"),
    ("Bedömning → beslut", "b_d", "assessed_at", "decision_date"),
    ("Beslut → anmälan till IVO", "d_i", "decision_date", "ivo_filed_date"),
    ("Rapport → avslut", "r_a", "reported_at", "closed_at"),
]
_DATES = ["reported_at", "assessed_at", "decision_date", "ivo_filed_date", "closed_at"]


def _working_days(row: Sequence[Any]) -> list[tuple[str, int]]:
    """(sample key, working days) of each step both of whose dates one case has; `row`:
    its values of _DATES (UTC instants are taken as their local day)."""
    local = dict(zip(_DATES, (_local(v) for v in row), strict=True))
    out = []
    for _, key, first, then in STEPS:
        a, b = local[first], local[then]
        if a and b:
            out.append((key, working_days_between(a, b)))
    return out


def _placed(kind: str, column: str, utc: bool, figures: dict[str, Any]) -> summary.SummarySpec:
    """The summary of the figures a date column places in a period (lex Sarah's figures are
    placed by four dates): per unit and month of `column`, counts of `figures` (a name and
    a condition, None for every case); the reported one also keeps the working days of each
    step of its cases (the medians)."""
    L = LexSarahArende

    def count(
        periods: Sequence[Period], unit_ids: Sequence[int] | None
    ) -> dict[tuple[int, int], summary.Tally]:
        placed_on = getattr(L, column)
        where = [L.kind == "LXS", aggregates.in_periods(placed_on, periods, utc),
                 L.cancelled_at.is_(None)]  # fmt: skip
        if unit_ids is not None:
            where.append(aggregates.among(L.unit_id, list(unit_ids), aggregates.unit_count()))
        bucket = aggregates.period_index(placed_on, periods, utc)
        columns = {"total": func.count()} | {
            name: func.count() if condition is None else func.count().filter(condition)
            for name, condition in figures.items()
        }
        per_unit = aggregates.counts(
            columns, L.unit_id, bucket, select().select_from(L).where(*where)
        )
        out = {key: summary.Tally(counts) for key, counts in per_unit.items()}
        if column == "reported_at":
            dates = [getattr(L, name) for name in _DATES]
            for unit_id, index, *row in db.session.execute(
                select(L.unit_id, bucket, *dates).where(*where)
            ):
                if index is None:
                    continue
                tally = out.setdefault((int(unit_id), int(index)), summary.Tally({"total": 0}))
                for key, days in _working_days(row):
                    tally.samples.setdefault(key, []).append(days)
        return out

    return summary.SummarySpec(kind=kind, model=L, period=column, utc=utc, count=count)


_L = LexSarahArende
SPECS = [
    summary.register(spec)
    for spec in (
        _placed("LXS", "reported_at", True, {"rapporter": None}),
        _placed("LXS/B", "assessed_at", True, {"utredningar": None}),
        _placed("LXS/D", "decision_date", False, {
            "beslut": None,
            "ej_missforhallande": _L.outcome == Utfall.EJ_MISSFORHALLANDE,
            "missforhallande": _L.outcome == Utfall.MISSFORHALLANDE,
            "pataglig_risk": _L.outcome == Utfall.PATAGLIG_RISK,
            "allvarliga": _L.allvarligt.is_(True),
        }),
        _placed("LXS/I", "ivo_filed_date", False, {"anmalda_ivo": None}),
    )
]  # fmt: skip


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}.

    From the statistics summary (kvalitet.core.summary: one kind per date that places a
    figure, "LXS" by the report date also holding each case's working days per step) when
    the periods are whole months: one query. Otherwise live, the same counting queries
    (`SPECS`) over the periods' cases, through the index on each date column. The medians
    are taken over the subtree's working days (holiday calendar of core.workdays)."""
    if not roots or not periods:
        return {}
    if aggregates.overlapping(periods):
        return {
            (r.id, i): statistics_many([r], [p])[(r.id, 0)]
            for r in roots
            for i, p in enumerate(periods)
        }
    units = list(db.session.scalars(select(Unit).where(aggregates.in_subtrees(Unit.path, roots))))
    paths = {u.id: u.path for u in units}
    kinds = [spec.kind for spec in SPECS]
    tallies = summary.read_kinds(kinds, periods, list(paths))
    if tallies is None:
        tallies = {spec.kind: spec.count(periods, list(paths)) for spec in SPECS}
    per_unit: dict[tuple[int, int], dict[str, int]] = {}
    for found in tallies.values():
        for key, tally in found.items():
            figures = per_unit.setdefault(key, dict.fromkeys(NAMES, 0))
            for name, value in tally.counts.items():
                if name in figures:
                    figures[name] += int(value)
    folded = aggregates.fold(per_unit, paths, roots, len(periods), NAMES)
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
                    found_here = per_unit.get((unit.id, index))
                    if found_here and unit.path.startswith(avd.path):
                        for name, value in found_here.items():
                            figures[name] += value
                per_avd.append({"unit_id": avd.id, "avdelning": avd.name, **figures})
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
                    label: summary.median(tallies["LXS"], paths, root.path, index, key)
                    for label, key, _, _ in STEPS
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
