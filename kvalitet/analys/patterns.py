"""Recurring causes across kinds (issue 21, point 3): the same subject (an avvikelse
category or a synpunkt theme, found by its list value or by the word in the item's text) in
several kinds within a window at one enhet: a possible pattern.

Counting follows the one policy: a kind the user has statistics rights for at the root counts
every item (a number, no contents); otherwise only the items the user may see count. Links go
only to items the user may see (visible_clause in SQL); a lex Sarah case outside the user's
need-to-know is counted and named "1 lex Sarah-ärende som du inte kan öppna"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import snowballstemmer
from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select

from kvalitet.analys.flags import chart_units
from kvalitet.analys.signals import SOURCES, base_where
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.periods import Period
from kvalitet.core.permissions import statistics_detail, units_under, visible_clause
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.lexsarah.models import LexSarahArende
from kvalitet.org.models import Unit, User
from kvalitet.synpunkter.models import Synpunkt

KINDS = ("AVV", "SYN", "LXS")
KIND_NAMES = {"AVV": ("avvikelse", "avvikelser"), "SYN": ("synpunkt/klagomål",
              "synpunkter/klagomål"), "LXS": ("lex Sarah-ärende", "lex Sarah-ärenden")}  # fmt: skip
WORD = re.compile(r"[a-zåäöéü]+")


@cache
def _stemmer() -> Any:
    return snowballstemmer.stemmer("swedish")


def stems(label: str) -> list[str]:
    """The Swedish stems of a label's words of four letters or more ("Dokumentation" →
    ["dokumentation"], "Beslut/insats" → ["beslut", "insat"])."""
    words = [w for w in WORD.findall(label.casefold()) if len(w) >= 4]
    return [s for s in _stemmer().stemWords(words) if len(s) >= 4]


@dataclass
class Pattern:
    unit_id: int
    unit: str
    topic: str
    counts: dict[str, int]
    items: list[dict[str, Any]] = field(default_factory=list)
    hidden: dict[str, int] = field(default_factory=dict)
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "unit": self.unit, "topic": self.topic,
                "counts": self.counts, "items": self.items, "hidden": self.hidden,
                "text": self.text}  # fmt: skip


def topics() -> dict[str, dict[str, list[int]]]:
    """Subjects: {label: {list key: [entry ids]}} from the active avvikelse categories and
    synpunkt themes (one subject per label, compared without case)."""
    rows = db.session.execute(
        select(ListEntry.id, ListEntry.list_key, ListEntry.label).where(
            ListEntry.list_key.in_(["avvikelse_kategori", "synpunkt_tema"]),
            ListEntry.active.is_(True),
        )
    ).all()
    out: dict[str, dict[str, list[int]]] = {}
    names: dict[str, str] = {}
    for entry_id, key, label in rows:
        if label.lower() in ("övrigt", "annat"):
            continue
        name = names.setdefault(label.lower(), label)
        out.setdefault(name, {}).setdefault(key, []).append(entry_id)
    return out


def _text_match(columns: list[Any], words: list[str]) -> ColumnElement[bool]:
    if not words:
        return false()
    return or_(*[contains_folded(c, w) for c in columns for w in words])


def matches(kind: str, label: str, entries: dict[str, list[int]]) -> ColumnElement[bool]:
    """SQL: an item of `kind` is about the subject `label`."""
    words = stems(label)
    if kind == "AVV":
        return or_(Avvikelse.category_id.in_(entries.get("avvikelse_kategori") or [-1]),
                   _text_match([Item.title, Item.description], words))  # fmt: skip
    if kind == "SYN":
        return or_(Synpunkt.theme_id.in_(entries.get("synpunkt_tema") or [-1]),
                   _text_match([Item.title, Item.description], words))  # fmt: skip
    return _text_match([Item.title, Item.description, LexSarahArende.consequences], words)


def window(period: Period) -> tuple[date, date]:
    """From `ANALYS_PATTERN_MONTHS` (default 6) months before the period's end, or the
    period's start if earlier, to its end (exclusive)."""
    months = int(current_app.config.get("ANALYS_PATTERN_MONTHS", 6))
    start = min(period.start, period.end_exclusive - relativedelta(months=months))
    return start, period.end_exclusive


def find_patterns(user: User, root: Unit, period: Period) -> list[Pattern]:
    start, end = window(period)
    min_kinds = int(current_app.config.get("ANALYS_PATTERN_MIN_KINDS", 2))
    min_items = int(current_app.config.get("ANALYS_PATTERN_MIN_ITEMS", 3))
    charted, owner = chart_units(root)
    names = {u.id: u.name for u in charted}
    counted = {k: statistics_detail(user, k, root) is not None for k in KINDS}
    found: list[Pattern] = []
    for label, entries in sorted(topics().items()):
        per_unit: dict[int, dict[str, tuple[int, int]]] = {}
        for kind in KINDS:
            src = SOURCES[kind]
            seen = visible_clause(user, [kind_spec(kind)])
            rows = db.session.execute(
                select(Item.unit_id, func.count(src.model.id),
                       func.sum(case((seen, 1), else_=0)))
                .where(*base_where(src, root, start, end), matches(kind, label, entries))
                .group_by(Item.unit_id)
            ).all()  # fmt: skip
            for unit_id, total, shown in rows:
                chart = owner.get(unit_id)
                if chart is None:
                    continue
                n = int(total) if counted[kind] else int(shown or 0)
                was = per_unit.setdefault(chart, {}).get(kind, (0, 0))
                per_unit[chart][kind] = (was[0] + n, was[1] + int(shown or 0))
        for unit_id, by_kind in per_unit.items():
            counts = {k: n for k, (n, _s) in by_kind.items() if n}
            if len(counts) < min_kinds or sum(counts.values()) < min_items:
                continue
            unit = db.session.get(Unit, unit_id)
            assert unit is not None
            pattern = Pattern(unit_id, names[unit_id], label, counts)
            pattern.items = _shown_items(user, unit, start, end, label, entries)
            for kind, n in counts.items():
                shown = sum(1 for i in pattern.items if i["kind"] == kind)
                if n > shown:
                    pattern.hidden[kind] = n - shown
            parts = [f"{KIND_NAMES[k][1]} ({n})" for k, n in counts.items()]
            joined = ", ".join(parts[:-1]) + " och " + parts[-1] if len(parts) > 1 else parts[0]
            last = end - relativedelta(days=1)
            pattern.text = (f"{pattern.unit}: {label.lower()} återkommer i {joined} "
                            f"{start:%Y-%m-%d} – {last:%Y-%m-%d}")  # fmt: skip
            found.append(pattern)
    return sorted(found, key=lambda p: (-sum(p.counts.values()), p.unit, p.topic))


def _shown_items(
    user: User, unit: Unit, start: date, end: date, label: str, entries: dict[str, list[int]]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for kind in KINDS:
        src = SOURCES[kind]
        spec = kind_spec(kind)
        rows = db.session.execute(
            select(Item.ref, Item.title)
            .select_from(src.model)
            .where(*base_where(src, unit, start, end), matches(kind, label, entries),
                   and_(Item.unit_id.in_(units_under([unit.path])), visible_clause(user, [spec])))
            .order_by(Item.created_at.desc())
            .limit(20)
        ).all()  # fmt: skip
        for ref, title in rows:
            items.append({"kind": kind, "ref": ref, "title": title})
    return items
