from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from kvalitet.core import clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.periods import quality_year
from kvalitet.extensions import db
from kvalitet.risker.models import Risk
from kvalitet.risker.operations import create_risk, update_risk
from kvalitet.risker.stats import statistics

PNR = "19121212-1212"


def _risk(actor, unit, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("title", "Beslut når inte den enskilde")
    kw.setdefault("likelihood", 3)
    kw.setdefault("consequence", 4)
    return create_risk(actor, unit=unit, **kw)


def test_create_computes_values_and_refuses_bad_input(org):  # type: ignore[no-untyped-def]
    risk = _risk(org.chef_a1, org.a1, residual_likelihood=1, residual_consequence=4,
                 review_date=date(2027, 1, 31))  # fmt: skip
    assert risk.risk_value == 12 and risk.level == 4
    assert risk.residual_value == 4 and risk.residual_level == 2
    update_risk(org.chef_a1, risk, likelihood=1)
    assert risk.risk_value == 4
    with pytest.raises(OperationError) as err:
        _risk(org.chef_a1, org.a1, likelihood=5)
    assert err.value.field == "likelihood"
    with pytest.raises(OperationError) as err:
        _risk(org.chef_a1, org.a1, description=f"Gäller {PNR}")
    assert "personnummer" in err.value.message
    with pytest.raises(Forbidden):
        _risk(org.med_a1, org.a1)
    with pytest.raises(Forbidden):
        _risk(org.chef_b1, org.a1)


def test_register_heat_map_visibility_and_export(org, login_as):  # type: ignore[no-untyped-def]
    high = _risk(org.chef_a1, org.a1, title="Hög risk A1")
    _risk(org.chef_a1, org.a1, title="Låg risk A1", likelihood=1, consequence=1)
    _risk(org.chef_a1, org.a1, title="Till annan ruta", likelihood=3, consequence=4)
    other = _risk(org.chef_b1, org.b1, title="Risk B1")
    chef = login_as(org.chef_a1)
    body = chef.get("/risker/").get_data(as_text=True)
    assert 'data-cell="4,3"' in body and "Hög risk A1" in body and "Risk B1" not in body
    assert 'aria-label="2 risker med sannolikhet 3 och konsekvens 4"' in body
    filtered = chef.get("/risker/?cell=1,1").get_data(as_text=True)
    assert "Låg risk A1" in filtered and "Hög risk A1" not in filtered
    assert chef.get(f"/risker/{other.ref}").status_code == 404
    raw = chef.get("/risker/?format=csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert sorted(r[1] for r in rows[1:]) == ["Hög risk A1", "Låg risk A1", "Till annan ruta"]
    page = chef.get(f"/risker/{high.ref}").get_data(as_text=True)
    assert "Ny åtgärd mot risken" in page
    response = chef.post("/atgarder/ny", {"fran": high.ref, "title": "Dubbelkontroll av utskick",
                         "atgard_typ": "forebyggande", "unit_id": str(org.a1.id),
                         "owner_id": str(org.chef_a1.id)})  # fmt: skip
    assert response.status_code == 302
    assert "Dubbelkontroll av utskick" in chef.get(f"/risker/{high.ref}").get_data(as_text=True)


def test_form_errors_rerender(org, login_as):  # type: ignore[no-untyped-def]
    chef = login_as(org.chef_a1)
    assert chef.get("/risker/ny").status_code == 200
    response = chef.post("/risker/ny", {"title": "x", "description": f"Avser {PNR}",
                         "unit_id": str(org.a1.id), "likelihood": "2", "consequence": "2",
                         "anledning": "lopande", "owner_id": "0"})  # fmt: skip
    assert response.status_code == 422 and "personnummer" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Risk)).all() == []
    assert login_as(org.med_a1).get("/risker/ny").status_code == 403


def test_statistics(org):  # type: ignore[no-untyped-def]
    clock.freeze(datetime(2025, 10, 1, 12))
    _risk(org.chef_a1, org.a1)
    _risk(org.chef_a1, org.a1, likelihood=1, consequence=2, review_date=date(2026, 1, 1))
    clock.freeze(datetime(2024, 10, 1, 12))
    _risk(org.chef_b1, org.b1)
    stats = statistics(org.forv, quality_year(2025))
    assert stats["identified"] == 2
    assert stats["by_level"] == {"Låg": 1, "Måttlig": 0, "Hög": 0, "Mycket hög": 1}
    assert stats["heat"] == {"4,3": 1, "2,1": 1}
    assert stats["open_at_end"] == 3 and stats["reviews_overdue"] == 1
    assert statistics(org.avd_a, quality_year(2024))["identified"] == 0


def test_workflow_review_date_required_to_monitor(org):  # type: ignore[no-untyped-def]
    from kvalitet.core.errors import WorkflowRefused
    from kvalitet.core.workflow import run_transition

    risk = _risk(org.chef_a1, org.a1)
    with pytest.raises(WorkflowRefused) as refused:
        run_transition(risk, "bevaka", org.chef_a1)
    assert "datum för omprövning" in refused.value.message
    update_risk(org.chef_a1, risk, review_date=date(2027, 3, 1), residual_likelihood=1,
                residual_consequence=3)  # fmt: skip
    run_transition(risk, "bevaka", org.chef_a1)
    assert risk.status == "bevakas" and risk.residual_value == 3
    with pytest.raises(OperationError) as err:
        update_risk(org.chef_a1, risk, residual_likelihood=None)
    assert err.value.field == "residual_likelihood"
