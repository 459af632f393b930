"""The control charts: a fourfold step-up is flagged at its unit and month; units with no
change (the same Poisson rate for two years) rarely get any flag."""

from __future__ import annotations

import numpy as np

from kvalitet.analys.control import SENSITIVITY, scan, usual_range


def test_fourfold_step_up_is_flagged_for_that_unit_and_month():
    rng = np.random.default_rng(21)
    units = {f"Enhet {n}": list(rng.poisson(3, 24)) for n in range(20)}
    # Enhet 7 goes from three a month to twelve in month 20 (index 19).
    units["Enhet 7"][19] = 12
    flagged = {}
    for name, counts in units.items():
        for signal in scan(counts, test_from=12):
            if signal.direction == "hog":
                flagged.setdefault(name, []).append(signal.index)
    assert 19 in flagged.get("Enhet 7", []), flagged
    assert flagged.get("Enhet 7") == [19]
    # The usual range given with the flag is the baseline's ("normalt 1–5").
    signal = next(s for s in scan(units["Enhet 7"], 12) if s.index == 19)
    assert signal.low <= 3 <= signal.high and signal.high < 12


def test_a_unit_that_falls_silent_is_flagged():
    counts = [6, 5, 7, 6, 4, 6, 5, 7, 6, 5, 6, 6, 5, 0, 0]
    signals = scan(counts, test_from=12)
    assert [(s.index, s.direction) for s in signals] == [(14, "tyst")]


def test_small_numbers_get_no_flag_without_significance():
    # From 0–1 a month to 3: a tripling, but three events are not significant.
    counts = [0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 3]
    assert scan(counts, test_from=12) == []


def test_rates_per_staff_follow_the_exposure():
    # Twice the staff, twice the reports: no flag; the same count without more staff: flag.
    counts = [5] * 12 + [20]
    staff = [10.0] * 12 + [40.0]
    assert scan(counts, 12, exposure=staff) == []
    assert [s.direction for s in scan(counts, 12)] == ["hog"]


def test_under_five_percent_of_unchanged_units_get_any_flag():
    """100 units, each drawn from the same Poisson rate for 24 months; the second year's 12
    months are tested. Family-wise (Bonferroni over 12 months x 2 tests per unit) the
    chance of any false flag per unit is at most alpha = 1 %; fewer than 5 % may be flagged."""
    rng = np.random.default_rng(2011)
    for rate in (0.5, 3.0, 12.0):
        flagged = 0
        for _unit in range(100):
            counts = list(rng.poisson(rate, 24))
            if scan(counts, test_from=12, alpha=SENSITIVITY["normal"]):
                flagged += 1
        print(f"rate {rate}/månad: {flagged} av 100 enheter flaggade")
        assert flagged < 5, (rate, flagged)


def test_usual_range():
    assert usual_range(0) == (0, 0)
    low, high = usual_range(3.5)
    assert low <= 3 and high >= 5


def test_usual_range_reads_as_words_when_it_is_empty_or_one_number():
    from kvalitet.analys.flags import _usual

    assert _usual(0, 0) == "normalt inga"
    assert _usual(2, 2) == "normalt 2"
    assert _usual(1, 5) == "normalt 1–5"
