"""working_days_between reads a calendar table (running counts per year); it agrees with
walking the days one by one, over spans within a year, across years and backwards."""

from __future__ import annotations

import random
from datetime import date, timedelta

from kvalitet.core import workdays


def _walk(start: date, end: date) -> int:
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += workdays.is_working_day(current)
    return count


def test_calendar_table_agrees_with_walking_the_days(app):  # type: ignore[no-untyped-def]
    rng = random.Random(3)  # noqa: S311 repeatable
    for _ in range(2000):
        start = date(2019, 1, 1) + timedelta(days=rng.randrange(3000))
        end = start + timedelta(days=rng.randrange(-40, 1000))
        assert workdays.working_days_between(start, end) == _walk(start, end), (start, end)
    # Midsommarafton 2026 (19 June) and the weekend are closed: Thursday → Monday is 1.
    assert workdays.working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 1
    app.config["WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS"] = False
    with app.test_request_context():
        assert workdays.working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 2
