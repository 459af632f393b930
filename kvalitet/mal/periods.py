"""The follow-up periods of a plan's year and their deadlines.

Codes: T1 (jan–apr), T2 (maj–aug), T3 (sep–dec, reported with the helår), H1, H2, M01..M12
and AR (helår). With MAL_CUMULATIVE_PERIODS the tertials and halvår run from 1 January (T2 =
jan–aug, as in a delårsbokslut). Deadlines come from MAL_DEADLINES (code → "MM-DD", a
leading "+" meaning the following year); months are due MAL_MONTH_DEADLINE_DAY of the next
month.
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
    if code in _BOUNDS:
        first, last = _BOUNDS[code]
    elif code in MONTHS:
        first = last = int(code[1:])
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
    return f"{text} {year}" if year else text


def period_of(year: int, code: str) -> Period:
    first, last = month_bounds(code)
    end = date(year, last, calendar.monthrange(year, last)[1])
    return Period(date(year, first, 1), end, label(code, year))


def deadline(year: int, code: str) -> date:
    if code in MONTHS:
        month = int(code[1:])
        day = int(str(_config("MAL_MONTH_DEADLINE_DAY", 15)))
        y, m = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(y, m, min(day, 28))
    table = dict(DEFAULT_DEADLINES)
    table.update(dict(_config("MAL_DEADLINES", {}) or {}))  # type: ignore[call-overload]
    text = str(table.get(code, DEFAULT_DEADLINES.get(code, "+01-31")))
    next_year = text.startswith("+")
    month, day = (int(x) for x in text.lstrip("+").split("-"))
    return date(year + 1 if next_year else year, month, day)


def previous_codes(code: str, measured: list[str]) -> list[str]:
    """The measured periods of the year up to and including `code`, in order."""
    key = sort_key(code)
    return [c for c in sorted(measured, key=sort_key) if sort_key(c) <= key]
