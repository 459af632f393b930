"""Recurrence rules for planned work (egenkontroller, årshjul activities).

A `Rule` is a small, JSON-serialisable description; `occurrences` expands it into dates inside an
inclusive window and `describe` renders it in Swedish for the UI.

Frequencies:
- ``once``: the start date only.
- ``monthly``: every `interval` months on `day` (default start.day), clipped to the month's last
  day (day 31 gives 28/29 Feb, 30 Apr).
- ``quarterly``: every third month on `day`; `month` (1..3) is the first month of the cycle
  (default derived from start.month), so month=1 gives Jan/Apr/Jul/Oct.
- ``yearly``: every year on `month`/`day` (default start's), clipped (29 Feb gives 28 Feb in
  non-leap years).
- ``weeks``: every `interval` weeks from start (same weekday).
- ``last_working_day``: the last Swedish working day of every month (`interval` months apart),
  see kvalitet.core.workdays.

`until` (inclusive) ends any rule. No occurrence is ever before `start`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY, rrule

from kvalitet.core.workdays import previous_working_day

FREQUENCIES = ("once", "monthly", "quarterly", "yearly", "weeks", "last_working_day")

FREQUENCY_LABELS = {
    "once": "En gång",
    "monthly": "Varje månad",
    "quarterly": "Varje kvartal",
    "yearly": "Varje år",
    "weeks": "Var N:e vecka",
    "last_working_day": "Sista arbetsdagen i månaden",
}

MONTH_NAMES = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class Rule:
    freq: str  # "once" | "monthly" | "quarterly" | "yearly" | "weeks" | "last_working_day"
    start: date  # first possible date
    interval: int = 1  # every N months (monthly), N weeks (weeks)
    day: int | None = None  # day of month for monthly/quarterly/yearly (clipped to month end)
    month: int | None = None  # yearly: the month; quarterly: first month of cycle (1..3)
    until: date | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.freq!r}")
        if self.interval < 1:
            raise ValueError("interval must be >= 1")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError("day must be 1..31")
        if self.month is not None:
            upper = 3 if self.freq == "quarterly" else 12
            if not 1 <= self.month <= upper:
                raise ValueError(f"month must be 1..{upper}")
        if self.until is not None and self.until < self.start:
            raise ValueError("until must not be before start")

    def to_dict(self) -> dict[str, Any]:
        return {
            "freq": self.freq,
            "start": self.start.isoformat(),
            "interval": self.interval,
            "day": self.day,
            "month": self.month,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Rule:
        def _date(value: Any) -> date | None:
            if value is None or value == "":
                return None
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value))

        start = _date(d["start"])
        assert start is not None
        return cls(
            freq=str(d["freq"]),
            start=start,
            interval=int(d.get("interval") or 1),
            day=int(d["day"]) if d.get("day") not in (None, "") else None,
            month=int(d["month"]) if d.get("month") not in (None, "") else None,
            until=_date(d.get("until")),
        )


def _on_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_steps(rule: Rule, first_month: date, step: int, window_end: date) -> list[date]:
    """Month starts first_month, +step months, ... up to window_end (via dateutil.rrule)."""
    end = window_end if rule.until is None else min(window_end, rule.until)
    if end < first_month:
        return []
    starts = rrule(MONTHLY, dtstart=first_month, interval=step, bymonthday=1, until=end)
    return [dt.date() for dt in starts]


def _raw(rule: Rule, window_end: date) -> list[date]:
    """All occurrences from rule.start up to min(window_end, until), unfiltered by window_start."""
    if rule.freq == "once":
        return [rule.start]
    if rule.freq == "weeks":
        end = window_end if rule.until is None else min(window_end, rule.until)
        if end < rule.start:
            return []
        return [
            dt.date() for dt in rrule(WEEKLY, dtstart=rule.start, interval=rule.interval, until=end)
        ]
    if rule.freq == "last_working_day":
        first = rule.start.replace(day=1)
        # a month-end lands at most a few days past month start, so steps up to window_end suffice
        return [
            previous_working_day(m + relativedelta(months=1) - timedelta(days=1))
            for m in _month_steps(rule, first, rule.interval, window_end)
        ]
    day = rule.day or rule.start.day
    if rule.freq == "monthly":
        first = rule.start.replace(day=1)
        step = rule.interval
    elif rule.freq == "quarterly":
        cycle = rule.month or ((rule.start.month - 1) % 3 + 1)
        first = rule.start.replace(day=1)
        while (first.month - cycle) % 3 != 0:
            first += relativedelta(months=1)
        step = 3 * rule.interval
    else:  # yearly
        month = rule.month or rule.start.month
        first = date(rule.start.year, month, 1)
        step = 12 * rule.interval
    return [_on_day(m.year, m.month, day) for m in _month_steps(rule, first, step, window_end)]


def occurrences(rule: Rule, window_start: date, window_end: date) -> list[date]:
    """Dates of the rule inside [window_start, window_end] (inclusive), sorted, never before
    rule.start nor after rule.until."""
    if window_end < window_start:
        return []
    out = set()
    for d in _raw(rule, window_end):
        if d < rule.start or d < window_start or d > window_end:
            continue
        if rule.until is not None and d > rule.until:
            continue
        out.add(d)
    return sorted(out)


def _ordinal(day: int) -> str:
    # Swedish: 1:a, 2:a, 3:e ... 21:a, 22:a, 31:a; 11:e, 12:e
    if day % 10 in (1, 2) and day not in (11, 12):
        return f"{day}:a"
    return f"{day}:e"


def _date_sv(d: date) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def describe(rule: Rule) -> str:
    """Swedish description, e.g. "Varje månad den 15:e", "Sista arbetsdagen varje månad"."""
    day = rule.day or rule.start.day
    n = rule.interval
    if rule.freq == "once":
        text = f"En gång, {_date_sv(rule.start)}"
    elif rule.freq == "monthly":
        day_text = "den sista" if day == 31 else f"den {_ordinal(day)}"
        text = f"Varje månad {day_text}" if n == 1 else f"Var {_ordinal(n)} månad {day_text}"
    elif rule.freq == "quarterly":
        cycle = rule.month or ((rule.start.month - 1) % 3 + 1)
        months = ", ".join(MONTH_NAMES[(cycle - 1 + 3 * i) % 12][:3] for i in range(4))
        prefix = "Varje kvartal" if n == 1 else f"Vart {_ordinal(n)} kvartal"
        text = f"{prefix} den {_ordinal(day)} ({months})"
    elif rule.freq == "yearly":
        month = rule.month or rule.start.month
        prefix = "Varje år" if n == 1 else f"Vart {_ordinal(n)} år"
        text = f"{prefix} den {day} {MONTH_NAMES[month - 1]}"
    elif rule.freq == "weeks":
        weekday = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")[
            rule.start.weekday()
        ]
        text = "Varje vecka" if n == 1 else f"Var {_ordinal(n)} vecka"
        text += f" ({weekday}ar)"
    else:
        text = (
            "Sista arbetsdagen varje månad"
            if n == 1
            else f"Sista arbetsdagen var {_ordinal(n)} månad"
        )
    if rule.until is not None:
        text += f", till och med {_date_sv(rule.until)}"
    return text
