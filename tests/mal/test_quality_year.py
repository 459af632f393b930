"""Plans on a quality year that does not start in January (KVALITETSAR_START_MANAD): the
periods, their deadlines, their order and labels move with the year's first month; the
calendar year (the default) is unchanged."""

from __future__ import annotations

from datetime import date
from typing import Any

from kvalitet.core.periods import Period
from kvalitet.mal import periods
from kvalitet.mal import report as mal_report
from kvalitet.mal.forms import IndikatorForm
from tests.mal.helpers import plan_with_goal


def _span(year: int, code: str) -> tuple[date, date]:
    p = periods.period_of(year, code)
    return p.start, p.end


def test_the_calendar_year_is_the_default(app: Any) -> None:
    assert periods.start_month() == 1
    assert _span(2026, "T1") == (date(2026, 1, 1), date(2026, 4, 30))
    assert _span(2026, "AR") == (date(2026, 1, 1), date(2026, 12, 31))
    assert _span(2026, "M02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods.deadline(2026, "T1") == date(2026, 5, 15)
    assert periods.deadline(2026, "AR") == date(2027, 1, 31)
    assert periods.deadline(2026, "M12") == date(2027, 1, 15)
    assert periods.year_label(2026) == "2026" and periods.plan_year_of(date(2026, 3, 1)) == 2026


def test_a_quality_year_from_september(app: Any) -> None:
    app.config["KVALITETSAR_START_MANAD"] = 9
    # The plan of 2025 runs 1 September 2025 – 31 August 2026.
    assert _span(2025, "T1") == (date(2025, 9, 1), date(2025, 12, 31))
    assert _span(2025, "T2") == (date(2026, 1, 1), date(2026, 4, 30))
    assert _span(2025, "T3") == (date(2026, 5, 1), date(2026, 8, 31))
    assert _span(2025, "H1") == (date(2025, 9, 1), date(2026, 2, 28))
    assert _span(2025, "AR") == (date(2025, 9, 1), date(2026, 8, 31))
    # M01 is still January: of 2026, the fifth month of the year.
    assert _span(2025, "M01") == (date(2026, 1, 1), date(2026, 1, 31))
    assert _span(2025, "M09") == (date(2025, 9, 1), date(2025, 9, 30))
    # Deadlines count months from the year's start: T1 "05-15" is its fifth month, January.
    assert periods.deadline(2025, "T1") == date(2026, 1, 15)
    assert periods.deadline(2025, "T2") == date(2026, 5, 15)
    assert periods.deadline(2025, "AR") == date(2026, 9, 30)  # "+01-31": September, 30 days
    assert periods.deadline(2025, "M08") == date(2026, 9, 15)
    # Order within the year: September first, August last, the helår after its months.
    order = periods.expand(["M", "T1", "AR"])
    assert order[0] == "M09" and order.index("T1") == order.index("M12") + 1
    assert order[-1] == "AR" and order[-2] == "M08"
    assert periods.label("T2", 2025) == "T2 2025/26" and periods.year_label(2025) == "2025/26"
    assert periods.plan_year_of(date(2026, 3, 1)) == 2025
    assert periods.plan_year_of(date(2026, 9, 1)) == 2026
    with app.test_request_context():
        choices = dict(IndikatorForm(meta={"csrf": False}).periods.choices)
    assert choices["T1"] == "T1 (sep–dec)" and choices["T3"] == "T3 (maj–aug)"


def test_the_kvalitetsberattelse_finds_the_plan_of_its_quality_year(app: Any, org: Any) -> None:
    app.config["KVALITETSAR_START_MANAD"] = 9
    data = plan_with_goal(org)  # the plan of 2026 = 2026/27
    assert data["plan"].year_label == "2026/27"
    quality_year = Period(date(2026, 9, 1), date(2027, 8, 31), "2026/27")
    blocks = mal_report.rapport_chapter(org.forv, quality_year)
    assert blocks and blocks[0]["text"] == "Måluppföljning"
    earlier = Period(date(2025, 9, 1), date(2026, 8, 31), "2025/26")
    assert mal_report.rapport_chapter(org.forv, earlier) == []
