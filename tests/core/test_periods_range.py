"""Statistics select a kind's rows of the compared periods by `in_periods`: adjacent periods
(the year and the year before) as one index range, periods apart as separate ranges, with
the same rows either way (a row on a boundary belongs to exactly one period)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select

from kvalitet.core import clock
from kvalitet.core.aggregates import in_periods, period_index
from kvalitet.core.periods import Period, quality_year
from kvalitet.extensions import db


def _moments(app):  # type: ignore[no-untyped-def]
    table = Table("t_moment", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", DateTime))  # fmt: skip
    this = quality_year(2025)
    last = this.previous_year()
    apart = Period(date(2022, 1, 1), date(2022, 12, 31), "2022")
    second = timedelta(seconds=1)
    times = {
        "last_start": last.start_utc(),
        "boundary": this.start_utc(),
        "before_boundary": this.start_utc() - second,
        "this_end": this.end_utc() - second,
        "after": this.end_utc(),
        "before_last": last.start_utc() - second,
        "in_2022": clock.local_midnight_utc(date(2022, 6, 1)),
        "in_2023": clock.local_midnight_utc(date(2023, 6, 1)),
    }
    return table, this, last, apart, times


def test_adjacent_periods_are_one_range_periods_apart_stay_apart(app):  # type: ignore[no-untyped-def]
    table, this, last, apart, times = _moments(app)
    connection = db.session.connection()
    table.create(connection)
    ids = {name: n for n, name in enumerate(times, start=1)}
    connection.execute(insert(table), [{"id": ids[k], "at": v.replace(tzinfo=None)}
                                       for k, v in times.items()])  # fmt: skip

    def chosen(periods: list[Period]) -> dict[str, int | None]:
        column = table.c.at
        rows = connection.execute(
            select(table.c.id, period_index(column, periods)).where(in_periods(column, periods))
        )
        names = {n: k for k, n in ids.items()}
        return {names[i]: index for i, index in rows}

    assert str(in_periods(table.c.at, [this, last])).count(" OR ") == 0  # one range
    assert chosen([this, last]) == {"last_start": 1, "before_boundary": 1, "boundary": 0,
                                    "this_end": 0}  # fmt: skip
    assert str(in_periods(table.c.at, [this, apart])).count(" OR ") == 1
    assert chosen([this, apart]) == {"boundary": 0, "this_end": 0, "in_2022": 1}
    nothing = connection.execute(select(table.c.id).where(in_periods(table.c.at, [])))
    assert list(nothing) == []
