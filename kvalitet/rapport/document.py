"""Compiling the kvalitetsberättelse into a plain document: a list of blocks (headings,
paragraphs, tables, charts, notes) that the HTML, PDF and Word renderers all draw from, and
that a frozen version stores as JSON.

Numbers come from each kind module's `stats.statistics(root, period)` (imported lazily: a
module whose stats.py is not there gives a note that the data is missing), each figure beside
the previous quality year. The förbättringsåtgärder tables and the per-enhet avvikelse counts
are read here directly with SQL aggregates.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from kvalitet.atgarder.kinds import WORKFLOW
from kvalitet.atgarder.models import Atgard, AtgardTyp
from kvalitet.avvikelser.stats import underreporting_threshold
from kvalitet.core import clock
from kvalitet.core.numbers import format_number, format_percent
from kvalitet.core.periods import Period, quality_year
from kvalitet.core.permissions import SMALL_GROUP
from kvalitet.extensions import db, reads_replica
from kvalitet.items.areas import by_quality_area
from kvalitet.items.models import Item, ItemLink, LinkType, QualityArea, item_quality_area
from kvalitet.lagrum.lookup import lagrum
from kvalitet.org.models import Unit, UnitKind, User
from kvalitet.rapport.layout import number_headings
from kvalitet.rapport.models import (
    Berattelsetext,
    BlockTyp,
    Kvalitetsberattelse,
    RapportVersion,
    TextStatus,
)

log = logging.getLogger(__name__)

Block = dict[str, Any]
StatsFn = Callable[[Unit, Period], dict[str, Any]]
ManyFn = Callable[[list[Unit], list[Period]], dict[tuple[int, int], dict[str, Any]]]
# Chapters other modules add after the sammanfattande bedömning (kvalitet.mal: the year's
# goal follow-up): each (root, period) -> blocks, registered by the module itself.
CHAPTERS: list[Callable[[Unit, Period], list[Block]]] = []
# Blocks other modules add to an avdelning's "Analys och slutsatser" (kvalitet.analys: the
# conclusions of the year's analyses): each (avdelning, period) -> blocks.
ANALYSIS_SECTIONS: list[Callable[[Unit, Period], list[Block]]] = []
# Chapters other modules add to the goal follow-up reports (kvalitet.mal's tertial and
# period reports; kvalitet.analys: the period's flags and conclusions): (unit, period) ->
# blocks, placed after the goals and the intern kontroll.
FOLLOWUP_CHAPTERS: list[Callable[[Unit, Period], list[Block]]] = []

# (module, chapter heading) in report order.
STAT_SOURCES: list[tuple[str, str]] = [
    ("avvikelser", "Avvikelser"),
    ("lexsarah", "Lex Sarah"),
    ("synpunkter", "Synpunkter och klagomål"),
    ("egenkontroll", "Egenkontroller"),
    ("atgarder", "Förbättringsåtgärder"),
]

# Swedish labels of keys the kind modules return (others are made readable from the key).
KEY_LABELS: dict[str, str] = {
    "antal": "Antal",
    "totalt": "Totalt",
    "rapporter": "Rapporter",
    "utredningar": "Utredningar",
    "beslut": "Beslut",
    "missforhallanden": "Missförhållanden och påtagliga risker",
    "allvarliga": "Allvarliga",
    "anmalda_ivo": "Anmälda till IVO",
    "per_utfall": "Beslut efter utfall",
    "median_arbetsdagar": "Median antal arbetsdagar",
    "per_kategori": "Per kategori",
    "per_enhet": "Per enhet",
    "per_status": "Per status",
    "per_typ": "Per typ",
    "per_kalla": "Per källa",
    "per_tema": "Per tema",
    "per_kon": "Per kön",
    "per_alder": "Per åldersgrupp",
    "andel_besvarade_i_tid": "Andel besvarade i tid (%)",
    "planerade": "Planerade",
    "genomforda": "Genomförda",
    "forsenade": "Försenade",
    "oppna": "Öppna",
    "avslutade": "Avslutade",
    # avvikelser
    "total": "Totalt",
    "by_category": "Per kategori",
    "by_status": "Per status",
    "by_cause": "Per orsak",
    "by_unit": "Per enhet",
    "by_severity": "Per allvarlighetsgrad",
    "by_sex": "Per kön",
    "by_age": "Per åldersgrupp",
    "health_care": "Varav hälso- och sjukvård",
    "closed": "Avslutade",
    "median_days_to_close": "Median antal dagar till avslut",
    "underreporting": "Enheter med få eller inga rapporter (möjlig underrapportering)",
    "threshold": "Gräns för få rapporter",
    # synpunkter
    "by_typ": "Per typ",
    "by_kalla": "Per källa",
    "by_kanal": "Per kanal",
    "by_tema": "Per tema",
    "anonymous": "Varav anonyma",
    "public": "Varav via e-tjänsten",
    "open": "Ännu inte besvarade",
    "ack_owed": "Mottagningsbekräftelser som skulle ges",
    "ack_in_time": "Bekräftade i tid",
    "ack_share": "Andel bekräftade i tid",
    "answer_owed": "Svar som skulle ges",
    "answered": "Besvarade",
    "answered_in_time": "Besvarade i tid",
    "answer_share": "Andel besvarade i tid",
    "median_days_to_answer": "Median antal dagar till svar",
    # förbättringsåtgärder
    "created": "Beslutade under året",
    "by_type": "Per typ",
    "completed": "Genomförda under året",
    "effect_followed_up": "Effekt uppföljd under året",
    "open_at_end": "Pågående vid årets slut",
    "overdue_at_end": "Försenade vid årets slut",
    "carry_over": "Återkommer nästa år",
    "deferred": "Medvetet uppskjutna",
    # egenkontroll
    "genomforda_i_tid": "Genomförda i tid",
    "genomforda_sent": "Genomförda efter sista dag",
    "missade": "Missade",
    "avskrivna": "Avskrivna",
    "pagaende": "Pågående",
    "andel_genomforda": "Andel genomförda (%)",
    "per_metod": "Per metod",
    "per_kontroll": "Per kontroll",
    "fragor": "Resultat per fråga (n av N)",
    "fragor_per_enhet": "Resultat per fråga och enhet (n av N)",
    "kontroll": "Kontroll",
    "metod": "Metod",
    "fraga": "Fråga",
    "enhet": "Enhet",
    "ej_aktuellt": "Ej aktuellt",
    "andel": "Andel (%)",
    "n": "n",
    "N": "N",
}

SUPPRESS_PATTERN = re.compile(r"(^|_)(kon|kön|alder|ålder|sex|age|aldersgrupp)(_|$)")
SUPPRESS_BELOW = SMALL_GROUP  # the one small-group rule (kvalitet.core.permissions)
SKIP_KEYS = {"period", "per_avdelning", "unit_id", "root", "threshold"}


# --- helpers -----------------------------------------------------------------------------


def label_of(key: str) -> str:
    if key in KEY_LABELS:
        return KEY_LABELS[key]
    text = key.replace("_", " ").strip()
    for plain, swedish in (("forhall", "förhåll"), ("atgard", "åtgärd"), ("for ", "för ")):
        text = text.replace(plain, swedish)
    return text[:1].upper() + text[1:]


def fmt(value: Any) -> str:
    """A figure in Swedish notation (kvalitet.core.numbers, the same as the web's |tal)."""
    return format_number(value)


def share(key: str, value: Any) -> Any:
    """Shares given as 0–1 (keys ending in _share) shown as whole percent."""
    if key.endswith("_share") and isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 100)
    return value


