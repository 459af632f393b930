"""The follow-up report of a plan for a period (tertialrapport, delårsrapport,
verksamhetsberättelse, or any date range): per goal the table Nr | Mål | Indikator |
Målvärde | Resultat | Bedömning | Ansvarig, the samlad bedömning with orsak, analys and
åtgärder, then the statistics chapters Kvalitet compiles for the same period.

The document is the kvalitetsberättelse's plain block format (kvalitet.rapport.document),
so the rapport module's renderers draw it as HTML, PDF and Word, and a frozen version is the
same canonical JSON with a SHA-256 checksum.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import suppress_small
from kvalitet.core.recurrence import describe
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.egenkontroll import stats as egenkontroll_stats
from kvalitet.egenkontroll.models import METOD_LABELS, Egenkontroll, Kontroll, Metod
from kvalitet.extensions import db
from kvalitet.items.models import Item, ItemLink
from kvalitet.mal import periods
from kvalitet.mal.models import (
    Bedomning,
    Indikator,
    Internkontroll,
    Mal,
    MalRapportVersion,
    Utfall,
    Verksamhetsplan,
)
from kvalitet.mal.queries import (
    bedomning_of,
    earlier_value,
    fmt_value,
    goal_tree,
    plan_periods,
    reaches_target,
    target_text,
    utfall_map,
)
from kvalitet.org.models import Unit, User
from kvalitet.rapport import render
from kvalitet.rapport.document import (
    CHAPTERS,
    FOLLOWUP_CHAPTERS,
    STAT_SOURCES,
    h,
    load_stats,
    note,
    p,
    stats_blocks,
    table,
)
from kvalitet.rapport.operations import checksum

Block = dict[str, Any]
COLUMNS = ["Nr", "Mål", "Indikator", "Målvärde", "Resultat", "Bedömning", "Ansvarig"]


@dataclass(frozen=True)
class ReportPeriod:
    """What a report covers: a period code of the plan's year, or a date range."""

    key: str  # "T2" or "2026-01-01_2026-06-30"
    period: Period
    codes: list[str]  # measured periods shown (ending within the range), in order
    title: str

    @property
    def last_code(self) -> str | None:
        return self.codes[-1] if self.codes else None


def report_title(code: str, year: int) -> str:
    if code == "T1":
        return f"Tertialrapport 1 {year}"
    if code == "T2":
        return f"Delårsrapport {year} (tertial 2)"
    if code in ("T3", "AR", "H2"):
        return f"Verksamhetsberättelse {year}"
    if code == "H1":
        return f"Halvårsrapport {year}"
    return f"Uppföljning {periods.label(code, year).lower()}"


def report_period(plan: Verksamhetsplan, key: str | None) -> ReportPeriod | None:
    """The period of `key` (a code, or "YYYY-MM-DD_YYYY-MM-DD"); None if it is not valid."""
    measured = plan_periods(plan)
    key = (key or "").strip()
    if key.upper() in periods.ALL_CODES:
        code = key.upper()
        period = periods.period_of(plan.year, code)
        shown = [c for c in measured if periods.period_of(plan.year, c).end <= period.end]
        return ReportPeriod(code, period, shown, report_title(code, plan.year))
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})", key)
    if not match:
        return None
    try:
        start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
    except ValueError:
        return None
    if end < start:
        return None
    period = custom_period(start, end)
    shown = [c for c in measured if start <= periods.period_of(plan.year, c).end <= end]
    return ReportPeriod(key, period, shown, f"Uppföljning {start:%Y-%m-%d} – {end:%Y-%m-%d}")


def sex_value(ind: Indikator, value: float | None, n: int | None) -> str:
    """One sex's figure, or "<5" when fewer than five (but some) persons are behind it: the
    small-group rule (kvalitet.core.permissions.suppress_small). For a count the value is the
    number of persons."""
    size = n if n is not None else (value if ind.unit_of_measure == "antal" else None)
    if size is not None and suppress_small(int(size), top=False) != int(size):
        return str(suppress_small(int(size), top=False))
    return fmt_value(value, ind.unit_of_measure)


def _sex_text(ind: Indikator, u: Utfall) -> str:
    if not ind.by_sex or (u.value_k is None and u.value_m is None):
        return ""
    women, men = ind.kon.labels
    return (
        f" ({women.lower()} {sex_value(ind, u.value_k, u.n_k)}, "
        f"{men.lower()} {sex_value(ind, u.value_m, u.n_m)})"
    )


