"""Intern kontroll: an egenkontroll control becomes a kontrollmoment of the internkontrollplan
with a risk value and "rapporteras till"; the report follows it up for the period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kvalitet.core import clock
from kvalitet.core.errors import OperationError
from kvalitet.mal import operations as ops
from kvalitet.mal import queries, report
from tests.egenkontroll.helpers import make_plan
from tests.mal.helpers import plan_with_goal


def test_kontrollmoment_with_risk_and_report_section(org: Any, login_as: Any) -> None:
    clock.freeze(datetime(2026, 5, 2, 9, 0))
    data = plan_with_goal(org)
    _egk_plan, kontroll = make_plan(org)
    assert (kontroll.id, f"{kontroll.title} (Egenkontrollplan)") in queries.kontroll_choices(
        data["plan"]
    )
    with pytest.raises(OperationError) as error:
        ops.add_internkontroll(
            org.kvalitet,
            data["plan"],
            kontroll_id=kontroll.id,
            sannolikhet=5,
            konsekvens=2,
            rapporteras_till="Socialnämnden",
        )
    assert error.value.field == "sannolikhet"
    with pytest.raises(OperationError) as error:
        ops.add_internkontroll(
            org.kvalitet,
            data["plan"],
            kontroll_id=kontroll.id,
            sannolikhet=3,
            konsekvens=2,
            rapporteras_till="",
        )
    assert error.value.field == "rapporteras_till"
    row = ops.add_internkontroll(
        org.kvalitet,
        data["plan"],
        kontroll_id=kontroll.id,
        process="Dataskydd",
        sannolikhet=3,
        konsekvens=4,
        rapporteras_till="Socialnämnden",
    )
    assert row.risk_value == 12
    rp = report.report_period(data["plan"], "T1")
    assert rp is not None
    doc = report.compile_report(data["plan"], rp)
    ik = next(b for b in doc["blocks"] if b["t"] == "table" and b["caption"] == "Intern kontroll")
    (cells,) = ik["rows"]
    assert cells[0] == "Dataskydd" and cells[1] == "12 (3 × 4)"
    assert cells[2] == "Loggkontroll skyddade personuppgifter" and cells[5] == "Socialnämnden"
    assert cells[6].endswith("genomförda")
    page = login_as(org.kvalitet).get(f"/mal/plan/{data['plan'].id}/internkontroll")
    assert page.status_code == 200 and "12</strong> (3 × 4)" in page.get_data(as_text=True)
    clock.freeze(None)