def change(now: Any, before: Any) -> str:
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return ""
    if isinstance(now, bool) or isinstance(before, bool):
        return ""
    diff = now - before
    if diff == 0:
        return "±0"
    return format_number(diff, sign=True)


def suppressed(key: str) -> bool:
    return bool(SUPPRESS_PATTERN.search(key.lower()))


def shield(value: Any) -> Any:
    """A count below 5 (but above 0) in a breakdown by sex or age becomes "<5"."""
    if isinstance(value, int | float) and 0 < value < SUPPRESS_BELOW:
        return "<5"
    return value


def h(level: int, text: str, anchor: str | None = None) -> Block:
    return {"t": "h", "level": level, "text": text, "id": anchor or slug(text)}


def p(text: str) -> Block:
    return {"t": "p", "text": text}


def note(text: str) -> Block:
    return {"t": "note", "text": text}


def table(caption: str, columns: list[str], rows: list[list[str]], **extra: Any) -> Block:
    return {"t": "table", "caption": caption, "columns": columns, "rows": rows, **extra}


def ul(items: list[str]) -> Block:
    return {"t": "ul", "items": items}


def chart(title: str, categories: list[str], series: list[tuple[str, list[float]]]) -> Block:
    return {
        "t": "chart",
        "title": title,
        "categories": categories,
        "series": [[name, values] for name, values in series],
    }


def slug(text: str) -> str:
    table_ = str.maketrans("åäöÅÄÖé", "aaoAAOe")
    return re.sub(r"[^a-z0-9]+", "-", text.translate(table_).lower()).strip("-") or "avsnitt"


def load_stats(module: str) -> StatsFn | None:
    """The module's statistics function, or None while its stats.py does not exist."""
    name = f"kvalitet.{module}.stats"
    try:
        if importlib.util.find_spec(name) is None:
            return None
        function = getattr(importlib.import_module(name), "statistics", None)
    except Exception:  # a module being built may not import yet
        log.exception("could not import %s", name)
        return None
    return function if callable(function) else None


# --- statistics into blocks ----------------------------------------------------------------


def stats_blocks(
    title: str, now: dict[str, Any], before: dict[str, Any], labels: tuple[str, str]
) -> list[Block]:
    """Any stats dict as tables: single figures in a "Nyckeltal" table, label→count dicts
    as their own table (and a chart), lists of rows as tables; each with the previous year
    beside it. Breakdowns by sex or age have groups under 5 suppressed."""
    this_label, prev_label = labels
    blocks: list[Block] = []
    figures: list[list[str]] = []
    for key, value in now.items():
        if key in SKIP_KEYS:
            continue
        old = share(key, before.get(key))
        value = share(key, value)
        name = label_of(key) + (" (%)" if key.endswith("_share") else "")
        if isinstance(value, bool) or value is None or isinstance(value, int | float):
            figures.append([name, fmt(value), fmt(old), change(value, old)])
        elif isinstance(value, str):
            figures.append([name, value, fmt(old) if old is not None else "–", ""])
    if figures:
        blocks.append(
            table(f"{title}: nyckeltal", ["Mått", this_label, prev_label, "Förändring"], figures)
        )
    for key, value in now.items():
        if key in SKIP_KEYS:
            continue
        old = before.get(key)
        hide = suppressed(key)
        if isinstance(value, dict):
            blocks.extend(_dict_blocks(title, key, value, old or {}, labels, hide))
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            blocks.extend(_list_blocks(title, key, value, old or [], labels, hide))
        elif isinstance(value, list) and all(isinstance(r, str) for r in value):
            blocks.append(p(f"{label_of(key)}: {', '.join(value) if value else 'inga'}."))
    return blocks


def _dict_blocks(
    title: str,
    key: str,
    value: dict[str, Any],
    old: dict[str, Any],
    labels: tuple[str, str],
    hide: bool,
) -> list[Block]:
    nested = [v for v in value.values() if isinstance(v, dict)]
    if nested:  # {group: {measure: n}}: one row per group, one column per measure
        measures: list[str] = []
        for v in nested:
            measures.extend(m for m in v if m not in measures)
        rows = [
            [str(group)]
            + [
                fmt(shield(v.get(m)) if hide else v.get(m)) if isinstance(v, dict) else fmt(v)
                for m in measures
            ]
            for group, v in value.items()
        ]
        return [table(f"{title}: {label_of(key).lower()}", [""] + [label_of(m) for m in measures],
                      rows)]  # fmt: skip
    keys = list(value) + [k for k in old if k not in value]
    rows = []
    for k in keys:
        a, b = value.get(k, 0), old.get(k, 0)
        if hide:
            rows.append([str(k), fmt(shield(a)), fmt(shield(b)), ""])
        else:
            rows.append([str(k), fmt(a), fmt(b), change(a, b)])
    blocks: list[Block] = [
        table(
            f"{title}: {label_of(key).lower()}",
            [label_of(key), labels[0], labels[1], "Förändring"],
            rows,
            suppressed=hide,
        )
    ]
    numeric = [k for k in keys if isinstance(value.get(k, 0), int | float)]
    if not hide and len(numeric) >= 2 and any(value.get(k) for k in numeric):
        blocks.append(
            chart(
                f"{title}: {label_of(key).lower()}",
                [str(k) for k in numeric],
                [
                    (labels[0], [float(value.get(k) or 0) for k in numeric]),
                    (labels[1], [float(old.get(k) or 0) for k in numeric]),
                ],
            )
        )
    return blocks


