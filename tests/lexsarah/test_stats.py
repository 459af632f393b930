from __future__ import annotations

from datetime import datetime

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.periods import quality_year
from kvalitet.lexsarah import operations as ops
from kvalitet.lexsarah.stats import statistics
from tests.lexsarah.helpers import investigate, make_case


def _decided(org, unit, allvarligt: bool, outcome: str = "missforhallande"):
    case = make_case(org, unit=unit)
    ops.assess(case, org.sas, "missforhallande", "Utreds.")
    investigate(case, org.sas)
    ops.decide(
        case,
        org.sas,
        outcome=outcome,
        allvarligt=allvarligt,
        decision_maker_id=org.sas.id,
        decision_date=clock.today(),
        reason="Motiv.",
    )
    return case


def test_statistics_per_avdelning_and_year(org, login_as):
    clock.freeze(datetime(2025, 10, 6, 10, 0, tzinfo=STOCKHOLM))  # quality year 2025/26
    serious = _decided(org, org.a1, True)
    ops.file_ivo(
        serious,
        org.sas,
        filed_date=clock.today(),
        channel="etjanst",
        region="IVO Region Öst",
        attached=True,
    )
    _decided(org, org.a2, False, "ej_missforhallande")
    make_case(org, unit=org.b1)
    clock.freeze(datetime(2024, 10, 7, 10, 0, tzinfo=STOCKHOLM))  # previous year
    make_case(org, unit=org.b1)
    clock.freeze(datetime(2025, 11, 3, 10, 0, tzinfo=STOCKHOLM))

    year = quality_year(2025)
    s = statistics(org.forv, year)
    assert s["rapporter"] == 3 and s["utredningar"] == 2 and s["beslut"] == 2
    assert s["per_utfall"] == {
        "Ej missförhållande": 1,
        "Missförhållande": 1,
        "Påtaglig risk för missförhållande": 0,
    }
    assert s["missforhallanden"] == 1 and s["allvarliga"] == 1 and s["anmalda_ivo"] == 1
    by_avd = {r["avdelning"]: r for r in s["per_avdelning"]}
    assert by_avd["Avdelning A"]["rapporter"] == 2 and by_avd["Avdelning B"]["rapporter"] == 1
    assert by_avd["Avdelning A"]["allvarliga"] == 1
    assert s["median_arbetsdagar"]["Rapport → bedömning"] == 0.0
    prev = statistics(org.forv, year.previous_year())
    assert prev["rapporter"] == 1 and prev["beslut"] == 0
    assert statistics(org.avd_b, year)["rapporter"] == 1

    page = login_as(org.sas).get("/lexsarah/statistik?ar=2025/26")
    assert page.status_code == 200 and "Avdelning A" in page.text
    assert login_as(org.med_a1).get("/lexsarah/statistik").status_code == 403


def test_working_day_medians_across_holidays(org, monkeypatch):
    """Rapport → bedömning over julafton–annandag and midsommar is one working day each;
    an ordinary Monday → Friday is four: the median is 1, from the summary and counted live
    (calendar days would give 4 or 6)."""
    from kvalitet.core import summary

    spans = [
        (datetime(2025, 12, 23, 23, 30), datetime(2025, 12, 29, 0, 20)),  # julhelgen
        (datetime(2026, 6, 18, 9, 0), datetime(2026, 6, 22, 8, 0)),  # midsommar
        (datetime(2025, 10, 6, 0, 10), datetime(2025, 10, 10, 23, 50)),  # a week
    ]
    for reported, assessed in spans:
        clock.freeze(reported.replace(tzinfo=STOCKHOLM))
        case = make_case(org, unit=org.a1)
        clock.freeze(assessed.replace(tzinfo=STOCKHOLM))
        ops.assess(case, org.sas, "missforhallande", "Utreds.")
    clock.freeze(datetime(2026, 8, 3, 10, 0, tzinfo=STOCKHOLM))
    year = quality_year(2025)
    medians = statistics(org.forv, year)["median_arbetsdagar"]
    assert medians["Rapport → bedömning"] == 1.0
    assert medians["Bedömning → beslut"] is None
    monkeypatch.setattr(summary, "read_kinds", lambda *a: None)
    assert statistics(org.forv, year)["median_arbetsdagar"] == medians
