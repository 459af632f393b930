"""Step targets across Swedish holidays and weekends, and the IVO two-month deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.lexsarah import deadlines
from kvalitet.lexsarah import operations as ops
from tests.lexsarah.helpers import make_case


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        # Weekend: reported Friday, assessment due Monday.
        (datetime(2026, 3, 6, 15, 0), date(2026, 3, 9)),
        # Reported Saturday: next working day after Saturday is Monday.
        (datetime(2026, 3, 7, 11, 0), date(2026, 3, 9)),
        # Påsk 2026: skärtorsdag 2 April -> långfredag, påskafton, påskdagen, annandag påsk.
        (datetime(2026, 4, 2, 9, 0), date(2026, 4, 7)),
        # Midsommar 2026: midsommarafton 19 June (Friday) is closed.
        (datetime(2026, 6, 18, 9, 0), date(2026, 6, 22)),
        # Jul: 23 December -> julafton, juldagen, annandag jul, weekend.
        (datetime(2026, 12, 23, 9, 0), date(2026, 12, 28)),
        # Nyår: 30 December -> nyårsafton, nyårsdagen, weekend.
        (datetime(2026, 12, 30, 9, 0), date(2027, 1, 4)),
        # Late evening UTC is already the next day in Sweden.
        (datetime(2026, 3, 5, 23, 30, tzinfo=UTC), date(2026, 3, 9)),
    ],
)
def test_assessment_target_one_working_day(org, reported, expected):
    clock.freeze(reported if reported.tzinfo else reported.replace(tzinfo=STOCKHOLM))
    case = make_case(org)
    assert case.due_date == expected


def test_utredning_target_spans_jul_and_trettondagen(org):
    clock.freeze(datetime(2026, 12, 18, 10, 0, tzinfo=STOCKHOLM))
    case = make_case(org)
    ops.assess(case, org.sas, "missforhallande", "Ska utredas.")
    # 14 working days from Friday 18 Dec 2026, skipping 24-26 Dec, 31 Dec, 1 Jan, 6 Jan and
    # weekends: 21, 22, 23, 28, 29, 30 Dec, 4, 5, 7, 8, 11, 12, 13, 14 Jan.
    assert case.due_date == date(2027, 1, 14)


def test_configurable_target(org, app):
    app.config["LEXSARAH_BEDOMNING_DAGAR"] = 3
    clock.freeze(datetime(2026, 4, 1, 9, 0, tzinfo=STOCKHOLM))
    case = make_case(org)
    # 1 April + 3 working days skipping långfredag and annandag påsk: 2, 7, 8 April.
    assert case.due_date == date(2026, 4, 8)


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        (date(2026, 3, 3), date(2026, 5, 3)),
        (date(2025, 12, 31), date(2026, 2, 28)),
        (date(2027, 12, 31), date(2028, 2, 29)),
    ],
)
def test_ivo_investigation_due_two_months(filed, due):
    assert deadlines.ivo_utredning_due(filed) == due


def test_lateness_is_visible(org, login_as):
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    case = make_case(org, title="Sen bedömning")
    on_time = make_case(org, title="I tid")
    clock.freeze(datetime(2026, 3, 10, 9, 0, tzinfo=STOCKHOLM))
    ops.assess(on_time, org.sas, "osakert", "Utreds.")
    assert deadlines.is_late(case) and not deadlines.is_late(on_time)
    sas = login_as(org.sas)
    board = sas.get("/lexsarah/").text
    assert board.index("Sen bedömning") < board.index("I tid")  # late first
    assert "table-danger" in board
    assert 'data-testid="sen"' in sas.get(f"/lexsarah/{case.ref}").text
    meeting = sas.get("/lexsarah/mote").text
    assert "Sen bedömning" in meeting.split("Nya rapporter")[0]


def test_board_counts_and_filters(org, login_as):
    clock.freeze(datetime(2026, 3, 6, 15, 0, tzinfo=STOCKHOLM))
    make_case(org, title="Fall i A1", unit=org.a1)
    make_case(org, title="Fall i B1", unit=org.b1)
    sas = login_as(org.sas)
    page = sas.get(f"/lexsarah/?avdelning={org.avd_b.id}").text
    assert "Fall i B1" in page and "Fall i A1" not in page
    assert "Rapporterad, väntar på bedömning: 2" in page
    assert "Fall i A1" not in sas.get("/lexsarah/?ar=2024/25").text
    assert "Fall i A1" in sas.get("/lexsarah/?ar=2025/26").text
    assert "Fall i A1" not in sas.get("/lexsarah/?steg=utredning").text
    # A chef sees only the cases of their own unit on the board.
    chef = login_as(org.chef_b1).get("/lexsarah/").text
    assert "Fall i B1" in chef and "Fall i A1" not in chef
    assert login_as(org.med_a1).get("/lexsarah/").status_code == 403