def _list_blocks(
    title: str,
    key: str,
    value: list[dict[str, Any]],
    old: list[dict[str, Any]],
    labels: tuple[str, str],
    hide: bool,
) -> list[Block]:
    columns = [c for c in value[0] if not c.endswith("_id") and c != "id"]
    if not columns:
        return []
    numeric = [c for c in columns[1:] if isinstance(value[0].get(c), int | float)]
    keys = [c for c in columns if c not in numeric]

    def ident(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(row.get(c)) for c in keys)

    previous = {ident(r): r for r in old if isinstance(r, dict)}
    heads = [label_of(c) for c in columns] + [f"{label_of(c)} ({labels[1]})" for c in numeric[:2]]
    rows = []
    for row in value:
        cells = [fmt(shield(row.get(c)) if hide else row.get(c)) for c in columns]
        prev_row = previous.get(ident(row), {})
        cells += [fmt(shield(prev_row.get(c)) if hide else prev_row.get(c)) for c in numeric[:2]]
        rows.append(cells)
    return [table(f"{title}: {label_of(key).lower()}", heads, rows, suppressed=hide)]


# --- figures read here directly -------------------------------------------------------------


def avvikelser_per_enhet(root: Unit, period: Period, prev: Period) -> Block | None:
    """Avvikelser per enhet (registered in the period) with the previous year, and enheter
    with few or no reports flagged: few reports usually means under-reporting."""

    # One definition of under-reporting for the statistics page and the report.
    few = underreporting_threshold()
    enheter = db.session.execute(
        select(Unit.id, Unit.name)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            Unit.kind == UnitKind.ENHET,
            Unit.active.is_(True),
        )
        .order_by(Unit.name)
    ).all()
    if not enheter:
        return None
    counts = dict.fromkeys([u for u, _ in enheter], (0, 0))
    rows = db.session.execute(
        select(
            Item.unit_id,
            func.count().filter(
                Item.created_at >= period.start_utc(), Item.created_at < period.end_utc()
            ),
            func.count().filter(
                Item.created_at >= prev.start_utc(), Item.created_at < prev.end_utc()
            ),
        )
        .where(
            Item.kind == "AVV",
            Item.cancelled_at.is_(None),
            Item.unit_id.in_(counts),
            Item.created_at >= prev.start_utc(),
            Item.created_at < period.end_utc(),
        )
        .group_by(Item.unit_id)
    ).all()
    for unit_id, a, b in rows:
        counts[unit_id] = (int(a), int(b))
    out = []
    for unit_id, name in enheter:
        a, b = counts[unit_id]
        flag = "Inga rapporter" if a == 0 else ("Få rapporter" if a < few else "")
        out.append([name, fmt(a), fmt(b), change(a, b), flag])
    return table(
        "Avvikelser per enhet",
        ["Enhet", period.label, prev.label, "Förändring", "Signal om underrapportering"],
        out,
    )


def atgard_status_counts(root: Unit, period: Period) -> dict[str, int]:

    rows = db.session.execute(
        select(Item.status, func.count())
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            Item.kind == "ATG",
            Item.cancelled_at.is_(None),
            Unit.path.startswith(root.path, autoescape=True),
            Item.created_at >= period.start_utc(),
            Item.created_at < period.end_utc(),
        )
        .group_by(Item.status)
    ).all()
    found = {status: int(n) for status, n in rows}
    return {label: found.get(state, 0) for state, label in WORKFLOW.states.items()}