def result_text(ind: Indikator, codes: list[str], values: dict[tuple[int, str], Utfall]) -> str:
    """The results of the shown periods and last year's value, e.g.
    "2025: 71 %; T1: 72 %; T2: 75 % (kvinnor 70 %, män 80 %)"."""
    parts = []
    last_year = (ind.history or {}).get(str(ind.mal.plan.year - 1))
    if isinstance(last_year, int | float):
        parts.append(f"{ind.mal.plan.year - 1}: {fmt_value(float(last_year), ind.unit_of_measure)}")
    elif ind.baseline is not None:
        parts.append(f"Utgångsläge: {fmt_value(ind.baseline, ind.unit_of_measure)}")
    for code in codes:
        if code not in ind.periods:
            continue
        u = values.get((ind.id, code))
        if u is None or u.value is None:
            parts.append(f"{periods.label(code)}: ej rapporterat")
            continue
        parts.append(
            f"{periods.label(code)}: {fmt_value(u.value, ind.unit_of_measure)}" + _sex_text(ind, u)
        )
    return "; ".join(parts) or "–"


def status_text(verdict: bool | None) -> str:
    if verdict is True:
        return "● Målvärdet nått"
    if verdict is False:
        return "○ Målvärdet inte nått"
    return "– Kan inte bedömas"


def bedomning_text(value: str | None) -> str:
    if value in set(Bedomning):
        b = Bedomning(value)  # type: ignore[arg-type]
        return f"{b.symbol} {b.label}"
    return "Ej bedömt"


def _paragraphs(label: str, text: str) -> list[Block]:
    text = (text or "").strip()
    if not text:
        return []
    parts = [x.strip() for x in re.split(r"\n\s*\n", text) if x.strip()]
    return [p(f"{label}: {parts[0]}"), *[p(x) for x in parts[1:]]]


def goal_blocks(
    goal: Mal, depth: int, rp: ReportPeriod, values: dict[tuple[int, str], Utfall]
) -> list[Block]:
    blocks: list[Block] = [h(min(depth + 2, 3), f"{goal.nr} {goal.name}".strip(), f"mal-{goal.id}")]
    plan = goal.plan
    meta = [plan.level_name(goal.level)]
    if goal.areas:
        meta.append("Kvalitetsområden: " + ", ".join(a.name for a in goal.areas))
    if goal.owner:
        meta.append(f"Ansvarig: {goal.owner.name}")
    blocks.append(p(". ".join(meta) + "."))
    if goal.description.strip():
        blocks.append(p(goal.description.strip()))
    last = rp.last_code
    rows = []
    for ind in goal.indikatorer:
        shown = [c for c in rp.codes if c in ind.periods]
        verdict = None
        if shown:
            u = values.get((ind.id, shown[-1]))
            verdict = reaches_target(
                ind, u.value if u else None, earlier_value(ind, shown[-1], values)
            )
        rows.append(
            [
                ind.nr,
                goal.name,
                ind.name + (f" ({ind.source})" if ind.source else ""),
                target_text(ind),
                result_text(ind, rp.codes, values),
                status_text(verdict),
                ind.responsible.name if ind.responsible else "",
            ]
        )
    if rows:
        blocks.append(
            table(
                f"Indikatorer för {goal.nr} {goal.name}".strip(),
                COLUMNS,
                rows,
                empty="Inga indikatorer.",
            )
        )
    assessment = bedomning_of(goal, last) if last else None
    if assessment is not None or goal.indikatorer:
        blocks.append(
            h(min(depth + 3, 4), f"Samlad bedömning {goal.nr}".strip(), f"bedomning-{goal.id}")
        )
        if assessment is None or not assessment.value:
            blocks.append(note("Målet är inte bedömt för perioden."))
        else:
            blocks.append(p(bedomning_text(assessment.value)))
            blocks += _paragraphs("Orsak", assessment.orsak)
            blocks += _paragraphs("Analys", assessment.analys)
            blocks += _paragraphs("Åtgärd", assessment.atgarder_text)
            if assessment.atgarder:
                blocks.append(
                    table(
                        "Förbättringsåtgärder",
                        ["Nummer", "Åtgärd", "Status", "Klart senast"],
                        [
                            [
                                a.ref,
                                a.title,
                                a.status_label,
                                a.due_date.isoformat() if a.due_date else "",
                            ]
                            for a in assessment.atgarder
                        ],
                    )
                )
            who = assessment.confirmed_by.name if assessment.confirmed_by else ""
            blocks.append(
                note(f"Bedömd av {who}. Regelns förslag: {bedomning_text(assessment.proposed)}.")
            )
    return blocks


