"""The samlad analys on the database: the flag for a step-up at one unit and month, the
cross-kind pattern with the lex Sarah case counted but not shown without need-to-know, and
the same statistics rules as everywhere (aggregates only for läsare)."""

from __future__ import annotations

from datetime import date

from kvalitet.analys.flags import find_flags
from kvalitet.analys.patterns import find_patterns
from kvalitet.analys.signals import compile_signals
from kvalitet.core import clock
from kvalitet.core.periods import custom_period
from tests.analys.helpers import avvikelse, klagomal, lex_sarah, monthly_avvikelser

MARCH = custom_period(date(2026, 3, 1), date(2026, 3, 31))


def test_a_fourfold_step_up_is_flagged_for_that_unit_and_month(app, org):
    clock.freeze(clock.local_midnight_utc(date(2026, 4, 10)))
    # Enhet A1: three a month for a year (March 2025 – February 2026), then twelve in March,
    # nine of them on documentation. Enhet A2: steady two a month.
    monthly_avvikelser(org.med_a1, org.a1, date(2025, 3, 1), [3] * 12, category="Bemötande")
    monthly_avvikelser(org.med_a1, org.a1, date(2026, 3, 1), [9])
    monthly_avvikelser(org.med_a1, org.a1, date(2026, 3, 1), [3], category="Bemötande")
    monthly_avvikelser(org.med_a2, org.a2, date(2025, 3, 1), [2] * 13, category="Bemötande")
    flags = find_flags(org.avdchef_a, org.avd_a, MARCH)
    unit_flags = [f for f in flags if f.unit_id is not None]
    assert [(f.subject, f.month, f.direction) for f in unit_flags] == [
        ("Enhet A1", date(2026, 3, 1), "hog")
    ]
    text = unit_flags[0].text
    assert text.startswith("Enhet A1: 12 avvikelser i mars 2026, normalt ")
    assert text.endswith("; dokumentation 9 av dem")
    # The same question about Enhet A2 alone: nothing unusual.
    assert [f for f in find_flags(org.chef_a2, org.a2, MARCH) if f.unit_id] == []
    # A user without statistics rights for the avdelning gets no flags at all.
    assert find_flags(org.med_a1, org.avd_a, MARCH) == []


def test_a_unit_that_falls_silent_is_flagged(app, org):
    clock.freeze(clock.local_midnight_utc(date(2026, 4, 10)))
    monthly_avvikelser(org.med_a1, org.a1, date(2025, 2, 1), [6] * 12 + [0, 0])
    flags = find_flags(org.chef_a1, org.a1, MARCH)
    assert [(f.direction, f.count) for f in flags] == [("tyst", 0)]
    assert "har enheten slutat rapportera?" in flags[0].text


def _seed_pattern(org):
    clock.freeze(clock.local_midnight_utc(date(2026, 4, 10)))
    for day in (3, 10, 17):
        avvikelse(org.med_a1, org.a1, date(2026, 3, day), "Dokumentation",
                  "Journalanteckning gjordes inte")  # fmt: skip
    klagomal(org.registrator, org.a1, date(2026, 3, 12),
             "Dokumentationen av beslutet saknades och beslutet kommunicerades inte.")  # fmt: skip
    lxs = lex_sarah(org.med_a1, org.a1, date(2026, 3, 20), "Barnet blev inte hört",
                    "Bristande dokumentation av barnets synpunkter i utredningen.")  # fmt: skip
    # Noise at another unit: documentation only in avvikelser is no cross-kind pattern.
    for day in (4, 5, 6):
        avvikelse(org.med_a2, org.a2, date(2026, 3, day), "Dokumentation")
    return lxs


def test_cross_kind_pattern_counts_the_lex_sarah_case_without_showing_it(app, org, login_as):
    lxs = _seed_pattern(org)
    # The avdelningschef has lex Sarah statistics but no need-to-know of this case (Enhet A1
    # has an enhetschef: the narrow rule).
    patterns = find_patterns(org.avdchef_a, org.avd_a, MARCH)
    doc = [p for p in patterns if p.topic == "Dokumentation"]
    assert len(doc) == 1
    pattern = doc[0]
    assert pattern.unit == "Enhet A1"
    assert pattern.counts == {"AVV": 3, "SYN": 1, "LXS": 1}
    assert pattern.hidden == {"LXS": 1}
    assert lxs.ref not in {i["ref"] for i in pattern.items}
    assert {i["kind"] for i in pattern.items} == {"AVV", "SYN"}
    page = (
        login_as(org.avdchef_a)
        .get(f"/analys/?enhet={org.avd_a.id}&fran=2026-03-01&till=2026-03-31")
        .get_data(as_text=True)
    )
    assert "dokumentation återkommer i avvikelser (3), synpunkter/klagomål (1) och lex " \
           "Sarah-ärenden (1)" in page  # fmt: skip
    assert "1 lex Sarah-ärende som du inte kan öppna" in page
    assert lxs.ref not in page and "Barnet blev inte hört" not in page
    # SAS sees the case and gets its link.
    sas = find_patterns(org.sas, org.avd_a, MARCH)
    sas_doc = next(p for p in sas if p.topic == "Dokumentation")
    assert lxs.ref in {i["ref"] for i in sas_doc.items}
    assert sas_doc.hidden.get("LXS") is None


def test_the_enhetschef_counts_only_the_lex_sarah_cases_they_may_see(app, org):
    lxs = _seed_pattern(org)
    # The enhetschef has no lex Sarah statistics (the one policy) but need-to-know of the
    # case at the own unit: it counts and is linked.
    pattern = next(p for p in find_patterns(org.chef_a1, org.a1, MARCH)
                   if p.topic == "Dokumentation")  # fmt: skip
    assert pattern.counts["LXS"] == 1
    assert lxs.ref in {i["ref"] for i in pattern.items}


def test_signals_follow_the_statistics_rules(app, org):
    clock.freeze(clock.local_midnight_utc(date(2026, 4, 10)))
    monthly_avvikelser(org.med_a1, org.a1, date(2026, 3, 1), [3])
    monthly_avvikelser(org.med_a1, org.a1, date(2025, 3, 1), [7])
    lex_sarah(org.med_a1, org.a1, date(2026, 3, 5), "Rapport", "Något hände.")
    full = compile_signals(org.avdchef_a, org.avd_a, MARCH)
    assert full["kinds"]["AVV"]["now"]["by_category"] == {"Dokumentation": 3}
    assert full["kinds"]["AVV"]["before"]["by_category"] == {"Dokumentation": 7}
    assert full["kinds"]["AVV"]["now"]["total"] == 3
    assert full["kinds"]["LXS"]["now"]["total"] == 1
    assert full["kinds"]["AVV"]["trend"][-1] == 3
    # Läsare: aggregates, small groups "<5" (totals stay).
    aggregate = compile_signals(org.lasare, org.avd_a, MARCH)
    assert aggregate["kinds"]["AVV"]["detail"] == "aggregate"
    assert aggregate["kinds"]["AVV"]["now"]["by_category"] == {"Dokumentation": "<5"}
    assert aggregate["kinds"]["AVV"]["before"]["by_category"] == {"Dokumentation": 7}
    assert aggregate["kinds"]["AVV"]["now"]["total"] == 3
    # The enhetschef has no lex Sarah statistics: the kind is left out.
    assert "LXS" not in compile_signals(org.chef_a1, org.a1, MARCH)["kinds"]
    # Someone with no statistics rights gets nothing.
    assert compile_signals(org.med_a1, org.a1, MARCH)["kinds"] == {}