def _atgarder(root: Unit, condition: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """The actions in root's subtree matching `condition` as plain rows (only the columns
    the tables show), with their quality area names: two queries whatever the number.
    Marked "återkommer nästa år" first, then in the order they were decided."""
    query = (
        select(
            Item.id,
            Item.ref,
            Item.title,
            Item.description,
            Item.status,
            Atgard.done_text,
            Atgard.effect_text,
            Atgard.effect_date,
            Atgard.source_text,
            Atgard.carry_over,
        )
        .select_from(Atgard)
        .join(Unit, Unit.id == Item.unit_id)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            Item.cancelled_at.is_(None),
            condition,
        )
        .order_by(Atgard.carry_over.desc(), Item.created_at, Item.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    ids = [r.id for r in rows]
    names: dict[int, list[str]] = {}
    for start in range(0, len(ids), 900):
        for item_id, name in db.session.execute(
            select(item_quality_area.c.item_id, QualityArea.name)
            .join(QualityArea, QualityArea.id == item_quality_area.c.quality_area_id)
            .where(item_quality_area.c.item_id.in_(ids[start : start + 900]))
            .order_by(QualityArea.sort_order)
        ):
            names.setdefault(item_id, []).append(name)
    return [
        {
            "ref": r.ref,
            "title": r.title,
            # The full text when there is one: the title is the short version for lists.
            "text": r.description or r.title,
            "status_label": WORKFLOW.state_label(r.status),
            "done_text": r.done_text,
            "effect_text": r.effect_text,
            "effect_date": r.effect_date,
            "source_text": r.source_text,
            "carry_over": r.carry_over,
            "areas": names.get(r.id, []),
        }
        for r in rows
    ]


def _count_atgarder(root: Unit, condition: Any) -> int:
    return int(
        db.session.scalar(
            select(func.count(Item.id))
            .select_from(Atgard)
            .join(Unit, Unit.id == Item.unit_id)
            .where(
                Unit.path.startswith(root.path, autoescape=True),
                Item.cancelled_at.is_(None),
                condition,
            )
        )
        or 0
    )


def improvement_clause() -> Any:
    """What the report's action tables are about: improvements decided for the
    verksamhet (type "förbättring", not an action taken on one case, i.e. not created from
    an avvikelse, synpunkt or lex Sarah), and whatever is marked "återkommer nästa år"."""
    from_a_case = (
        select(ItemLink.id)
        .where(ItemLink.target_id == Item.id, ItemLink.link_type == str(LinkType.ATGARD))
        .exists()
    )
    return or_(
        Atgard.carry_over.is_(True),
        and_(Atgard.atgard_typ == str(AtgardTyp.FORBATTRING), ~from_a_case),
    )


def table_labels() -> bool:
    """Reference numbers and status labels in the action tables (RAPPORT_TABLE_LABELS)."""
    return bool(current_app.config.get("RAPPORT_TABLE_LABELS", False))


def action_cell(a: dict[str, Any]) -> str:
    return f"{a['text']} ({a['ref']})" if table_labels() else a["text"]


def max_actions() -> int:
    return int(current_app.config.get("RAPPORT_ACTIONS_MAX", 25))


def _more_row(total: int, shown: int, width: int, text: str) -> list[list[str]]:
    if total <= shown:
        return []
    return [[f"Ytterligare {fmt(total - shown)} {text}; hela listan finns under "
             "Förbättringsåtgärder i Kvalitet."] + [""] * (width - 1)]  # fmt: skip


REF_PATTERN = re.compile(r"\(([A-ZÅÄÖ]{2,5}-\d{4}-\d+)\)\s*$")


def decided_in(document: dict[str, Any] | None) -> set[str] | None:
    """The refs of the actions a frozen report listed under "Årets bedömning" (the
    improvements it decided), or None when there is no such report."""
    if not document:
        return None
    refs: set[str] = set()
    for block in document.get("blocks", []):
        if block.get("t") == "table" and block.get("caption", "").startswith("Årets bedömning"):
            refs.update(block.get("refs") or [])
            for row in block.get("rows", []):
                match = REF_PATTERN.search(str(row[0]) if row else "")
                if match:
                    refs.add(match.group(1))
    return refs


def tidigare_atgarder(root: Unit, period: Period, decided: set[str] | None = None) -> Block:
    """ "Förbättringsarbetet sedan förra uppföljningen": the improvements decided in last
    year's report (the actions its frozen version listed under "Årets bedömning"; without a
    frozen report, the improvements proposed in the previous quality year), and older ones
    marked "återkommer nästa år" that were still open when it began."""
    prev = period.previous_year()
    carried = and_(
        Atgard.carry_over.is_(True),
        Item.created_at < prev.start_utc(),
        or_(Item.closed_at.is_(None), Item.closed_at >= prev.start_utc()),
    )
    last_year: Any
    if decided is not None:
        last_year = Item.ref.in_(sorted(decided)) if decided else false()
    else:
        last_year = and_(
            Item.created_at >= prev.start_utc(),
            Item.created_at < period.start_utc(),
            improvement_clause(),
        )
    condition = or_(last_year, carried)
    limit = max_actions()
    rows = []
    labels = table_labels()
    for a in _atgarder(root, condition, limit):
        if labels:
            done = a["status_label"] + (f": {a['done_text']}" if a["done_text"] else "")
            effect = a["effect_text"] or "Effekten är inte följd upp ännu."
            if a["effect_text"] and a["effect_date"]:
                effect += f" (uppföljd {a['effect_date']:%Y-%m-%d})"
        else:  # exactly what people wrote
            done, effect = a["done_text"] or "", a["effect_text"] or ""
        rows.append([action_cell(a), done, effect])
    rows += _more_row(_count_atgarder(root, condition), len(rows), 3, "åtgärder från förra året")
    return table(
        "Förbättringsarbetet sedan förra uppföljningen",
        [
            "Förslag till förbättringsåtgärd",
            "Åtgärder som påbörjats/pågår/avslutats",
            "Uppföljning av åtgärdernas effekt",
        ],
        rows,
        empty="Inga förbättringsåtgärder från förra året.",
    )


def arets_atgarder(root: Unit, period: Period) -> Block:
    """ "Årets bedömning": the improvements decided during the year, with their quality
    areas and where the proposal came from."""
    condition = and_(
        Item.created_at >= period.start_utc(),
        Item.created_at < period.end_utc(),
        improvement_clause(),
    )
    limit = max_actions()
    found = _atgarder(root, condition, limit)
    rows = [
        [
            action_cell(a),
            ", ".join(a["areas"]) or "–",
            a["source_text"] or ("Återkommer från tidigare år" if a["carry_over"] else "–"),
            a["status_label"],
        ]
        for a in found
    ]
    rows += _more_row(_count_atgarder(root, condition), len(rows), 4, "förbättringsåtgärder")
    return table(
        "Årets bedömning",
        ["Förbättringsåtgärd", "Kvalitetsområde", "Underlag", "Status"],
        rows,
        empty="Inga förbättringsåtgärder beslutade under året.",
        refs=[a["ref"] for a in found],
    )


# --- narratives ------------------------------------------------------------------------------


OWN_NUMBER = re.compile(r"^\d+(\.\d+)*\.?\s")


def own_numbers_kept(blocks: list[Block]) -> list[Block]:
    """A heading of another module's chapter that carries its own number (a goal's "1.2
    Ökad trygghet") is not numbered again: it printed "3.1 1.2 Ökad trygghet"."""
    for block in blocks:
        heading = block.get("t") == "h" and int(block.get("level", 1)) > 1
        if heading and OWN_NUMBER.match(str(block.get("text", ""))):
            block["nonum"] = True
    return blocks


# The kinds counted per kvalitetsområde in the report (DOMAIN.md §4), in this order.
AREA_KINDS = (("AVV", "Avvikelser"), ("SYN", "Synpunkter och klagomål"), ("LXS", "Lex Sarah"),
              ("EGK", "Egenkontroller"), ("ATG", "Förbättringsåtgärder"))  # fmt: skip


def area_table_block(root: Unit, period: Period) -> Block:
    """ "Ärenden per kvalitetsområde": how many of each kind's items of the year are tagged
    with each area (an item counts under each of its areas), one grouped query per kind."""
    counts = [by_quality_area(kind, root, [period])[0] for kind, _label in AREA_KINDS]
    names = list(dict.fromkeys(name for c in counts for name in c))
    rows = [[name, *[str(c.get(name, 0)) for c in counts]] for name in names]
    return table(
        f"Ärenden per kvalitetsområde {period.label} (ett ärende räknas under vart och ett av "
        "sina kvalitetsområden)",
        ["Kvalitetsområde", *[label for _kind, label in AREA_KINDS]],
        rows,
    )


def narrative_blocks(text: Berattelsetext | None, level: int, heading: str) -> list[Block]:
    blocks = [h(level, heading, f"{slug(heading)}-{text.id if text else 'x'}")]
    if text is None:
        return [*blocks, note("Ingen text är beställd för det här avsnittet.")]
    if text.text.strip():
        for para in re.split(r"\n\s*\n", text.text.strip()):
            blocks.append(p(para.strip()))
        if text.status != TextStatus.KLAR:
            blocks.append(note(f"Texten är ett utkast ({text.status_label.lower()})."))
    else:
        owner = text.owner.name if text.owner else "ingen ansvarig"
        due = f", klart senast {text.due_date:%Y-%m-%d}" if text.due_date else ""
        blocks.append(note(f"Texten saknas ({owner}{due})."))
    return blocks


# --- the document -------------------------------------------------------------------------


def period_of(rapport: Kvalitetsberattelse) -> Period:
    return quality_year(rapport.first_year)


def avdelningar_of(root: Unit) -> list[Unit]:
    units = db.session.scalars(
        select(Unit)
        .where(
            Unit.path.startswith(root.path, autoescape=True),
            Unit.kind == UnitKind.AVDELNING,
            Unit.active.is_(True),
        )
        .order_by(Unit.sort_order, Unit.name)
    ).all()
    return list(units)


def areas() -> list[QualityArea]:
    return list(
        db.session.scalars(
            select(QualityArea)
            .where(QualityArea.active.is_(True))
            .order_by(QualityArea.sort_order, QualityArea.name)
        )
    )


def texts_of(rapport: Kvalitetsberattelse) -> dict[tuple[int, str, int | None], Berattelsetext]:
    rows = db.session.scalars(
        select(Berattelsetext)
        .where(Berattelsetext.rapport_id == rapport.id, Item.cancelled_at.is_(None))
        .options(selectinload(Berattelsetext.owner))
    )
    return {(t.block_unit_id, t.block_typ, t.area_id): t for t in rows}


def missing_texts(rapport: Kvalitetsberattelse) -> list[Berattelsetext]:
    """Narrative blocks not yet marked klar, earliest due first."""
    texts = [t for t in texts_of(rapport).values() if t.status != TextStatus.KLAR]
    return sorted(texts, key=lambda t: (t.due_date or clock.today(), t.unit.name, t.heading))


def previous_report(rapport: Kvalitetsberattelse) -> dict[str, Any] | None:
    """The latest frozen version of last year's report of the same unit, as stored."""
    content = db.session.scalar(
        select(RapportVersion.content)
        .join(Kvalitetsberattelse, Kvalitetsberattelse.id == RapportVersion.rapport_id)
        .where(
            Kvalitetsberattelse.unit_id == rapport.unit_id,
            Kvalitetsberattelse.first_year == rapport.first_year - 1,
        )
        .order_by(RapportVersion.number.desc())
        .limit(1)
    )
    return json.loads(content) if content else None


def compile_document(rapport: Kvalitetsberattelse, user: User | None = None) -> dict[str, Any]:
    """The whole kvalitetsberättelse as plain data (JSON-serialisable)."""
    root = rapport.unit
    period = period_of(rapport)
    prev = period.previous_year()
    area_list = areas()
    texts = texts_of(rapport)
    avdelningar = avdelningar_of(root)
    sources = [(module, title, load_stats(module)) for module, title in STAT_SOURCES]
    cache = prefetch_stats(
        [(m, f) for m, _, f in sources if f is not None], [root, *avdelningar], period, prev
    )
    decided = decided_in(previous_report(rapport))
    appendix = bool(rapport.bilaga_statistik)
    blocks: list[Block] = []

    # 1. Inledning
    blocks.append(h(1, "Inledning", "inledning"))
    intro = rapport.inledning.strip() or (
        f"Kvalitetsberättelsen beskriver hur {root.name} under kvalitetsåret {period.label} "
        "har arbetat för att systematiskt och fortlöpande utveckla och säkra verksamhetens "
        "kvalitet enligt Socialstyrelsens föreskrifter och allmänna råd om ledningssystem för "
        f"systematiskt kvalitetsarbete ({lagrum('sosfs_2011_9_berattelse', period.end)}). "
        "Den bygger på avvikelser, "
        "lex Sarah-rapporter, synpunkter och klagomål, egenkontroller och "
        "förbättringsåtgärder som har registrerats under året."
    )
    for para in re.split(r"\n\s*\n", intro):
        blocks.append(p(para.strip()))
    blocks.append(
        p(
            f"Kvalitetsåret {period.label} omfattar perioden {period.start:%Y-%m-%d} till "
            f"{period.end:%Y-%m-%d}. Siffrorna jämförs med kvalitetsåret {prev.label}."
        )
    )
    blocks.append(
        table(
            "Kvalitetsområden",
            ["Kvalitetsområde", "Beskrivning"],
            [[a.name, a.description] for a in area_list],
        )
    )

    # 2. Sammanfattande bedömning (förvaltningen)
    blocks.append(h(1, "Sammanfattande bedömning", "sammanfattande-bedomning"))
    for area in area_list:
        blocks += narrative_blocks(texts.get((root.id, BlockTyp.OMRADE, area.id)), 2, area.name)
    blocks += narrative_blocks(
        texts.get((root.id, BlockTyp.FORBATTRINGSOMRADEN, None)),
        2,
        "Förvaltningens förbättringsområden",
    )
    blocks.append(h(2, "Nyckeltal för hela förvaltningen", "nyckeltal"))
    key_rows = key_figure_rows(root, period, sources, cache)
    blocks.append(
        table(
            "Nyckeltal för hela förvaltningen",
            ["Område", "Mått", period.label, prev.label, "Förändring"],
            key_rows,
        )
    )
    blocks.append(area_table_block(root, period))
    flags = flag_lines(root, period, sources, cache)
    if flags:
        blocks.append(p("Att uppmärksamma för hela förvaltningen:"))
        blocks.append(ul(flags))

    for chapter in CHAPTERS:
        blocks += own_numbers_kept(chapter(root, period))

    # 3. One chapter per avdelning
    for avd in avdelningar:
        anchor = f"avd-{avd.id}"
        blocks.append(h(1, avd.name, anchor))
        blocks.append(h(2, "Analys och slutsatser", f"{anchor}-analys"))
        for area in area_list:
            blocks += narrative_blocks(texts.get((avd.id, BlockTyp.OMRADE, area.id)), 3, area.name)
            # "Identifierade förbättringsområden" under each quality area, as the
            # förvaltningar's own reports have it.
            per_area = texts.get((avd.id, BlockTyp.FORBATTRINGSOMRADEN, area.id))
            if per_area is not None:
                blocks += narrative_blocks(per_area, 4, "Identifierade förbättringsområden")
        # A report started before the areas had their own: the one text for the avdelning.
        whole = texts.get((avd.id, BlockTyp.FORBATTRINGSOMRADEN, None))
        if whole is not None:
            blocks += narrative_blocks(whole, 3, "Identifierade förbättringsområden")
        for section in ANALYSIS_SECTIONS:
            blocks += section(avd, period)
        blocks += facts_blocks(avd, period, sources, cache, anchor, decided, appendix)

    # Appendix: the full breakdowns, per avdelning.
    if appendix:
        blocks.append(
            {**h(1, "Bilaga 1. Statistik per avdelning", "bilaga-statistik"), "nonum": True}
        )
        blocks.append(
            p(
                "Bilagan redovisar all statistik som kvalitetsberättelsen bygger på, för hela "
                f"förvaltningen och per avdelning, för {period.label} jämfört med {prev.label}."
            )
        )
        for unit in [root, *avdelningar]:
            anchor = f"bilaga-{unit.id}"
            blocks.append(h(2, unit.name if unit.id != root.id else "Hela förvaltningen", anchor))
            blocks += detail_blocks(unit, period, sources, cache, anchor, level=3)

    number_headings(blocks, bool(rapport.numrerade_rubriker))
    missing = [
        {
            "ref": t.ref,
            "unit": t.unit.name,
            "heading": t.heading,
            "owner": t.owner.name if t.owner else "",
            "status": t.status_label,
            "due": t.due_date.isoformat() if t.due_date else "",
        }
        for t in missing_texts(rapport)
    ]
    compiled_at = clock.now()
    return {
        "title": f"Kvalitetsberättelse {period.label}",
        "unit": root.name,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "previous": prev.label,
        },
        "diarienummer": rapport.diarienummer or "",
        "beslutsdatum": rapport.beslutsdatum.isoformat() if rapport.beslutsdatum else "",
        "compiled_at": compiled_at.isoformat(timespec="seconds"),
        "compiled_at_local": local_time(compiled_at),
        "compiled_by": user.name if user else "Systemet",
        "options": {"numbered": bool(rapport.numrerade_rubriker), "appendix": appendix},
        "blocks": blocks,
        "missing": missing,
    }


def local_time(value: Any) -> str:
    """A time as the reader reads it: Europe/Stockholm, "2026-10-12 08:44"."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


# Per kind module: the figures a nämnd reads first, the breakdown whose largest categories
# are shown (top N and "övriga"), and whether it gets a chart in the summary.
KEY_FIGURES: dict[str, list[str]] = {
    "avvikelser": ["total", "closed", "median_days_to_close", "health_care"],
    "lexsarah": ["rapporter", "missforhallanden", "allvarliga", "anmalda_ivo"],
    "synpunkter": ["total", "answer_share", "median_days_to_answer", "open"],
    "egenkontroll": ["planerade", "genomforda", "missade", "andel_genomforda"],
    "atgarder": ["created", "completed", "effect_followed_up", "overdue_at_end"],
}
TOP_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "avvikelser": ("by_category", "per_kategori"),
    "synpunkter": ("by_tema", "per_tema", "by_typ", "per_typ"),
}
CHART_MODULES = ("avvikelser", "synpunkter")
LABELS_FOR_TOP = {"avvikelser": "Kategori", "synpunkter": "Tema"}


def top_n() -> int:
    return int(current_app.config.get("RAPPORT_TOP_N", 5))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def key_figure_rows(
    unit: Unit,
    period: Period,
    sources: list[tuple[str, str, StatsFn | None]],
    cache: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]],
) -> list[list[str]]:
    """Område | Mått | this year | last year | change, for the key figures of each kind
    (KEY_FIGURES; a module without a list gives its first four figures)."""
    rows: list[list[str]] = []
    for module, title, function in sources:
        if function is None:
            if module == "atgarder":
                made_now = sum(atgard_status_counts(unit, period).values())
                made_old = sum(atgard_status_counts(unit, period.previous_year()).values())
                rows.append([title, "Beslutade under året", fmt(made_now), fmt(made_old),
                             change(made_now, made_old)])  # fmt: skip
            continue
        now_stats, old_stats = cache.get((module, unit.id), (None, None))
        if now_stats is None:
            continue
        old_stats = old_stats or {}
        keys = [k for k in KEY_FIGURES.get(module, []) if _numeric(now_stats.get(k))]
        if not keys:
            keys = [k for k, v in now_stats.items() if k not in SKIP_KEYS and _numeric(v)][:4]
        for key in keys:
            value, old = share(key, now_stats.get(key)), share(key, old_stats.get(key))
            name = label_of(key) + (" (%)" if key.endswith("_share") else "")
            rows.append([title, name, fmt(value), fmt(old), change(value, old)])
    return rows


def top_categories(
    title: str, column: str, now: dict[str, Any], old: dict[str, Any], labels: tuple[str, str]
) -> list[Block]:
    """The N largest categories of a breakdown this year, the rest as "Övriga", a total,
    each beside last year; and a chart of the same."""
    counts = {k: v for k, v in now.items() if _numeric(v)}
    ranked = sorted(counts, key=lambda k: (-counts[k], str(k)))
    n = top_n()
    top = [k for k in ranked[:n] if counts[k]]
    rest = [k for k in set(counts) | {k for k in old if _numeric(old.get(k))} if k not in top]
    rows = [[str(k), fmt(counts[k]), fmt(old.get(k, 0)), change(counts[k], old.get(k, 0))]
            for k in top]  # fmt: skip
    rest_now = sum(counts.get(k, 0) for k in rest)
    rest_old = sum(old.get(k, 0) for k in rest if _numeric(old.get(k)))
    if rest:
        rows.append([f"Övriga ({fmt(len(rest))})", fmt(rest_now), fmt(rest_old),
                     change(rest_now, rest_old)])  # fmt: skip
    total_now = sum(counts.values())
    total_old = sum(v for v in old.values() if _numeric(v))
    rows.append(["Totalt", fmt(total_now), fmt(total_old), change(total_now, total_old)])
    caption = f"{title}: de {n} största" if len(ranked) > n else f"{title}: fördelning"
    blocks: list[Block] = [table(caption, [column, labels[0], labels[1], "Förändring"], rows)]
    if top and total_now:
        categories = [str(k) for k in top] + (["Övriga"] if rest else [])
        blocks.append(
            chart(
                caption,
                categories,
                [
                    (labels[0], [float(counts[k]) for k in top] + ([rest_now] if rest else [])),
                    (
                        labels[1],
                        [float(old.get(k, 0) or 0) for k in top]
                        + ([float(rest_old)] if rest else []),
                    ),
                ],
            )
        )
    return blocks


def flag_lines(
    unit: Unit,
    period: Period,
    sources: list[tuple[str, str, StatsFn | None]],
    cache: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]],
) -> list[str]:
    """Signals a nämnd should see: possible under-reporting, answers not given in time,
    egenkontroller not done, actions late, reports to IVO."""
    stats = {m: cache.get((m, unit.id), (None, None))[0] or {} for m, _, f in sources if f}
    lines: list[str] = []
    avv = stats.get("avvikelser", {})
    if avv.get("underreporting"):
        names = ", ".join(str(n) for n in avv["underreporting"])
        lines.append(f"Få eller inga avvikelserapporter (möjlig underrapportering): {names}.")
    syn = stats.get("synpunkter", {})
    owed: Any = syn.get("answer_owed")
    in_time: Any = syn.get("answered_in_time")
    if _numeric(owed) and _numeric(in_time) and owed > in_time:
        lines.append(
            f"{fmt(owed - in_time)} av {fmt(owed)} svar på synpunkter och klagomål gavs inte i "
            f"tid ({format_percent(in_time / owed)} i tid)."
        )
    egk = stats.get("egenkontroll", {})
    if _numeric(egk.get("missade")) and egk["missade"] > 0:
        lines.append(
            f"{fmt(egk['missade'])} av {fmt(egk.get('planerade'))} planerade egenkontroller "
            "genomfördes inte."
        )
    atg = stats.get("atgarder", {})
    if _numeric(atg.get("overdue_at_end")) and atg["overdue_at_end"] > 0:
        late = atg["overdue_at_end"]
        what = (
            "förbättringsåtgärd var försenad" if late == 1 else "förbättringsåtgärder var försenade"
        )
        lines.append(f"{fmt(late)} {what} vid årets slut.")
    lxs = stats.get("lexsarah", {})
    if _numeric(lxs.get("anmalda_ivo")) and lxs["anmalda_ivo"] > 0:
        cases = "lex Sarah-ärende" if lxs["anmalda_ivo"] == 1 else "lex Sarah-ärenden"
        lines.append(f"{fmt(lxs['anmalda_ivo'])} {cases} anmäldes till IVO.")
    return lines


def facts_blocks(
    unit: Unit,
    period: Period,
    sources: list[tuple[str, str, StatsFn | None]],
    cache: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]],
    anchor: str,
    decided: set[str] | None = None,
    appendix: bool = False,
) -> list[Block]:
    """The figures part of an avdelning's chapter: "Statistik i sammandrag" (key figures
    beside last year, the largest categories with a chart, what to look out for) and
    "Förbättringsåtgärder" (both tables), for `unit`'s subtree."""
    prev = period.previous_year()
    labels = (period.label, prev.label)
    blocks = [h(2, "Statistik i sammandrag", f"{anchor}-statistik")]
    rows = key_figure_rows(unit, period, sources, cache)
    if rows:
        heads = ["Område", "Mått", labels[0], labels[1], "Förändring"]
        blocks.append(table(f"Nyckeltal, {unit.name}", heads, rows))
    for module, title, function in sources:
        if function is None or module not in TOP_BREAKDOWNS:
            continue
        now_stats, old_stats = cache.get((module, unit.id), (None, None))
        if not now_stats:
            continue
        key = next((k for k in TOP_BREAKDOWNS[module] if isinstance(now_stats.get(k), dict)), None)
        if key is None:
            continue
        made = top_categories(
            f"{title} {label_of(key).lower()}",
            LABELS_FOR_TOP.get(module, label_of(key)),
            now_stats[key],
            (old_stats or {}).get(key) or {},
            labels,
        )
        blocks += [b for b in made if b["t"] != "chart" or module in CHART_MODULES]
    if not any(m == "avvikelser" and f is not None for m, _, f in sources):
        per_enhet = avvikelser_per_enhet(unit, period, prev)
        if per_enhet:
            blocks.append(per_enhet)
    flags = flag_lines(unit, period, sources, cache)
    blocks.append(h(3, "Att uppmärksamma", f"{anchor}-signaler"))
    quiet = "Inga signaler om underrapportering eller förseningar."
    blocks.append(ul(flags) if flags else p(quiet))
    if appendix:
        blocks.append(p("Fullständig statistik för avdelningen finns i bilaga 1."))
    blocks.append(h(2, "Förbättringsåtgärder", f"{anchor}-atgarder"))
    blocks.append(tidigare_atgarder(unit, period, decided))
    blocks.append(arets_atgarder(unit, period))
    return blocks