def compile_report(
    plan: Verksamhetsplan, rp: ReportPeriod, user: User | None = None
) -> dict[str, Any]:
    """The report as plain data (JSON-serialisable), ready to render or freeze."""
    tree = goal_tree(plan)
    inds = [i for goal, _ in tree for i in goal.indikatorer]
    values = utfall_map(inds)
    period = rp.period
    blocks: list[Block] = [h(1, "Inledning", "inledning")]
    blocks.append(
        p(
            f"Rapporten följer upp {plan.name} för {plan.unit.name} och avser perioden "
            f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}. För varje mål redovisas "
            "indikatorerna med målvärde och resultat, resultat per kön där det är relevant, och "
            "en samlad bedömning med orsak, analys och åtgärder."
        )
    )
    if plan.description.strip():
        blocks.append(p(plan.description.strip()))
    blocks.append(
        p(
            "Bedömningen visas med symbol och text: ● uppnått, ◐ delvis uppnått, "
            "○ inte uppnått, – går ej att bedöma."
        )
    )

    blocks.append(h(1, "Måluppfyllelse i sammanfattning", "sammanfattning"))
    last = rp.last_code
    blocks.append(summary_table(plan, tree, last))
    if not rp.codes:
        blocks.append(note("Inga indikatorer mäts under perioden."))

    blocks.append(h(1, "Mål och indikatorer", "mal"))
    for goal, depth in tree:
        blocks += goal_blocks(goal, depth, rp, values)
    blocks += internkontroll_blocks(plan, period)
    for chapter in FOLLOWUP_CHAPTERS:
        blocks += chapter(plan.unit, period)

    blocks.append(
        h(1, f"Statistik för perioden {period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}", "statistik")
    )
    prev = period.previous_year()
    labels = (period.label, prev.label)
    for module, title in STAT_SOURCES:
        function = load_stats(module)
        blocks.append(h(2, title, f"statistik-{module}"))
        if function is None:
            blocks.append(note("Uppgifterna finns inte ännu."))
            continue
        blocks += stats_blocks(
            title, function(plan.unit, period), function(plan.unit, prev), labels
        )
    return {
        "title": rp.title,
        "unit": plan.unit.name,
        "plan": plan.name,
        "plan_id": plan.id,
        "period": {
            "noun": "Period",  # the title page says "Period: …", not "Kvalitetsår: …"
            "key": rp.key,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "previous": prev.label,
        },
        "compiled_at": clock.now().isoformat(timespec="seconds"),
        "compiled_by": user.name if user else "Systemet",
        "blocks": blocks,
        "missing": [],
    }


IK_COLUMNS = [
    "Process/rutin",
    "Risk (S × K)",
    "Kontrollmoment",
    "Metod och frekvens",
    "Kontrollant",
    "Rapporteras till",
    "Resultat",
    "Avvikelser",
    "Åtgärder",
]


def internkontroll_blocks(plan: Verksamhetsplan, period: Period) -> list[Block]:
    """ "Uppföljning av intern kontroll": each kontrollmoment with its risk, the egenkontroll
    occurrences planned and performed in the period, their n/N result, and the avvikelser
    and förbättringsåtgärder that came from them (links from the occurrences)."""
    rows = list(db.session.scalars(select(Internkontroll).where(Internkontroll.plan_id == plan.id)))
    if not rows:
        return []
    figures = egenkontroll_stats.statistics(plan.unit, period)
    per_kontroll = {r["kontroll_id"]: r for r in figures["per_kontroll"]}
    out = []
    for row in sorted(rows, key=lambda r: -r.risk_value):
        kontroll = db.session.get(Kontroll, row.kontroll_id)
        assert kontroll is not None
        counts = per_kontroll.get(kontroll.id, {"planerade": 0, "genomforda": 0, "missade": 0})
        answers = [f for f in figures["fragor"] if f["kontroll"] == kontroll.title]
        n, total = sum(f["n"] for f in answers), sum(f["N"] for f in answers)
        result = f"{counts['genomforda']} av {counts['planerade']} genomförda"
        if total:
            result += f"; {n} av {total} kontrollpunkter uppfyllda"
        egk = Egenkontroll.__table__  # the occurrence table alone: the target is the Item
        found = db.session.execute(
            select(Item.kind, Item.ref)
            .join(ItemLink, ItemLink.target_id == Item.id)
            .join(egk, egk.c.id == ItemLink.source_id)
            .where(
                egk.c.kontroll_id == kontroll.id,
                egk.c.planned_date >= period.start,
                egk.c.planned_date <= period.end,
                Item.kind.in_(["AVV", "ATG"]),
            )
            .order_by(Item.ref)
        ).all()
        out.append(
            [
                row.process,
                f"{row.risk_value} ({row.sannolikhet} × {row.konsekvens})",
                kontroll.title,
                f"{METOD_LABELS.get(Metod(kontroll.method), kontroll.method)}, "
                f"{describe(kontroll.rule).lower()}",
                ROLE_LABELS.get(Role(kontroll.responsible_role), kontroll.responsible_role)
                if kontroll.responsible_role in set(Role)
                else kontroll.responsible_role,
                row.rapporteras_till,
                result,
                ", ".join(ref for kind, ref in found if kind == "AVV") or "Inga",
                ", ".join(ref for kind, ref in found if kind == "ATG") or "Inga",
            ]
        )
    return [
        h(1, "Uppföljning av intern kontroll", "intern-kontroll"),
        p(
            "Internkontrollplanen enligt kommunallagen 6 kap. 6 §: kontrollmomenten med risk "
            "(sannolikhet × konsekvens, 1–4 vardera), utförda kontroller under perioden och "
            "det de ledde till."
        ),
        table("Intern kontroll", IK_COLUMNS, out),
    ]


