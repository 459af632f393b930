"""Recurrence rules: month ends, leap years, Swedish holidays, every-N-weeks with an end."""

from datetime import date

import pytest

from kvalitet.core.recurrence import Rule, describe, occurrences


def test_monthly_on_31st_clips_to_month_end():
    rule = Rule("monthly", date(2026, 1, 1), day=31)
    got = occurrences(rule, date(2026, 1, 1), date(2026, 6, 30))
    assert got == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]


def test_monthly_on_30th_in_leap_february():
    rule = Rule("monthly", date(2028, 1, 1), day=30)
    assert occurrences(rule, date(2028, 2, 1), date(2028, 3, 31)) == [
        date(2028, 2, 29),
        date(2028, 3, 30),
    ]


def test_monthly_interval_and_start_day_default():
    rule = Rule("monthly", date(2026, 1, 15), interval=2)
    assert occurrences(rule, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 1, 15),
        date(2026, 3, 15),
        date(2026, 5, 15),
        date(2026, 7, 15),
        date(2026, 9, 15),
        date(2026, 11, 15),
    ]


def test_yearly_29_february_falls_on_28th_outside_leap_years():
    rule = Rule("yearly", date(2024, 2, 29))
    got = occurrences(rule, date(2024, 1, 1), date(2028, 12, 31))
    assert got == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_yearly_explicit_month_and_day_never_before_start():
    rule = Rule("yearly", date(2026, 6, 1), month=3, day=31)
    assert occurrences(rule, date(2026, 1, 1), date(2028, 12, 31)) == [
        date(2027, 3, 31),
        date(2028, 3, 31),
    ]


def test_quarterly_cycle_month_and_clipping():
    rule = Rule("quarterly", date(2026, 2, 1), day=31, month=1)
    # cycle Jan/Apr/Jul/Oct; January is before start
    assert occurrences(rule, date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 4, 30),
        date(2026, 7, 31),
        date(2026, 10, 31),
    ]


def test_quarterly_default_cycle_from_start():
    rule = Rule("quarterly", date(2026, 3, 10))
    assert occurrences(rule, date(2026, 1, 1), date(2027, 1, 31)) == [
        date(2026, 3, 10),
        date(2026, 6, 10),
        date(2026, 9, 10),
        date(2026, 12, 10),
    ]


def test_last_working_day_respects_weekends_and_swedish_holidays():
    rule = Rule("last_working_day", date(2026, 1, 1))
    got = occurrences(rule, date(2026, 1, 1), date(2026, 12, 31))
    assert len(got) == 12
    # 31 Jan 2026 is a Saturday
    assert got[0] == date(2026, 1, 30)
    # 31 Oct 2026 is a Saturday (alla helgons dag): Friday 30 Oct
    assert got[9] == date(2026, 10, 30)
    # 31 Dec 2026 is nyårsafton (a Thursday): the last working day is 30 Dec
    assert got[11] == date(2026, 12, 30)


def test_last_working_day_when_month_ends_on_a_holiday_weekend():
    # April 2027: 30 Apr is a Friday, a working day (valborgsmässoafton is not a holiday)
    rule = Rule("last_working_day", date(2027, 1, 1))
    assert occurrences(rule, date(2027, 4, 1), date(2027, 4, 30)) == [date(2027, 4, 30)]
    # December 2027: 31 Dec is a Friday (nyårsafton), 30 Dec a Thursday
    assert occurrences(rule, date(2027, 12, 1), date(2027, 12, 31)) == [date(2027, 12, 30)]


def test_last_working_day_can_be_turned_off_for_de_facto_holidays(app):
    app.config["WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS"] = False
    with app.app_context():
        rule = Rule("last_working_day", date(2026, 12, 1))
        assert occurrences(rule, date(2026, 12, 1), date(2026, 12, 31)) == [date(2026, 12, 31)]


def test_every_n_weeks_with_an_end():
    rule = Rule("weeks", date(2026, 1, 5), interval=3, until=date(2026, 3, 16))
    got = occurrences(rule, date(2025, 1, 1), date(2027, 1, 1))
    assert got == [date(2026, 1, 5), date(2026, 1, 26), date(2026, 2, 16), date(2026, 3, 9)]
    assert all(d.weekday() == 0 for d in got)


def test_until_is_inclusive_and_window_is_inclusive():
    rule = Rule("monthly", date(2026, 1, 15), until=date(2026, 3, 15))
    assert occurrences(rule, date(2026, 2, 15), date(2026, 12, 31)) == [
        date(2026, 2, 15),
        date(2026, 3, 15),
    ]


def test_once():
    rule = Rule("once", date(2026, 5, 4))
    assert occurrences(rule, date(2026, 1, 1), date(2026, 12, 31)) == [date(2026, 5, 4)]
    assert occurrences(rule, date(2026, 5, 5), date(2026, 12, 31)) == []


def test_empty_and_reversed_windows():
    rule = Rule("monthly", date(2026, 1, 1))
    assert occurrences(rule, date(2026, 3, 2), date(2026, 3, 31)) == []
    assert occurrences(rule, date(2026, 5, 1), date(2026, 4, 1)) == []


def test_dict_round_trip():
    rule = Rule("quarterly", date(2026, 1, 1), interval=1, day=15, month=1, until=date(2027, 1, 1))
    assert Rule.from_dict(rule.to_dict()) == rule
    assert Rule.from_dict({"freq": "monthly", "start": "2026-01-01"}) == Rule(
        "monthly", date(2026, 1, 1)
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"freq": "daily"}, "frequency"),
        ({"freq": "monthly", "interval": 0}, "interval"),
        ({"freq": "monthly", "day": 32}, "day"),
        ({"freq": "quarterly", "month": 4}, "month"),
        ({"freq": "monthly", "until": date(2025, 1, 1)}, "until"),
    ],
)
def test_invalid_rules_rejected(kwargs, error):
    with pytest.raises(ValueError, match=error):
        Rule(start=date(2026, 1, 1), **kwargs)


def test_describe_in_swedish():
    assert describe(Rule("monthly", date(2026, 1, 1), day=15)) == "Varje månad den 15:e"
    assert describe(Rule("last_working_day", date(2026, 1, 1))) == "Sista arbetsdagen varje månad"
    assert describe(Rule("yearly", date(2026, 1, 1), month=3, day=1)) == "Varje år den 1 mars"
    assert describe(Rule("weeks", date(2026, 1, 5), interval=2)) == "Var 2:a vecka (måndagar)"
    assert "till och med 31 mars 2026" in describe(
        Rule("monthly", date(2026, 1, 1), until=date(2026, 3, 31))
    )
    assert describe(Rule("quarterly", date(2026, 1, 1), day=1)).startswith("Varje kvartal den 1:a")
