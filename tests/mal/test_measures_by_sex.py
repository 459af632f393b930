"""Measures split by sex beyond the avvikelse count: the median days to close an avvikelse,
for women and men, with the number behind each figure (the small-group rule's n). Only
avvikelser record the sex of the person concerned, so the other measures stay undivided."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.mal import measures, periods
from kvalitet.mal import operations as ops
from tests.avvikelser.helpers import report
from tests.mal.helpers import YEAR, plan_with_goal


def _closed(item: Any, days: float) -> None:
    item.closed_at = item.created_at + timedelta(days=days)


def test_median_days_to_close_per_sex(org: Any) -> None:
    clock.freeze(datetime(2026, 2, 10, 10, 0))
    _closed(report(org.med_a1, org.a1, sex="kvinna"), 2)
    _closed(report(org.med_a1, org.a1, sex="kvinna"), 4)
    _closed(report(org.med_a1, org.a1, sex="kvinna"), 9)
    _closed(report(org.med_a1, org.a1, sex="man"), 10)
    _closed(report(org.med_a1, org.a1), 1)  # sex not given: only in the total
    report(org.med_a1, org.a1, sex="man")  # open: in no median
    _closed(report(org.chef_b1, org.b1, sex="man"), 30)  # another avdelning
    db.session.flush()
    clock.freeze(None)
    t1 = periods.period_of(YEAR, "T1")
    result = measures.compute("avvikelser_median_dagar", org.avd_a, t1)
    assert result.value == 4.0  # median of 1, 2, 4, 9, 10
    assert (result.value_k, result.n_k) == (4.0, 3)
    assert (result.value_m, result.n_m) == (10.0, 1)
    assert measures.MEASURES["avvikelser_median_dagar"].per_sex
    whole = measures.compute("avvikelser_median_dagar", org.forv, t1)
    assert (whole.value_m, whole.n_m) == (20.0, 2)

    # An indikator (of the förvaltning's plan) reported by sex gets the split in its utfall.
    data = plan_with_goal(org)
    ind = ops.create_indikator(org.kvalitet, data["goal"], name="Median dagar till avslut",
                               measure="avvikelser_median_dagar", direction="lagre",
                               target="14", periods=["T1"], responsible_id=org.chef_a1.id,
                               by_sex=True)  # fmt: skip
    utfall = ops.refresh_measure(org.kvalitet, ind, "T1")
    assert (utfall.value, utfall.value_k, utfall.value_m, utfall.n_k, utfall.n_m) == (
        whole.value, 4.0, 20.0, 3, 2)  # fmt: skip
