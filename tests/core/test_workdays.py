from datetime import date

from kvalitet.core.workdays import add_working_days, is_working_day, working_days_between


def test_weekend_is_skipped():
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 2) == date(2026, 11, 24)


def test_easter_2026():
    # Skärtorsdag 2 April; långfredag 3, påskdagen 5, annandag påsk 6 April are closed.
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert not is_working_day(date(2026, 4, 3))
    assert not is_working_day(date(2026, 4, 6))


def test_midsummer_eve_is_closed():
    # Midsommarafton is a de facto holiday: Friday 19 June 2026.
    assert not is_working_day(date(2026, 6, 19))
    assert add_working_days(date(2026, 6, 18), 1) == date(2026, 6, 22)


def test_christmas_and_new_year():
    # 24, 25 Dec (Thu, Fri), 31 Dec, 1 Jan, 6 Jan 2027 (Wed) closed.
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 4)
    assert add_working_days(date(2027, 1, 5), 1) == date(2027, 1, 7)


def test_zero_days_moves_to_next_working_day():
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 23), 0) == date(2026, 11, 23)


def test_working_days_between():
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 28)) == 1
    assert working_days_between(date(2026, 11, 16), date(2026, 11, 23)) == 5
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0


def test_de_facto_can_be_turned_off(app):
    app.config["WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS"] = False
    assert is_working_day(date(2026, 6, 19))
    app.config["WORKDAYS_INCLUDE_DE_FACTO_HOLIDAYS"] = True
    assert not is_working_day(date(2026, 6, 19))
