"""Measures Kvalitet computes from its own items, for a period and a unit subtree.

An indikator bound to one of these gets its utfall filled in when the period closes
(kvalitet.mal.jobs), so the responsible person only writes the analysis. Where a kind's
stats module already computes the figure, it is used as is (one definition of "answered in
time" for the statistics page, the kvalitetsberättelse and the goal follow-up); the two that
no stats module has are counted here with SQL selections.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard, AtgardStatus
from kvalitet.avvikelser import stats as avvikelser_stats
from kvalitet.avvikelser.models import KON_LABELS, Avvikelse, Kon
from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.core.workdays import add_working_days
from kvalitet.egenkontroll import stats as egenkontroll_stats
from kvalitet.extensions import db
from kvalitet.lexsarah.deadlines import target_days
from kvalitet.lexsarah.models import LexSarahArende
from kvalitet.org.models import Unit
from kvalitet.synpunkter import stats as synpunkter_stats


@dataclass(frozen=True)
class Result:
    value: float | None
    value_k: float | None = None
    value_m: float | None = None
    n_k: int | None = None
    n_m: int | None = None
    basis: str = ""  # "12 av 15": what the figure is built from


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit_of_measure: str  # Enhetstyp value
    direction: str  # Riktning value that usually applies
    compute: Callable[[Unit, Period], Result]
    per_sex: bool = False


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _synpunkter_ack(root: Unit, period: Period) -> Result:
    s = synpunkter_stats.statistics(root, period)
    return Result(
        _pct(s["ack_in_time"], s["ack_owed"]), basis=f"{s['ack_in_time']} av {s['ack_owed']}"
    )


def _synpunkter_answer(root: Unit, period: Period) -> Result:
    s = synpunkter_stats.statistics(root, period)
    return Result(
        _pct(s["answered_in_time"], s["answer_owed"]),
        basis=f"{s['answered_in_time']} av {s['answer_owed']}",
    )


def _median_days_by_sex(root: Unit, period: Period) -> dict[str, list[float]]:
    """Days from report to close of the avvikelser reported in the period in root's subtree
    and closed, per sex of the person concerned (the selection of avvikelser.stats'
    median_days_to_close; avvikelser are the one kind that records sex)."""
    rows = db.session.execute(
        select(Avvikelse.sex, Avvikelse.created_at, Avvikelse.closed_at).where(
            Avvikelse.unit_id.in_(_in_subtree(root)),
            Avvikelse.created_at >= period.start_utc(),
            Avvikelse.created_at < period.end_utc(),
            Avvikelse.cancelled_at.is_(None),
            Avvikelse.closed_at.is_not(None),
            Avvikelse.sex.in_([Kon.KVINNA, Kon.MAN]),
        )
    ).all()
    out: dict[str, list[float]] = {Kon.KVINNA: [], Kon.MAN: []}
    for sex, created, closed in rows:
        out[sex].append(max(0, (closed - created).total_seconds() / 86400))
    return out


def _avvikelser_median(root: Unit, period: Period) -> Result:
    s = avvikelser_stats.statistics(root, period)
    days = _median_days_by_sex(root, period)
    women, men = days[Kon.KVINNA], days[Kon.MAN]
    return Result(
        s["median_days_to_close"],
        round(statistics.median(women), 1) if women else None,
        round(statistics.median(men), 1) if men else None,
        len(women),
        len(men),
        basis=f"{s['closed']} avslutade",
    )


def _avvikelser_antal(root: Unit, period: Period) -> Result:
    s = avvikelser_stats.statistics(root, period)
    by_sex = s.get("by_sex") or {}
    women = int(by_sex.get(KON_LABELS[Kon.KVINNA], 0))
    men = int(by_sex.get(KON_LABELS[Kon.MAN], 0))
    return Result(
        float(s["total"]), float(women), float(men), women, men, basis=f"{s['total']} rapporterade"
    )


def _egenkontroll_done(root: Unit, period: Period) -> Result:
    s = egenkontroll_stats.statistics(root, period)
    return Result(
        _pct(s["genomforda"], s["planerade"]), basis=f"{s['genomforda']} av {s['planerade']}"
    )


def _egenkontroll_results(root: Unit, period: Period) -> Result:
    s = egenkontroll_stats.statistics(root, period)
    n = sum(int(r["n"]) for r in s["fragor"])
    total = sum(int(r["N"]) for r in s["fragor"])
    return Result(_pct(n, total), basis=f"{n} av {total}")


def _in_subtree(root: Unit) -> Any:
    return select(Unit.id).where(Unit.path.startswith(root.path, autoescape=True))


def _local_day(value: Any) -> Any:
    local = clock.to_local(value)
    return local.date() if local else None


def _lexsarah_in_time(root: Unit, period: Period) -> Result:
    """Beslut taken in the period whose utredning was finished within the target (working
    days from the SAS assessment, LEXSARAH_UTREDNING_DAGAR)."""
    rows = db.session.execute(
        select(LexSarahArende.assessed_at, LexSarahArende.decision_date).where(
            LexSarahArende.unit_id.in_(_in_subtree(root)),
            LexSarahArende.cancelled_at.is_(None),
            LexSarahArende.decision_date >= period.start,
            LexSarahArende.decision_date <= period.end,
            LexSarahArende.assessed_at.is_not(None),
        )
    ).all()
    days = target_days("LEXSARAH_UTREDNING_DAGAR")
    in_time = sum(
        1 for assessed, decided in rows if decided <= add_working_days(_local_day(assessed), days)
    )
    return Result(_pct(in_time, len(rows)), basis=f"{in_time} av {len(rows)}")


def _atgarder_in_time(root: Unit, period: Period) -> Result:
    """Förbättringsåtgärder with a due date in the period: share done by that date."""
    rows = db.session.execute(
        select(Atgard.status, Atgard.closed_at, Atgard.due_date).where(
            Atgard.unit_id.in_(_in_subtree(root)),
            Atgard.cancelled_at.is_(None),
            Atgard.due_date >= period.start,
            Atgard.due_date <= period.end,
        )
    ).all()
    done = sum(
        1
        for status, closed, due in rows
        if status == AtgardStatus.GENOMFORD and closed and _local_day(closed) <= due
    )
    return Result(_pct(done, len(rows)), basis=f"{done} av {len(rows)}")


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure(
            "synpunkter_bekraftade_i_tid",
            "Andel synpunkter och klagomål bekräftade i tid",
            "procent",
            "hogre",
            _synpunkter_ack,
        ),
        Measure(
            "synpunkter_besvarade_i_tid",
            "Andel synpunkter och klagomål besvarade i tid",
            "procent",
            "hogre",
            _synpunkter_answer,
        ),
        Measure(
            "avvikelser_median_dagar",
            "Median antal dagar till avslutad avvikelse",
            "dagar",
            "lagre",
            _avvikelser_median,
            per_sex=True,
        ),
        Measure(
            "avvikelser_antal",
            "Antal rapporterade avvikelser",
            "antal",
            "hogre",
            _avvikelser_antal,
            per_sex=True,
        ),
        Measure(
            "egenkontroller_genomforda",
            "Andel egenkontroller genomförda enligt plan",
            "procent",
            "hogre",
            _egenkontroll_done,
        ),
        Measure(
            "egenkontroller_resultat",
            "Andel uppfyllda kontrollpunkter i egenkontroller (n av N)",
            "procent",
            "hogre",
            _egenkontroll_results,
        ),
        Measure(
            "lexsarah_utredningar_i_tid",
            "Andel lex Sarah-utredningar klara inom målet",
            "procent",
            "hogre",
            _lexsarah_in_time,
        ),
        Measure(
            "atgarder_i_tid",
            "Andel förbättringsåtgärder genomförda i tid",
            "procent",
            "hogre",
            _atgarder_in_time,
        ),
    ]
}


def measure_choices() -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in MEASURES.values()]


def compute(key: str, root: Unit, period: Period) -> Result:
    return MEASURES[key].compute(root, period)
