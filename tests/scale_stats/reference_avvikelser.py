# The statistics before kvalitet.core.aggregates (commit f23c2e9), kept as the reference the
# grouped queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of avvikelser for a unit subtree and a period (SQL aggregates only).

The caller checks that the user may see aggregates for `root`; call twice (period and
period.previous_year()) for the comparison year.
"""

from __future__ import annotations

import statistics as pystats
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
    risk_level,
)
from kvalitet.core.periods import Period
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.org.models import Unit, UnitKind


from kvalitet.avvikelser.stats import underreporting_threshold  # one definition


def _unused_underreporting_threshold() -> int:
    """Enheter with fewer reports than this in a period are flagged (config
    AVVIKELSE_UNDERREPORTING_THRESHOLD, default 2 per quality year)."""
    if has_app_context():
        return int(current_app.config.get("AVVIKELSE_UNDERREPORTING_THRESHOLD", 2))
    return 2


def _base(root: Unit, period: Period) -> Any:
    """Avvikelser reported (created) in the period in root's subtree, not cancelled."""
    return (
        select(Avvikelse.id)
        .join(Unit, Unit.id == Avvikelse.unit_id)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            Avvikelse.created_at >= period.start_utc(),
            Avvikelse.created_at < period.end_utc(),
            Avvikelse.cancelled_at.is_(None),
        )
    )


def _counts(query: Any) -> dict[Any, int]:
    return {key: int(count) for key, count in db.session.execute(query).all()}


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
    ids = _base(root, period).subquery()
    in_period = Avvikelse.id.in_(select(ids.c.id))
    total = db.session.scalar(select(func.count()).select_from(ids)) or 0

    cat_rows = _counts(
        select(Avvikelse.category_id, func.count()).where(in_period).group_by(Avvikelse.category_id)
    )
    categories = db.session.scalars(
        select(ListEntry)
        .where(ListEntry.list_key == "avvikelse_kategori")
        .order_by(ListEntry.sort_order, ListEntry.label)
    ).all()
    by_category = {
        e.label: int(cat_rows.get(e.id, 0)) for e in categories if e.active or cat_rows.get(e.id)
    }
    if cat_rows.get(None):
        by_category["Utan kategori"] = int(cat_rows[None])

    status_rows = _counts(
        select(Avvikelse.status, func.count()).where(in_period).group_by(Avvikelse.status)
    )
    by_status: dict[str, int] = {}
    for state, label in WORKFLOW.states.items():
        key = "Rapporterad" if state == "rapporterad_hsl" else label
        by_status[key] = by_status.get(key, 0) + int(status_rows.get(state, 0))

    cause_rows = _counts(
        select(AvvikelseOrsak.orsak, func.count())
        .where(AvvikelseOrsak.avvikelse_id.in_(select(ids.c.id)))
        .group_by(AvvikelseOrsak.orsak)
    )
    by_cause = {ORSAK_LABELS[o]: int(cause_rows.get(str(o), 0)) for o in Orsak}

    unit_rows = _counts(
        select(Avvikelse.unit_id, func.count()).where(in_period).group_by(Avvikelse.unit_id)
    )
    units = db.session.scalars(
        select(Unit)
        .where(Unit.path.startswith(root.path, autoescape=True), Unit.active.is_(True))
        .order_by(Unit.path)
    ).all()
    by_unit = {u.name: int(unit_rows.get(u.id, 0)) for u in units}
    threshold = underreporting_threshold()
    underreporting = [
        u.name
        for u in units
        if u.kind in (UnitKind.ENHET, UnitKind.TEAM) and unit_rows.get(u.id, 0) < threshold
    ]

    sev_rows = db.session.execute(
        select(Avvikelse.severity, func.count()).where(in_period).group_by(Avvikelse.severity)
    ).all()
    names = {0: "Ej bedömd", 1: "Låg", 2: "Måttlig", 3: "Hög", 4: "Mycket hög"}
    by_severity = {names[k]: 0 for k in (1, 2, 3, 4, 0)}
    for severity, count in sev_rows:
        by_severity[names[risk_level(severity)]] += int(count)

    sex_rows = _counts(
        select(Avvikelse.sex, func.count())
        .where(in_period, Avvikelse.sex.is_not(None))
        .group_by(Avvikelse.sex)
    )
    by_sex = {KON_LABELS[k]: int(sex_rows.get(str(k), 0)) for k in Kon}
    age_rows = _counts(
        select(Avvikelse.age_group, func.count())
        .where(in_period, Avvikelse.age_group.is_not(None))
        .group_by(Avvikelse.age_group)
    )
    by_age = {label: int(age_rows.get(key, 0)) for key, label in ALDERSGRUPPER.items()}

    health_care = (
        db.session.scalar(
            select(func.count())
            .select_from(Avvikelse)
            .where(in_period, Avvikelse.health_care.is_(True))
        )
        or 0
    )
    # Durations: only (created_at, closed_at) pairs of closed ones are fetched; the median
    # is portable this way (SQLite has no percentile function).
    pairs = db.session.execute(
        select(Item.created_at, Item.closed_at).where(
            Item.id.in_(select(ids.c.id)), Item.closed_at.is_not(None)
        )
    ).all()
    days = [max(0, (closed - created).total_seconds() / 86400) for created, closed in pairs]
    median = round(pystats.median(days), 1) if days else None
    return {
        "period": period.label,
        "total": int(total),
        "by_category": by_category,
        "by_status": by_status,
        "by_cause": by_cause,
        "by_unit": by_unit,
        "by_severity": by_severity,
        "by_sex": by_sex,
        "by_age": by_age,
        "health_care": int(health_care),
        "closed": len(days),
        "median_days_to_close": median,
        "underreporting": underreporting,
        "threshold": threshold,
    }
