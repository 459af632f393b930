"""One view of all signals for a unit's subtree and a period (issue 21, point 1), read with
grouped SQL queries: avvikelser by category and cause, synpunkter and klagomål by theme, lex
Sarah by outcome, egenkontroll questions that fail, risks above a level, late åtgärder; the
same period last year beside it and the trend of the periods before.

Every figure is shown at the detail the one policy gives (kvalitet.core.permissions:
statistics_detail, shown_statistics): a kind the user has no statistics right for is left
out, read-only roles get aggregates with small groups suppressed. Lists that name items (the
risks, the late åtgärder) hold only items the user may see (visible_clause, in SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import ColumnElement, case, func, literal, select

from kvalitet.atgarder.kinds import WORKFLOW as ATG_WORKFLOW
from kvalitet.atgarder.models import Atgard
from kvalitet.avvikelser.models import ORSAK_LABELS, Avvikelse, AvvikelseOrsak, Orsak
from kvalitet.core import clock
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import (
    Detail,
    shown_statistics,
    statistics_detail,
    units_under,
    visible_clause,
)
from kvalitet.core.registry import kind_spec
from kvalitet.egenkontroll.models import Egenkontroll, Fraga, Kontroll, Svar, SvarRad
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.lexsarah.models import UTFALL_LABELS, LexSarahArende, Utfall
from kvalitet.org.models import Unit, User
from kvalitet.risker.kinds import WORKFLOW as RSK_WORKFLOW
from kvalitet.risker.models import Risk
from kvalitet.synpunkter.models import Synpunkt, SynpunktTyp

KIND_LABELS = {
    "AVV": "Avvikelser",
    "SYN": "Synpunkter och klagomål",
    "LXS": "Lex Sarah",
    "EGK": "Egenkontroller",
    "RSK": "Risker",
    "ATG": "Förbättringsåtgärder",
}
NO_CATEGORY = "Utan kategori"
TREND_PERIODS = 6


def risk_level() -> int:
    """Risks with a risk value at or above this are shown (ANALYS_RISK_LEVEL, default 9 of
    16: "hög")."""
    return int(current_app.config.get("ANALYS_RISK_LEVEL", 9))


def failing_share() -> float:
    """Egenkontroll questions answered "nej" in at least this share are shown
    (ANALYS_FAILING_SHARE, default 0.2)."""
    return float(current_app.config.get("ANALYS_FAILING_SHARE", 0.2))


# --- periods ----------------------------------------------------------------------------


def months_back(end: date, count: int) -> list[date]:
    """The first days of the `count` months ending with the month of `end`, oldest first."""
    last = end.replace(day=1)
    return [last - relativedelta(months=count - 1 - n) for n in range(count)]


def period_months(period: Period) -> int:
    delta = relativedelta(period.end_exclusive, period.start)
    return max(1, delta.years * 12 + delta.months + (1 if delta.days else 0))


def earlier_periods(period: Period, count: int = TREND_PERIODS) -> list[Period]:
    """`count` periods of the same length ending with `period`, oldest first."""
    length = period.end_exclusive - period.start
    months = period_months(period) if period.start.day == 1 else 0
    out = []
    for n in range(count - 1, -1, -1):
        if months:
            start = period.start - relativedelta(months=months * n)
            end = start + relativedelta(months=months) - timedelta(days=1)
        else:
            start = period.start - length * n
            end = start + length - timedelta(days=1)
        out.append(custom_period(start, end))
    return out


def period_label(period: Period) -> str:
    if period.start.day == 1 and period_months(period) == 3 and period.start.month % 3 == 1:
        return f"kv. {(period.start.month - 1) // 3 + 1} {period.start.year}"
    whole = period.start.day == 1 and period.end_exclusive.day == 1
    if whole and period_months(period) == 1:
        return f"{MONTHS[period.start.month - 1]} {period.start.year}"
    if whole:
        return (f"{MONTHS[period.start.month - 1]} {period.start.year} – "
                f"{MONTHS[period.end.month - 1]} {period.end.year}")  # fmt: skip
    return f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"


MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]  # fmt: skip


# --- the sources: which column dates an item, per kind ---------------------------------


@dataclass(frozen=True)
class Source:
    kind: str
    model: Any
    when: Any  # the column that places the item in a period
    is_date: bool  # a Date column (else a UTC datetime)

    def bound(self, day: date) -> Any:
        return day if self.is_date else clock.local_midnight_utc(day)

    def in_period(self, start: date, end_exclusive: date) -> list[ColumnElement[bool]]:
        return [self.when >= self.bound(start), self.when < self.bound(end_exclusive)]


SOURCES = {
    "AVV": Source("AVV", Avvikelse, Avvikelse.created_at, False),
    "SYN": Source("SYN", Synpunkt, Synpunkt.received_date, True),
    "LXS": Source("LXS", LexSarahArende, LexSarahArende.reported_at, False),
}


def in_subtree(root: Unit, model: Any = Item) -> ColumnElement[bool]:
    return model.unit_id.in_(units_under([root.path]))  # type: ignore[no-any-return]


def base_where(source: Source, root: Unit, start: date, end_exclusive: date) -> list[Any]:
    model = source.model
    return [in_subtree(root, model), model.cancelled_at.is_(None),
            *source.in_period(start, end_exclusive)]  # fmt: skip


def bucket(source: Source, starts: Sequence[date]) -> Any:
    """SQL: the index of the period (starting at `starts`, the last one ending at the next
    month) an item falls in; portable (no date functions), in local time."""
    whens = [(source.when < source.bound(s), literal(n - 1)) for n, s in enumerate(starts) if n]
    return case(*whens, else_=literal(len(starts) - 1)) if whens else literal(0)


def _counts(query: Any) -> dict[Any, int]:
    return {key: int(n) for key, n in db.session.execute(query).all()}


# --- per kind ------------------------------------------------------------------------------


def _labels(list_key: str) -> dict[int, str]:
    rows = db.session.execute(
        select(ListEntry.id, ListEntry.label)
        .where(ListEntry.list_key == list_key)
        .order_by(ListEntry.sort_order, ListEntry.label)
    ).all()
    return {i: label for i, label in rows}


def avvikelser(root: Unit, period: Period) -> dict[str, Any]:
    src = SOURCES["AVV"]
    where = base_where(src, root, period.start, period.end_exclusive)
    ids = select(Avvikelse.id).where(*where)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    cat = _counts(
        select(Avvikelse.category_id, func.count()).where(*where).group_by(Avvikelse.category_id)
    )
    labels = _labels("avvikelse_kategori")
    by_category = {labels.get(k, NO_CATEGORY) if k else NO_CATEGORY: n for k, n in cat.items()}
    causes = _counts(
        select(AvvikelseOrsak.orsak, func.count())
        .where(AvvikelseOrsak.avvikelse_id.in_(ids))
        .group_by(AvvikelseOrsak.orsak)
    )
    by_cause = {ORSAK_LABELS.get(Orsak(k), k): n for k, n in causes.items() if k in set(Orsak)}
    return {"total": total, "by_category": _sorted(by_category), "by_cause": _sorted(by_cause)}


def synpunkter(root: Unit, period: Period) -> dict[str, Any]:
    src = SOURCES["SYN"]
    where = base_where(src, root, period.start, period.end_exclusive)
    total = db.session.scalar(select(func.count(Synpunkt.id)).where(*where)) or 0
    labels = _labels("synpunkt_tema")
    theme = _counts(select(Synpunkt.theme_id, func.count()).where(*where)
                    .group_by(Synpunkt.theme_id))  # fmt: skip
    klagomal = _counts(
        select(Synpunkt.theme_id, func.count())
        .where(*where, Synpunkt.typ == SynpunktTyp.KLAGOMAL)
        .group_by(Synpunkt.theme_id)
    )
    typ = _counts(select(Synpunkt.typ, func.count()).where(*where).group_by(Synpunkt.typ))
    return {
        "total": total,
        "by_theme": _sorted({labels.get(k, "Utan tema") if k else "Utan tema": n
                             for k, n in theme.items()}),
        "klagomal_by_theme": _sorted({labels.get(k, "Utan tema") if k else "Utan tema": n
                                      for k, n in klagomal.items()}),
        "by_type": _sorted({SynpunktTyp(k).label if k in set(SynpunktTyp) else k: n
                            for k, n in typ.items()}),
    }  # fmt: skip


def lexsarah(root: Unit, period: Period) -> dict[str, Any]:
    """Counts only (no contents): reports by outcome of the beslut, and allvarliga."""
    src = SOURCES["LXS"]
    where = base_where(src, root, period.start, period.end_exclusive)
    total = db.session.scalar(select(func.count(LexSarahArende.id)).where(*where)) or 0
    outcome = _counts(
        select(LexSarahArende.outcome, func.count()).where(*where)
        .group_by(LexSarahArende.outcome)
    )  # fmt: skip
    by_outcome = {UTFALL_LABELS.get(Utfall(k), k) if k in set(Utfall) else "Ej beslutat": n
                  for k, n in outcome.items()}  # fmt: skip
    serious = db.session.scalar(
        select(func.count(LexSarahArende.id)).where(*where, LexSarahArende.allvarligt.is_(True))
    ) or 0  # fmt: skip
    return {"total": total, "by_outcome": _sorted(by_outcome), "allvarliga": serious}


def failing_questions(root: Unit, period: Period) -> list[dict[str, Any]]:
    """Egenkontroll questions performed in the period whose "nej" share reaches
    failing_share(), worst first: n nej of N answered (ja + nej)."""
    where = [
        in_subtree(root), Item.cancelled_at.is_(None),
        Egenkontroll.performed_on >= period.start, Egenkontroll.performed_on <= period.end,
    ]  # fmt: skip
    nej = func.sum(case((SvarRad.answer == Svar.NEJ, 1), else_=0))
    answered = func.sum(case((SvarRad.answer.in_([Svar.JA, Svar.NEJ]), 1), else_=0))
    rows = db.session.execute(
        select(Fraga.text, Kontroll.title, nej, answered)
        .select_from(SvarRad)
        .join(Egenkontroll, Egenkontroll.id == SvarRad.egenkontroll_id)
        .join(Fraga, Fraga.id == SvarRad.fraga_id)
        .join(Kontroll, Kontroll.id == Fraga.kontroll_id)
        .where(*where)
        .group_by(Fraga.id, Fraga.text, Kontroll.title)
    ).all()
    share = failing_share()
    out = [
        {"question": q, "kontroll": k, "nej": int(n or 0), "besvarade": int(a or 0)}
        for q, k, n, a in rows
        if a and (n or 0) / a >= share
    ]
    return sorted(out, key=lambda r: (-r["nej"] / r["besvarade"], r["question"]))


def _open(model: Any, workflow: Any) -> list[ColumnElement[bool]]:
    return [model.status.in_(workflow.open_states), Item.cancelled_at.is_(None)]


def risks(user: User, root: Unit) -> dict[str, Any]:
    level = risk_level()
    where = [in_subtree(root), *_open(Risk, RSK_WORKFLOW), Risk.risk_value >= level]
    total = db.session.scalar(select(func.count(Risk.id)).where(*where)) or 0
    shown = db.session.scalars(
        select(Risk).where(*where, visible_clause(user, [kind_spec("RSK")]))
        .order_by(Risk.risk_value.desc(), Risk.id).limit(10)
    ).all()  # fmt: skip
    return {
        "total": total,
        "level": level,
        "items": [{"ref": r.ref, "title": r.title, "value": r.risk_value} for r in shown],
    }


def late_atgarder(user: User, root: Unit) -> dict[str, Any]:
    where = [in_subtree(root), *_open(Atgard, ATG_WORKFLOW), Atgard.due_date < clock.today()]
    total = db.session.scalar(select(func.count(Atgard.id)).where(*where)) or 0
    shown = db.session.scalars(
        select(Atgard).where(*where, visible_clause(user, [kind_spec("ATG")]))
        .order_by(Atgard.due_date, Atgard.id).limit(10)
    ).all()  # fmt: skip
    return {"total": total, "items": [
        {"ref": a.ref, "title": a.title, "due": a.due_date.isoformat() if a.due_date else ""}
        for a in shown]}  # fmt: skip


def trend(kind: str, root: Unit, periods: list[Period]) -> list[int]:
    """Totals of `kind` (AVV, SYN, LXS) per period, one grouped query."""
    src = SOURCES[kind]
    starts = [p.start for p in periods]
    slot = bucket(src, starts).label("slot")
    rows = _counts(
        select(slot, func.count(src.model.id))
        .where(*base_where(src, root, periods[0].start, periods[-1].end_exclusive))
        .group_by(slot)
    )
    return [rows.get(n, 0) for n in range(len(periods))]


def _sorted(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# --- the whole view -------------------------------------------------------------------------

FIGURES = {"AVV": avvikelser, "SYN": synpunkter, "LXS": lexsarah}


def compile_signals(user: User, root: Unit, period: Period) -> dict[str, Any]:
    """Every signal the user may see for root's subtree and the period, each kind at the
    user's detail: {kind: {"label", "detail", "now", "before", "trend", "trend_labels"}}."""
    previous = period.previous_year()
    periods = earlier_periods(period)
    out: dict[str, Any] = {
        "period": period_label(period),
        "previous": period_label(previous),
        "trend_labels": [period_label(p) for p in periods],
        "kinds": {},
    }
    for kind, label in KIND_LABELS.items():
        detail = statistics_detail(user, kind, root)
        if detail is None:
            continue
        section: dict[str, Any] = {"label": label, "detail": str(detail)}
        if kind in FIGURES:
            section["now"] = shown_statistics(detail, FIGURES[kind](root, period))
            section["before"] = shown_statistics(detail, FIGURES[kind](root, previous))
            section["trend"] = trend(kind, root, periods)
        elif kind == "EGK":
            failing = failing_questions(root, period)
            section["failing"] = failing if detail == Detail.FULL else shown_statistics(
                detail, {"rows": failing})["rows"]  # fmt: skip
            section["share"] = failing_share()
        elif kind == "RSK":
            section.update(risks(user, root))
        elif kind == "ATG":
            section.update(late_atgarder(user, root))
        out["kinds"][kind] = section
    return out