def detail_blocks(
    unit: Unit,
    period: Period,
    sources: list[tuple[str, str, StatsFn | None]],
    cache: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]],
    anchor: str,
    level: int = 3,
) -> list[Block]:
    """Every figure and breakdown of every kind for `unit`'s subtree (the appendix)."""
    prev = period.previous_year()
    labels = (period.label, prev.label)
    blocks: list[Block] = []
    for module, title, function in sources:
        blocks.append(h(level, title, f"{anchor}-{module}"))
        if module == "avvikelser" and function is None:
            per_enhet = avvikelser_per_enhet(unit, period, prev)
            if per_enhet:
                blocks.append(per_enhet)
        if module == "atgarder" and function is None:
            now_c, old_c = atgard_status_counts(unit, period), atgard_status_counts(unit, prev)
            blocks += _dict_blocks(title, "per_status", now_c, old_c, labels, False)
            continue
        if function is None:
            blocks.append(note(f"Uppgifter om {title.lower()} saknas ännu i systemet."))
            continue
        now_stats, old_stats = cache.get((module, unit.id), (None, None))
        if now_stats is None:
            blocks.append(note(f"Statistiken för {title.lower()} kunde inte tas fram."))
            continue
        made = stats_blocks(title, now_stats, old_stats or {}, labels)
        blocks += made or [note("Inga uppgifter för perioden.")]
    return blocks


