"""Statistics of egenkontroller for the report (see the statistics interface)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select

from kvalitet.core import aggregates, summary
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
from kvalitet.extensions import db, reads_replica
from kvalitet.items import areas
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
    return statistics_many([root], [period])[(root.id, 0)]


FIGURES = ("planned", "done", "missed", "written_off", "ongoing", "late")
ANSWERS = ("ja", "nej", "ea")


def count(
    periods: Sequence[Period], unit_ids: Sequence[int] | None
) -> dict[tuple[int, int], summary.Tally]:
    """The counters per (unit, period index): per control "k:<id>:<figure>" and, over the
    performed occurrences, per question "q:<id>:ja|nej|ea"; "total" is the planned ones."""
    E = Egenkontroll
    where: tuple[Any, ...] = (
        aggregates.in_periods(E.planned_date, periods, utc=False),
        E.cancelled_at.is_(None),
    )
    if unit_ids is not None:
        where = (aggregates.among(E.unit_id, list(unit_ids), aggregates.unit_count()), *where)
    bucket = aggregates.period_index(E.planned_date, periods, utc=False)
    performed = E.status == EgkStatus.GENOMFORD
    out: dict[tuple[int, int], summary.Tally] = {}
    for unit_id, p, kontroll_id, *figures in db.session.execute(
        select(
            E.unit_id,
            bucket,
            E.kontroll_id,
            func.count(E.id),
            func.count(E.id).filter(performed),
            func.count(E.id).filter(E.status == EgkStatus.MISSAD),
            func.count(E.id).filter(E.status == EgkStatus.AVSKRIVEN),
            func.count(E.id).filter(E.status.in_([EgkStatus.PLANERAD, EgkStatus.PAGAENDE])),
            func.count(E.id).filter(performed, E.performed_on > E.due_date),
        )
        .where(*where)
        .group_by(E.unit_id, bucket, E.kontroll_id)
    ):
        if p is None:
            continue
        tally = out.setdefault((unit_id, int(p)), summary.Tally({"total": 0}))
        tally.counts["total"] += int(figures[0] or 0)
        for name, value in zip(FIGURES, figures, strict=True):
            tally.counts[f"k:{kontroll_id}:{name}"] = int(value or 0)
    ja = func.sum(case((SvarRad.answer == Svar.JA, 1), else_=0))
    nej = func.sum(case((SvarRad.answer == Svar.NEJ, 1), else_=0))
    ea = func.sum(case((SvarRad.answer == Svar.EJ_AKTUELLT, 1), else_=0))
    for unit_id, p, fraga_id, *figures in db.session.execute(
        select(E.unit_id, bucket, SvarRad.fraga_id, ja, nej, ea)
        .select_from(SvarRad)
        .join(E, E.id == SvarRad.egenkontroll_id)
        .where(*where, performed)
        .group_by(E.unit_id, bucket, SvarRad.fraga_id)
    ):
        if p is None:
            continue
        tally = out.setdefault((unit_id, int(p)), summary.Tally({"total": 0}))
        for name, value in zip(ANSWERS, figures, strict=True):
            tally.counts[f"q:{fraga_id}:{name}"] = int(value or 0)
    return out


summary.register(
    summary.SummarySpec(
        kind="EGK", model=Egenkontroll, period="planned_date", utc=False, count=count,
        children={SvarRad.__tablename__: "egenkontroll_id"},
    )
)  # fmt: skip


@reads_replica
def statistics_many(
    roots: Sequence[Unit], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    """`statistics` for every root and period: {(root id, period index): stats}. The
    counters from the statistics summary (kvalitet.core.summary, one query) when the
    periods are whole months, else live (two queries through the planned_date index), then
    the controls' and questions' names."""
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
    unit_names = {u.id: u.name for u in units}
    tallies = summary.read("EGK", periods, list(paths))
    if tallies is None:
        tallies = count(periods, list(paths))
    rows: list[tuple[int, ...]] = []
    answers: list[tuple[int, ...]] = []
    for (unit_id, p), tally in tallies.items():
        ids: dict[tuple[str, int], None] = {}
        for key in tally.counts:
            if key.startswith(("k:", "q:")):
                ids[(key[0], int(key.split(":")[1]))] = None
        for letter, item_id in ids:
            if letter == "k":
                figures = [tally.counts.get(f"k:{item_id}:{n}", 0) for n in FIGURES]
                rows.append((unit_id, p, item_id, *figures))
            else:
                figures = [tally.counts.get(f"q:{item_id}:{n}", 0) for n in ANSWERS]
                answers.append((unit_id, p, item_id, *figures))
    kontroll_ids = {r[2] for r in rows}
    kontroller = {
        k.id: k for k in db.session.scalars(select(Kontroll).where(Kontroll.id.in_(kontroll_ids)))
    }
    fraga_ids = {r[2] for r in answers}
    fragor = {
        f.id: (f, title)
        for f, title in db.session.execute(
            select(Fraga, Kontroll.title)
            .join(Kontroll, Kontroll.id == Fraga.kontroll_id)
            .where(Fraga.id.in_(fraga_ids))
        ).tuples()
    }

    out: dict[tuple[int, int], dict[str, Any]] = {}
    for root in roots:
        for index in range(len(periods)):
            mine = [
                r for r in rows if r[1] == index and paths.get(r[0], "\0").startswith(root.path)
            ]
            planned, done, missed, written_off, ongoing, late = (
                sum(int(r[k] or 0) for r in mine) for k in range(3, 9)
            )
            per_k: dict[int, list[int]] = {}
            for r in mine:
                figures = per_k.setdefault(r[2], [0, 0, 0])
                for k in range(3):
                    figures[k] += int(r[3 + k] or 0)
            per_kontroll: list[dict[str, Any]] = [
                {"kontroll_id": kid, "kontroll": kontroller[kid].title,
                 "metod": METOD_LABELS[Metod(kontroller[kid].method)],
                 "planerade": p, "genomforda": g, "missade": m}
                for kid, (p, g, m) in sorted(
                    per_k.items(), key=lambda kv: (kontroller[kv[0]].title, kv[0])
                )
            ]  # fmt: skip
            per_metod: dict[str, dict[str, int]] = {}
            for entry in per_kontroll:
                bucket_counts = per_metod.setdefault(
                    entry["metod"], {"planerade": 0, "genomforda": 0, "missade": 0}
                )
                for key in bucket_counts:
                    bucket_counts[key] += entry[key]
            whole: dict[int, list[int]] = {}
            per_unit: dict[tuple[int, str], list[int]] = {}
            for unit_id, p, fraga_id, n, no, na in answers:
                if p != index or not paths.get(unit_id, "\0").startswith(root.path):
                    continue
                for target in (
                    whole.setdefault(fraga_id, [0, 0, 0]),
                    per_unit.setdefault((fraga_id, unit_names[unit_id]), [0, 0, 0]),
                ):
                    target[0] += int(n or 0)
                    target[1] += int(no or 0)
                    target[2] += int(na or 0)

            def entry_of(fraga_id: int, figures: list[int]) -> dict[str, Any]:
                n, no, na = figures
                fraga, title = fragor[fraga_id]
                return {"kontroll": title, "fraga": fraga.text, "n": n, "N": n + no,
                        "ej_aktuellt": na,
                        "andel": round(100 * n / (n + no)) if n + no else None}  # fmt: skip

            def order(fraga_id: int) -> tuple[Any, ...]:
                fraga, title = fragor[fraga_id]
                return (title, fraga.sort_order, fraga.id)

            out[(root.id, index)] = {
                "planerade": planned,
                "genomforda": done,
                "genomforda_i_tid": done - late,
                "genomforda_sent": late,
                "missade": missed,
                "avskrivna": written_off,
                "pagaende": ongoing,
                "andel_genomforda": round(100 * done / planned) if planned else None,
                "per_metod": per_metod,
                "per_kontroll": per_kontroll,
                "fragor": [entry_of(f, whole[f]) for f in sorted(whole, key=order)],
                "fragor_per_enhet": [
                    {**entry_of(f, per_unit[(f, name)]), "enhet": name}
                    for f, name in sorted(per_unit, key=lambda k: (*order(k[0]), k[1]))
                ],
            }
    return out


def statistics_with_previous(root: Unit, period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    """`statistics` for `period` and the year before, read together (one pass)."""
    both = statistics_many([root], [period, period.previous_year()])
    return both[(root.id, 0)], both[(root.id, 1)]


summary.register(areas.summary_spec("EGK", Egenkontroll))
