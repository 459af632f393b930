"""The samlad analys in the kvalitetsberättelse: the conclusions of the year's analyses in each
avdelning's "Analys och slutsatser" (rapport's ANALYSIS_SECTIONS), and a chapter of the
year's flags (rapport's CHAPTERS); the same chapter, for the report's period, in the goal
follow-up reports (rapport's FOLLOWUP_CHAPTERS, which kvalitet.mal's reports read). The
report is read by the nämnd: the flags are at aggregate detail (small counts "<5"), and no
item contents are shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.analys.flags import find_flags
from kvalitet.analys.models import Analys, AnalysSlutsats
from kvalitet.analys.signals import period_label
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import Detail, units_under
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit
from kvalitet.rapport.document import ANALYSIS_SECTIONS, CHAPTERS, FOLLOWUP_CHAPTERS, h, p, ul

Block = dict[str, Any]


def conclusions(root: Unit, period: Period) -> list[tuple[Analys, AnalysSlutsats]]:
    """Conclusions of analyses in root's subtree whose period overlaps `period`, in order."""
    rows = db.session.execute(
        select(Analys, AnalysSlutsats)
        .join(AnalysSlutsats, AnalysSlutsats.analys_id == Analys.id)
        .where(
            Analys.unit_id.in_(units_under([root.path])),
            Analys.cancelled_at.is_(None),
            Analys.period_start <= period.end,
            Analys.period_end >= period.start,
        )
        .order_by(Analys.period_start, Analys.id, AnalysSlutsats.id)
    ).all()
    return [(a, s) for a, s in rows]


def conclusion_line(analys: Analys, row: AnalysSlutsats) -> str:
    when = period_label(custom_period(analys.period_start, analys.period_end))
    line = f"{analys.unit.name}, {when}: {row.text}"
    if row.quality_area is not None:
        line += f" ({row.quality_area.name})"
    if row.atgard_id:
        ref = db.session.scalar(select(Item.ref).where(Item.id == row.atgard_id))
        line += f" Beslutad förbättringsåtgärd: {ref}."
    return line


def analysis_section(avdelning: Unit, period: Period) -> list[Block]:
    found = conclusions(avdelning, period)
    if not found:
        return []
    return [h(3, "Slutsatser från årets sammanställningar och analyser"),
            ul([conclusion_line(a, s) for a, s in found])]  # fmt: skip


def flags_chapter(root: Unit, period: Period) -> list[Block]:
    """The chapter "Samlad analys": the period's flags and every conclusion (none: no
    chapter, as for the goal follow-up)."""
    flags = find_flags(None, root, period, detail=Detail.AGGREGATE)
    found = conclusions(root, period)
    if not flags and not found:
        return []
    blocks = [h(1, "Samlad analys", "samlad-analys"),
              p("Kontrollgrafer per enhet och månad (se docs/analys.md): flaggor sätts bara när "
                "ett utfall är statistiskt osannolikt med enhetens vanliga nivå, så att "
                "slumpen inte ger larm.")]  # fmt: skip
    if flags:
        blocks.append(ul([f.text for f in flags]))
    else:
        blocks.append(p("Inga ovanliga utfall under perioden."))
    if found:
        blocks.append(h(2, "Slutsatser", "samlad-analys-slutsatser"))
        blocks.append(ul([conclusion_line(a, s) for a, s in found]))
    return blocks


if analysis_section not in ANALYSIS_SECTIONS:
    ANALYSIS_SECTIONS.append(analysis_section)
if flags_chapter not in CHAPTERS:
    CHAPTERS.append(flags_chapter)
if flags_chapter not in FOLLOWUP_CHAPTERS:
    FOLLOWUP_CHAPTERS.append(flags_chapter)
