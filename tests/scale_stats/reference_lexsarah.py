# The statistics before kvalitet.core.aggregates (commit f23c2e9), kept as the reference the
# grouped queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Lex Sarah statistics for the kvalitetsberättelse and the SAS network (stats interface)."""

from __future__ import annotations

import statistics as pystats
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.core.workdays import working_days_between
from kvalitet.extensions import db
from kvalitet.items.models import Item
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


def _counts(root: Unit, period: Period, unit_expr: Any = None) -> dict[Any, dict[str, int]]:
    """Counts per key (unit id, or None for the whole subtree), each figure filtered by the
    date that places it in the period."""
    L = LexSarahArende
    start, end = period.start_utc(), period.end_utc()
    in_subtree = Unit.path.startswith(root.path, autoescape=True)
    not_cancelled = Item.cancelled_at.is_(None)
    decided = L.decision_date.between(period.start, period.end)
    columns = [
        func.count(L.id).filter(L.reported_at >= start, L.reported_at < end),
        func.count(L.id).filter(L.assessed_at >= start, L.assessed_at < end),
        func.count(L.id).filter(decided),
        func.count(L.id).filter(decided, L.outcome == Utfall.EJ_MISSFORHALLANDE),
        func.count(L.id).filter(decided, L.outcome == Utfall.MISSFORHALLANDE),
        func.count(L.id).filter(decided, L.outcome == Utfall.PATAGLIG_RISK),
        func.count(L.id).filter(decided, L.allvarligt.is_(True)),
        func.count(L.id).filter(L.ivo_filed_date.between(period.start, period.end)),
    ]
    query = (
        select(*([unit_expr] if unit_expr is not None else []), *columns)
        .select_from(L)
        .join(Unit, Unit.id == Item.unit_id)
        .where(in_subtree, not_cancelled)
    )
    if unit_expr is not None:
        query = query.group_by(unit_expr)
    names = ["rapporter", "utredningar", "beslut", "ej_missforhallande", "missforhallande",
             "pataglig_risk", "allvarliga", "anmalda_ivo"]  # fmt: skip
    result: dict[Any, dict[str, int]] = {}
    for row in db.session.execute(query).all():
        values = row[1:] if unit_expr is not None else row
        result[row[0] if unit_expr is not None else None] = {
            n: int(v or 0) for n, v in zip(names, values, strict=True)
        }
    return result


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
    L = LexSarahArende
    totals = _counts(root, period).get(None) or dict.fromkeys(
        ["rapporter", "utredningar", "beslut", "ej_missforhallande", "missforhallande",
         "pataglig_risk", "allvarliga", "anmalda_ivo"], 0)  # fmt: skip
    by_unit = _counts(root, period, Item.unit_id)
    # Avdelningar in the subtree: fold unit counts into them (a handful of rows).
    units = db.session.scalars(
        select(Unit).where(Unit.path.startswith(root.path, autoescape=True))
    ).all()
    avdelningar = [u for u in units if u.kind == UnitKind.AVDELNING] or [root]
    per_avd = []
    for avd in sorted(avdelningar, key=lambda u: u.name):
        figures = dict.fromkeys(totals, 0)
        for unit in units:
            if unit.path.startswith(avd.path) and unit.id in by_unit:
                for k, v in by_unit[unit.id].items():
                    figures[k] += v
        per_avd.append({"unit_id": avd.id, "avdelning": avd.name, **figures})
    # Median working days per step: only the few date columns of the period's cases.
    rows = db.session.execute(
        select(L.reported_at, L.assessed_at, L.decision_date, L.ivo_filed_date, Item.closed_at)
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            Item.cancelled_at.is_(None),
            L.reported_at >= period.start_utc(),
            L.reported_at < period.end_utc(),
        )
    ).all()
    medians = {
        "Rapport → bedömning": _median([(r[0], r[1]) for r in rows]),
        "Bedömning → beslut": _median([(r[1], r[2]) for r in rows]),
        "Beslut → anmälan till IVO": _median([(r[2], r[3]) for r in rows]),
        "Rapport → avslut": _median([(r[0], r[4]) for r in rows]),
    }
    return {
        "period": period.label,
        "rapporter": totals["rapporter"],
        "utredningar": totals["utredningar"],
        "beslut": totals["beslut"],
        "per_utfall": {UTFALL_LABELS[u]: totals[str(u)] for u in Utfall},
        "missforhallanden": totals["missforhallande"] + totals["pataglig_risk"],
        "allvarliga": totals["allvarliga"],
        "anmalda_ivo": totals["anmalda_ivo"],
        "median_arbetsdagar": medians,
        "per_avdelning": per_avd,
    }
