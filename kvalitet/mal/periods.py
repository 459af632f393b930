"""The follow-up periods of a plan's year and their deadlines.

Codes: T1 (jan–apr), T2 (maj–aug), T3 (sep–dec, reported with the helår), H1, H2, M01..M12
and AR (helår). With MAL_CUMULATIVE_PERIODS the tertials and halvår run from the start of
the year (T2 = jan–aug, as in a delårsbokslut). Deadlines come from MAL_DEADLINES (code →
"MM-DD", a leading "+" meaning the following year); months are due MAL_MONTH_DEADLINE_DAY of
the next month.

The plan's year starts in KVALITETSAR_START_MANAD (1 = the calendar year). With another
month, e.g. 9, the plan of 2025 runs from 1 September 2025 to 31 August 2026 ("2025/26"):
T1 is its first four months (sep–dec), H1 its first six, AR all twelve, M01 still means
January (of 2026), and the months in MAL_DEADLINES count from the start of the year as well
("05-15" is the 15th of its fifth month: 15 January 2026).
"""

from __future__ import annotations

import calendar
from datetime import date

from flask import current_app, has_app_context

from kvalitet.core.periods import Period
from kvalitet.core.recurrence import MONTH_NAMES

TERTIALS = ("T1", "T2", "T3")
HALVAR = ("H1", "H2")
MONTHS = tuple(f"M{m:02d}" for m in range(1, 13))
ALL_CODES = (*TERTIALS, *HALVAR, *MONTHS, "AR")
# Codes offered as choices, in display order ("M" = every month).
CHOICES = [
    ("T1", "T1 (jan–apr)"),
    ("T2", "T2 (maj–aug)"),
    ("T3", "T3 (sep–dec)"),
    ("H1", "Halvår 1"),
    ("H2", "Halvår 2"),
    ("AR", "Helår"),
    ("M", "Varje månad"),
]

DEFAULT_DEADLINES = {
    "T1": "05-15",
    "T2": "09-15",
    "T3": "+01-31",
    "H1": "08-15",
    "H2": "+01-31",
    "AR": "+01-31",
}
_BOUNDS = {"T1": (1, 4), "T2": (5, 8), "T3": (9, 12), "H1": (1, 6), "H2": (7, 12), "AR": (1, 12)}


def _config(key: str, default: object) -> object:
    return current_app.config.get(key, default) if has_app_context() else default


def start_month() -> int:
    """The first month of the plans' year (KVALITETSAR_START_MANAD, 1–12; 1 = calendar)."""
    value = int(str(_config("KVALITETSAR_START_MANAD", 1)))
    return value if 1 <= value <= 12 else 1


def _calendar(year: int, relative_month: int) -> tuple[int, int]:
    """(year, month) of the plan-year `year`'s `relative_month` (1 = its first month)."""
    offset = start_month() - 1 + relative_month - 1
    return year + offset // 12, offset % 12 + 1


def year_label(year: int) -> str:
    """ "2026", or "2025/26" when the year does not start in January."""
    return str(year) if start_month() == 1 else f"{year}/{(year + 1) % 100:02d}"


def plan_year_of(day: date) -> int:
    """The plan year a date falls in."""
    return day.year if day.month >= start_month() else day.year - 1


def choices() -> list[tuple[str, str]]:
    """CHOICES with the months each period covers in this installation's year."""
    names = [m[:3] for m in MONTH_NAMES]
    out = []
    for code, text in CHOICES:
        if code in TERTIALS:
            first, last = _BOUNDS[code]
            a, b = _calendar(2000, first)[1], _calendar(2000, last)[1]
            text = f"{code} ({names[a - 1]}–{names[b - 1]})"
        out.append((code, text))
    return out


def expand(codes: list[str]) -> list[str]:
    """Form choices to period codes ("M" becomes the twelve months), in calendar order."""
    out: set[str] = set()
    for code in codes:
        if code == "M":
            out.update(MONTHS)
        elif code in ALL_CODES:
            out.add(code)
    return sorted(out, key=sort_key)


def sort_key(code: str) -> tuple[int, int]:
    """Order of periods in a year: by end month, then the shorter first (T2 before H2...)."""
    first, last = month_bounds(code)
    return (last, -(first))


def month_bounds(code: str) -> tuple[int, int]:
    """First and last month of the period, counted from the start of the plan's year."""
    if code in _BOUNDS:
        first, last = _BOUNDS[code]
    elif code in MONTHS:
        first = last = (int(code[1:]) - start_month()) % 12 + 1
    else:
        raise ValueError(code)
    if bool(_config("MAL_CUMULATIVE_PERIODS", False)) and code in (*TERTIALS, *HALVAR):
        first = 1
    return first, last


def label(code: str, year: int | None = None) -> str:
    if code in MONTHS:
        text = MONTH_NAMES[int(code[1:]) - 1].capitalize()
    elif code == "AR":
        text = "Helår"
    elif code in HALVAR:
        text = f"Halvår {code[1]}"
    else:
        text = code
    return f"{text} {year_label(year)}" if year else text


def period_of(year: int, code: str) -> Period:
    first, last = month_bounds(code)
    start_year, start = _calendar(year, first)
    end_year, end = _calendar(year, last)
    last_day = date(end_year, end, calendar.monthrange(end_year, end)[1])
    return Period(date(start_year, start, 1), last_day, label(code, year))


def deadline(year: int, code: str) -> date:
    if code in MONTHS:
        day = int(str(_config("MAL_MONTH_DEADLINE_DAY", 15)))
        y, m = _calendar(year, month_bounds(code)[1] + 1)
        return date(y, m, min(day, 28))
    table = dict(DEFAULT_DEADLINES)
    table.update(dict(_config("MAL_DEADLINES", {}) or {}))  # type: ignore[call-overload]
    text = str(table.get(code, DEFAULT_DEADLINES.get(code, "+01-31")))
    next_year = text.startswith("+")
    month, day = (int(x) for x in text.lstrip("+").split("-"))
    y, m = _calendar(year + 1 if next_year else year, month)
    return date(y, m, min(day, calendar.monthrange(y, m)[1]))


def previous_codes(code: str, measured: list[str]) -> list[str]:
    """The measured periods of the year up to and including `code`, in order."""
    key = sort_key(code)
    return [c for c in sorted(measured, key=sort_key) if sort_key(c) <= key]