def summary_table(plan: Verksamhetsplan, tree: list[tuple[Mal, int]], last: str | None) -> Block:
    rows = []
    for goal, _depth in tree:
        assessment = bedomning_of(goal, last) if last else None
        rows.append(
            [
                goal.nr,
                goal.name,
                plan.level_name(goal.level),
                bedomning_text(assessment.value if assessment else None),
            ]
        )
    return table(
        "Mål och samlad bedömning",
        ["Nr", "Mål", "Nivå", "Bedömning"],
        rows,
        empty="Planen har inga mål.",
    )


def rapport_chapter(root: Unit, period: Period) -> list[Block]:
    """The kvalitetsberättelse's chapter "Måluppföljning": for the plan of `root` whose year
    the quality year ends in, the goal tables and assessments of the periods that end within
    the quality year (with a calendar quality year: the whole year)."""
    plan = db.session.scalar(
        select(Verksamhetsplan).where(
            Verksamhetsplan.unit_id == root.id,
            Verksamhetsplan.year == periods.plan_year_of(period.end),
        )
    )
    if plan is None:
        return []
    rp = report_period(plan, f"{period.start.isoformat()}_{period.end.isoformat()}")
    if rp is None:
        return []
    tree = goal_tree(plan)
    values = utfall_map([i for goal, _ in tree for i in goal.indikatorer])
    last = rp.last_code
    blocks: list[Block] = [
        h(1, "Måluppföljning", "maluppfoljning"),
        p(
            f"Uppföljningen av {plan.name} till och med "
            f"{periods.label(last, plan.year) if last else 'periodens slut'}. Hela "
            "uppföljningen finns i tertialrapporterna och verksamhetsberättelsen."
        ),
    ]
    blocks.append(summary_table(plan, tree, last))
    for goal, depth in tree:
        blocks += goal_blocks(goal, depth, rp, values)
    return blocks


if rapport_chapter not in CHAPTERS:
    CHAPTERS.append(rapport_chapter)


# --- rendering: the rapport module's renderers --------------------------------------------------
# The follow-up report is a document of the kvalitetsberättelse's block format, so its
# renderers draw it unchanged: title page (with "Period" and "Plan"), toc, numbered headings,
# fitted tables, page numbers (issue 18, point 7).


def print_html(document: dict[str, Any], version: MalRapportVersion | None = None) -> str:
    return render.print_html(document, version=version)


def pdf_bytes(document: dict[str, Any], version: MalRapportVersion | None = None) -> bytes:
    return render.pdf_bytes(document, version=version)


def docx_bytes(document: dict[str, Any], version: MalRapportVersion | None = None) -> bytes:
    return render.docx_bytes(document, version)


def versions(plan: Verksamhetsplan) -> list[MalRapportVersion]:
    return list(
        db.session.scalars(
            select(MalRapportVersion)
            .where(MalRapportVersion.plan_id == plan.id)
            .order_by(MalRapportVersion.frozen_at.desc(), MalRapportVersion.id.desc())
        )
    )


def version_content(version: MalRapportVersion) -> dict[str, Any]:
    return dict(json.loads(version.content))


def verify(version: MalRapportVersion) -> bool:
    return checksum(version.content) == version.sha256