def unit_facts(rapport: Kvalitetsberattelse, unit: Unit) -> list[Block]:
    """The figures of one unit's chapter and its full statistics (what the writer of its
    texts analyses)."""
    period = period_of(rapport)
    sources = [(module, title, load_stats(module)) for module, title in STAT_SOURCES]
    cache = prefetch_stats(
        [(m, f) for m, _, f in sources if f is not None], [unit], period, period.previous_year()
    )
    anchor = f"avd-{unit.id}"
    decided = decided_in(previous_report(rapport))
    return [
        *facts_blocks(unit, period, sources, cache, anchor, decided),
        h(2, "Fullständig statistik", f"{anchor}-detaljer"),
        *detail_blocks(unit, period, sources, cache, anchor),
    ]


def _many_of(function: StatsFn) -> ManyFn | None:
    """The kind's `statistics_many(roots, periods)` beside its `statistics`, if it has one."""
    module = importlib.import_module(function.__module__)
    many = getattr(module, "statistics_many", None)
    return many if callable(many) else None


def _many_stats(
    app: Any, function: StatsFn, unit_ids: list[int], periods: list[Period]
) -> dict[tuple[int, int], dict[str, Any]] | None:
    """One kind's statistics for every unit and period, in its own app context and session
    (for a worker thread); None if it failed."""
    with app.app_context():
        try:
            return _many_here(function, unit_ids, periods)
        except Exception:
            log.exception("statistics failed for %s", getattr(function, "__module__", function))
            return None
        finally:
            db.session.remove()


