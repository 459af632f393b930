"""Swedish working days: weekends, public holidays and (configurably) the de facto holidays
midsommarafton, julafton and nyårsafton, from the `holidays` package."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from flask import current_app, has_app_context

# The de facto category of the holidays package also lists half days ("från kl. 14.00"),
# which are working days; only these whole days are closed.
_DE_FACTO_CLOSED = ("Midsommarafton", "Julafton", "Nyårsafton")


def _include_de_facto() -> bool:
    if has_app_context():
        return bool(current_app.config.get("WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS", True))
    return True


@lru_cache(maxsize=256)
def _closed_days(year: int, de_facto: bool) -> frozenset[date]:
    public = holidays.country_holidays("SE", years=year, include_sundays=False, language="sv")
    days = set(public.keys())
    if de_facto:
        extra = holidays.country_holidays(
            "SE", years=year, include_sundays=False, language="sv", categories=("de_facto",)
        )
        days |= {d for d, name in extra.items() if name in _DE_FACTO_CLOSED}
    return frozenset(days)


def is_working_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _closed_days(day.year, _include_de_facto())


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted).

    add_working_days(friday, 1) is the next working Monday. With days=0 the result is
    start if it is a working day, else the next working day.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    if days == 0:
        while not is_working_day(current):
            current += timedelta(days=1)
        return current
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


@lru_cache(maxsize=256)
def _running_count(year: int, de_facto: bool) -> tuple[int, ...]:
    """Working days of `year` up to and including each day of it (index: day of the year
    - 1), and the year's total last: a calendar table, so that a count over a span is two
    look-ups instead of a walk over every day (statistics count thousands of spans)."""
    closed = _closed_days(year, de_facto)
    day, counts, running = date(year, 1, 1), [], 0
    while day.year == year:
        if day.weekday() < 5 and day not in closed:
            running += 1
        counts.append(running)
        day += timedelta(days=1)
    return tuple(counts)


def _working_days_up_to(day: date, de_facto: bool) -> int:
    """Working days from 1 January of `day`'s year up to and including `day`."""
    return _running_count(day.year, de_facto)[day.timetuple().tm_yday - 1]


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    if end <= start:
        return 0
    de_facto = _include_de_facto()
    count = _working_days_up_to(end, de_facto) - _working_days_up_to(start, de_facto)
    for year in range(start.year, end.year):
        count += _running_count(year, de_facto)[-1]
    return count


def previous_working_day(day: date) -> date:
    current = day
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current
