"""Periods for statistics: the quality year (kvalitetsår) and arbitrary date ranges.

The quality year starts on the first day of QUALITY_YEAR_START_MONTH (default 9: 1 September
to 31 August, so "2025/26" is 2025-09-01 – 2026-08-31). With start month 1 the quality year
is the calendar year and is labelled "2026".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context

from kvalitet.core import clock


def start_month() -> int:
    if has_app_context():
        return int(current_app.config.get("QUALITY_YEAR_START_MONTH", 9))
    return 9


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    label: str

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def start_utc(self) -> datetime:
        return clock.local_midnight_utc(self.start)

    def end_utc(self) -> datetime:
        """The instant the period ends (exclusive), in UTC."""
        return clock.local_midnight_utc(self.end_exclusive)

    def previous_year(self) -> Period:
        """The same period one year earlier (29 February becomes 28 February)."""
        return Period(_minus_year(self.start), _minus_year(self.end), _previous_label(self))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _previous_label(period: Period) -> str:
    match = re.fullmatch(r"(\d{4})/(\d{2})", period.label)
    if match:
        first = int(match.group(1)) - 1
        return f"{first}/{(first + 1) % 100:02d}"
    if re.fullmatch(r"\d{4}", period.label):
        return str(int(period.label) - 1)
    return f"{period.start - timedelta(days=365):%Y-%m-%d} – {_minus_year(period.end):%Y-%m-%d}"


def quality_year(first_year: int, month: int | None = None) -> Period:
    """The quality year that starts in `first_year`."""
    month = month or start_month()
    start = date(first_year, month, 1)
    end = (
        date(first_year + 1, month, 1) - timedelta(days=1)
        if month != 1
        else date(first_year, 12, 31)
    )
    label = str(first_year) if month == 1 else f"{first_year}/{(first_year + 1) % 100:02d}"
    return Period(start, end, label)


def quality_year_of(day: date, month: int | None = None) -> Period:
    month = month or start_month()
    first_year = day.year if day.month >= month else day.year - 1
    return quality_year(first_year, month)


def current_quality_year() -> Period:
    return quality_year_of(clock.today())


def parse_quality_year(text: str | None) -> Period | None:
    """Parse "2025/26", "2025/2026" or "2025" (the quality year starting in 2025)."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{4})(?:\s*/\s*(\d{2}|\d{4}))?\s*", text)
    if not match:
        return None
    first = int(match.group(1))
    if not 1990 <= first <= 2100:
        return None
    return quality_year(first)


def recent_quality_years(count: int = 5) -> list[Period]:
    current = current_quality_year()
    first = current.start.year
    return [quality_year(first - n) for n in range(count)]


def custom_period(start: date, end: date) -> Period:
    return Period(start, end, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}")