@reads_replica
def _many_here(
    function: StatsFn, unit_ids: list[int], periods: list[Period]
) -> dict[tuple[int, int], dict[str, Any]]:
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids))))
    units.sort(key=lambda u: unit_ids.index(u.id))
    many = _many_of(function)
    if many is not None:
        return many(units, periods)
    return {(u.id, i): function(u, p) for u in units for i, p in enumerate(periods)}


def prefetch_stats(
    functions: list[tuple[str, StatsFn]], units: list[Unit], period: Period, prev: Period
) -> dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """Every (module, unit) statistics for the year and the previous year, as
    {(module, unit id): (this year, previous year)}; None where a call failed.

    A kind with `statistics_many` answers for every unit and both years in a few grouped
    queries (see kvalitet.core.aggregates); a kind without it is asked per unit and year.
    With RAPPORT_STATS_WORKERS > 1 (default 2) the kinds are read in that many threads, each
    with its own database session (read-only aggregate queries: the database works on one
    while Python folds another). An in-memory SQLite database (one per connection) is always
    read in this thread. With READ_REPLICA_DATABASE_URL set the sessions read from the
    replica (kvalitet.extensions)."""
    periods = [period, prev]
    unit_ids = [u.id for u in units]
    workers = int(current_app.config.get("RAPPORT_STATS_WORKERS", 2))
    url = db.engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    results: list[dict[tuple[int, int], dict[str, Any]] | None]
    if workers > 1 and not in_memory and len(functions) > 1:
        from concurrent.futures import ThreadPoolExecutor

        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda c: _many_stats(app, c[1], unit_ids, periods), functions))
    else:
        results = []
        for _, function in functions:
            try:
                results.append(_many_here(function, unit_ids, periods))
            except Exception:
                log.exception("statistics failed for %s", function)
                db.session.rollback()
                results.append(None)
    out: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for (module, _), found in zip(functions, results, strict=True):
        for unit_id in unit_ids:
            now_stats = found.get((unit_id, 0)) if found is not None else None
            old_stats = found.get((unit_id, 1)) if found is not None else None
            out[(module, unit_id)] = (now_stats, old_stats if now_stats is not None else None)
    return out


def toc(document: dict[str, Any]) -> list[Block]:
    return [b for b in document["blocks"] if b["t"] == "h" and b["level"] <= 2]


def default_due(period: Period) -> Any:
    days = int(current_app.config.get("RAPPORT_TEXT_DUE_DAYS", 30))
    due = period.end + timedelta(days=days)
    earliest = clock.today() + timedelta(days=14)
    return max(due, earliest)
