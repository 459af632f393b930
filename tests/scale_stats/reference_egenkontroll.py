# The statistics before kvalitet.core.aggregates (commit f23c2e9), kept as the reference the
# grouped queries must agree with. Not used by the app.
# ruff: noqa
# mypy: ignore-errors
"""Statistics of egenkontroller for the report (see the statistics interface)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from kvalitet.core.periods import Period
from kvalitet.egenkontroll.models import (
    METOD_LABELS,
    Egenkontroll,
    EgkStatus,
    Fraga,
    Kontroll,
    Metod,
    Svar,
    SvarRad,
)
from kvalitet.extensions import db
from kvalitet.org.models import Unit


def statistics(root: Unit, period: Period) -> dict[str, Any]:
    """Egenkontroller whose planned date is in `period`, at units in root's subtree
    (cancelled occurrences left out). No personal data, so nothing needs suppression.

    Keys:
    - "planerade": int, occurrences planned in the period;
    - "genomforda": int, performed (status Genomförd);
    - "genomforda_i_tid": int, performed on or before the due date;
    - "genomforda_sent": int, performed after the due date;
    - "missade": int, not performed by the due date and still open (status Missad);
    - "avskrivna": int, written off (status Avskriven);
    - "pagaende": int, planned or started, not yet due;
    - "andel_genomforda": int | None, genomförda / planerade in percent;
    - "per_metod": {method label: {"planerade", "genomforda", "missade"}};
    - "per_kontroll": [{"kontroll_id", "kontroll", "metod", "planerade", "genomforda",
      "missade"}], by control title;
    - "fragor": [{"kontroll", "fraga", "n", "N", "ej_aktuellt", "andel"}] over performed
      occurrences: n = ja, N = ja + nej (ej aktuellt not counted), andel = n/N in percent;
    - "fragor_per_enhet": the same with "enhet" (unit name) added, per unit.
    """
    start, end = period.start, period.end
    base = (
        Egenkontroll.unit_id.in_(select(Unit.id).where(Unit.path.startswith(root.path))),
        Egenkontroll.planned_date >= start,
        Egenkontroll.planned_date <= end,
        Egenkontroll.cancelled_at.is_(None),
    )
    performed = Egenkontroll.status == EgkStatus.GENOMFORD
    row = db.session.execute(
        select(
            func.count(Egenkontroll.id),
            func.count(Egenkontroll.id).filter(performed),
            func.count(Egenkontroll.id).filter(Egenkontroll.status == EgkStatus.MISSAD),
            func.count(Egenkontroll.id).filter(Egenkontroll.status == EgkStatus.AVSKRIVEN),
            func.count(Egenkontroll.id).filter(
                Egenkontroll.status.in_([EgkStatus.PLANERAD, EgkStatus.PAGAENDE])
            ),
        ).where(*base)
    ).one()
    planned, done, missed, written_off, ongoing = (int(v or 0) for v in row)
    late_count = int(
        db.session.scalar(
            select(func.count(Egenkontroll.id)).where(
                *base, performed, Egenkontroll.performed_on > Egenkontroll.due_date
            )
        )
        or 0
    )

    per_kontroll_rows = db.session.execute(
        select(
            Kontroll.id,
            Kontroll.title,
            Kontroll.method,
            func.count(Egenkontroll.id),
            func.count(Egenkontroll.id).filter(performed),
            func.count(Egenkontroll.id).filter(Egenkontroll.status == EgkStatus.MISSAD),
        )
        .join(Kontroll, Kontroll.id == Egenkontroll.kontroll_id)
        .where(*base)
        .group_by(Kontroll.id, Kontroll.title, Kontroll.method)
        .order_by(Kontroll.title)
    ).all()
    per_kontroll = [
        {"kontroll_id": kid, "kontroll": title, "metod": METOD_LABELS[Metod(method)],
         "planerade": p, "genomforda": g, "missade": m}
        for kid, title, method, p, g, m in per_kontroll_rows
    ]  # fmt: skip
    per_metod: dict[str, dict[str, int]] = {}
    for entry in per_kontroll:
        bucket = per_metod.setdefault(
            entry["metod"], {"planerade": 0, "genomforda": 0, "missade": 0}
        )
        for key in bucket:
            bucket[key] += entry[key]

    ja = func.sum(case((SvarRad.answer == Svar.JA, 1), else_=0))
    nej = func.sum(case((SvarRad.answer == Svar.NEJ, 1), else_=0))
    ea = func.sum(case((SvarRad.answer == Svar.EJ_AKTUELLT, 1), else_=0))

    def answer_rows(per_unit: bool) -> list[dict[str, Any]]:
        columns = [Kontroll.title, Fraga.id, Fraga.text, Fraga.sort_order]
        if per_unit:
            columns.append(Unit.name)
        query = (
            select(*columns, ja, nej, ea)
            .select_from(SvarRad)
            .join(Egenkontroll, Egenkontroll.id == SvarRad.egenkontroll_id)
            .join(Fraga, Fraga.id == SvarRad.fraga_id)
            .join(Kontroll, Kontroll.id == Fraga.kontroll_id)
            .where(*base, performed)
        )
        if per_unit:
            query = query.join(Unit, Unit.id == Egenkontroll.unit_id)
        query = query.group_by(*columns).order_by(*columns[:1], Fraga.sort_order, *columns[4:])
        out = []
        for r in db.session.execute(query):
            n, no, na = int(r[-3] or 0), int(r[-2] or 0), int(r[-1] or 0)
            entry = {"kontroll": r[0], "fraga": r[2], "n": n, "N": n + no, "ej_aktuellt": na,
                     "andel": round(100 * n / (n + no)) if n + no else None}  # fmt: skip
            if per_unit:
                entry["enhet"] = r[4]
            out.append(entry)
        return out

    return {
        "planerade": planned,
        "genomforda": done,
        "genomforda_i_tid": done - late_count,
        "genomforda_sent": late_count,
        "missade": missed,
        "avskrivna": written_off,
        "pagaende": ongoing,
        "andel_genomforda": round(100 * done / planned) if planned else None,
        "per_metod": per_metod,
        "per_kontroll": per_kontroll,
        "fragor": answer_rows(False),
        "fragor_per_enhet": answer_rows(True),
    }
