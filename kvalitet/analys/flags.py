"""What is unusual in a unit's subtree (issue 21, point 2): monthly series read with one
grouped query per kind, scanned by kvalitet.analys.control, each flag explained in Swedish.

Series: per enhet (items at a team count to its enhet) the avvikelser and the synpunkter per
month; across the subtree each avvikelse category and synpunkt theme per month (a theme that
grows across units). The months tested are those of the period; the 12 months before each
month are its baseline."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import func, select

from kvalitet.analys import control
from kvalitet.analys.signals import (
    MONTHS,
    SOURCES,
    Source,
    _labels,
    base_where,
    bucket,
    months_back,
)
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core.periods import Period
from kvalitet.core.permissions import Detail, statistics_detail, suppress_small
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit, UnitKind, User
from kvalitet.synpunkter.models import Synpunkt

NOUNS = {"AVV": ("avvikelse", "avvikelser"), "SYN": ("synpunkt/klagomål", "synpunkter/klagomål")}
GROUP = {"AVV": (Avvikelse.category_id, "avvikelse_kategori", "kategorin"),
         "SYN": (Synpunkt.theme_id, "synpunkt_tema", "temat")}  # fmt: skip


def sensitivity() -> str:
    value = str(current_app.config.get("ANALYS_SENSITIVITY", "normal"))
    return value if value in control.SENSITIVITY else "normal"


@dataclass
class Flag:
    kind: str
    unit_id: int | None  # None: across the subtree (a category or theme)
    subject: str  # the unit's name, or the category/theme
    month: date
    direction: str
    text: str
    count: int
    expected: float
    p_value: float

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit_id": self.unit_id, "subject": self.subject,
                "month": self.month.isoformat(), "direction": self.direction, "text": self.text,
                "count": self.count, "expected": round(self.expected, 2),
                "p_value": self.p_value}  # fmt: skip


def month_name(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def chart_units(root: Unit) -> tuple[list[Unit], dict[int, int]]:
    """The units charted (the enheter in the subtree, or root itself if it has none) and a
    map from every unit id in the subtree to the charted unit it counts toward."""
    units = db.session.scalars(
        select(Unit).where(Unit.path.startswith(root.path, autoescape=True), Unit.active)
        .order_by(Unit.path)
    ).all()  # fmt: skip
    charted = [u for u in units if u.kind == UnitKind.ENHET] or [root]
    owner: dict[int, int] = {}
    for unit in units:
        for chart in charted:
            if unit.path.startswith(chart.path):
                owner[unit.id] = chart.id
    return charted, owner


def _fmt(count: int, detail: Detail) -> str:
    return (
        str(suppress_small({"n": count}, top=False)["n"]) if detail != Detail.FULL else str(count)
    )


def _usual(low: int, high: int) -> str:
    """The usual range in words: "normalt 2–5", "normalt 1", "normalt inga"."""
    if high == 0:
        return "normalt inga"
    return f"normalt {low}" if low == high else f"normalt {low}–{high}"


def _series(src: Source, root: Unit, months: list[date], group: Any) -> dict[Any, list[int]]:
    slot = bucket(src, months).label("slot")
    end = months[-1] + relativedelta(months=1)
    rows = db.session.execute(
        select(group, slot, func.count(src.model.id))
        .where(*base_where(src, root, months[0], end))
        .group_by(group, slot)
    ).all()
    series: dict[Any, list[int]] = defaultdict(lambda: [0] * len(months))
    for key, index, count in rows:
        series[key][int(index)] += int(count)
    return series


def _top_group(src: Source, unit: Unit, month: date, kind: str) -> tuple[str, int] | None:
    column, list_key, _word = GROUP[kind]
    end = month + relativedelta(months=1)
    row = db.session.execute(
        select(column, func.count(src.model.id))
        .where(*base_where(src, unit, month, end), column.is_not(None))
        .group_by(column)
        .order_by(func.count(src.model.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return _labels(list_key).get(row[0], "?"), int(row[1])


def find_flags(
    user: User | None, root: Unit, period: Period, alpha: float | None = None,
    detail: Detail | None = None,
) -> list[Flag]:  # fmt: skip
    """The flags the user may see for root's subtree in the period's months (kinds the user
    has statistics rights for at root; at aggregate detail small counts read "<5"). Without
    a user (the kvalitetsberättelse, read by the nämnd) at `detail` for every kind."""
    alpha = alpha if alpha is not None else control.SENSITIVITY[sensitivity()]
    last = period.end.replace(day=1)
    first = period.start.replace(day=1)
    tested = (last.year - first.year) * 12 + last.month - first.month + 1
    months = months_back(last, control.BASELINE_MONTHS + tested)
    test_from = len(months) - tested
    charted, owner = chart_units(root)
    names = {u.id: u.name for u in charted}
    flags: list[Flag] = []
    for kind in ("AVV", "SYN"):
        kind_detail = statistics_detail(user, kind, root) if user is not None else detail
        if kind_detail is None:
            continue
        src = SOURCES[kind]
        plural = NOUNS[kind][1]
        per_unit_raw = _series(src, root, months, Item.unit_id)
        per_unit: dict[int, list[int]] = {u.id: [0] * len(months) for u in charted}
        for unit_id, counts in per_unit_raw.items():
            chart = owner.get(unit_id)
            if chart is not None:
                per_unit[chart] = [a + b for a, b in zip(per_unit[chart], counts, strict=True)]
        for unit_id, counts in per_unit.items():
            for s in control.scan(counts, test_from, alpha=alpha):
                month = months[s.index]
                unit = db.session.get(Unit, unit_id)
                assert unit is not None
                if s.direction == "hog":
                    text = (f"{names[unit_id]}: {_fmt(s.count, kind_detail)} {plural} i "
                            f"{month_name(month)}, {_usual(s.low, s.high)}")  # fmt: skip
                    top = _top_group(src, unit, month, kind)
                    if top is not None and top[1] * 2 >= s.count:
                        text += f"; {top[0].lower()} {_fmt(top[1], kind_detail)} av dem"
                else:
                    first = months[s.index - s.months + 1]
                    text = (f"{names[unit_id]}: {_fmt(s.count, kind_detail)} {plural} i "
                            f"{month_name(first)}–{month_name(month)}, "
                            f"{_usual(s.low, s.high)} i månaden (väntat omkring "
                            f"{round(s.expected)}): har enheten slutat rapportera?")  # fmt: skip
                flags.append(Flag(kind, unit_id, names[unit_id], month, s.direction, text,
                                  s.count, s.expected, s.p_value))  # fmt: skip
        column, list_key, word = GROUP[kind]
        labels = _labels(list_key)
        for key, counts in _series(src, root, months, column).items():
            if key is None:
                continue
            for s in control.scan(counts, test_from, alpha=alpha):
                if s.direction != "hog":
                    continue
                month = months[s.index]
                label = labels.get(key, "?")
                shown = _fmt(s.count, kind_detail)
                text = (f"{root.name}, {word} {label.lower()}: {shown} {plural} "
                        f"i {month_name(month)}, {_usual(s.low, s.high)}")  # fmt: skip
                flags.append(Flag(kind, None, label, month, "hog", text, s.count, s.expected,
                                  s.p_value))  # fmt: skip
    return sorted(flags, key=lambda f: (f.month, f.kind, f.subject))
