"""Who sees what, Mina ärenden routing, and the personnummer guard on every free-text column
of the three kinds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect, text

from kvalitet.atgarder.models import Atgard
from kvalitet.atgarder.operations import create_atgard
from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core.base import FreeText
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.pii import PersonalDataError
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.risker.models import Risk
from kvalitet.risker.operations import create_risk
from tests.avvikelser.helpers import report

VALID = ["19121212-1212", "121212-1212", "191212121212", "1212121212", "701063-2391"]
FAILING = ["1234567890", "19121212-1213"]


def test_inbox_routes_new_deviation_to_chef_and_health_care_to_mas(org, login_as):  # type: ignore[no-untyped-def]
    plain = report(org.med_a1, title="Vanlig")
    hsl = report(org.med_a1, title="Hälso", health_care=True)
    chef_inbox = login_as(org.chef_a1).get("/").get_data(as_text=True)
    assert plain.ref in chef_inbox and hsl.ref not in chef_inbox
    mas_inbox = login_as(org.mas).get("/").get_data(as_text=True)
    assert hsl.ref in mas_inbox and plain.ref not in mas_inbox
    assert plain.ref not in login_as(org.chef_b1).get("/").get_data(as_text=True)
    # Taken over: now in the investigator's inbox as owner, no longer waiting for the chef.
    ops.assign_investigator(org.chef_a1, plain, org.med_a2)
    assert plain.ref in login_as(org.med_a2).get("/").get_data(as_text=True)
    assert plain.ref not in login_as(org.avdchef_a).get("/").get_data(as_text=True)


def test_visibility_rules(org, login_as):  # type: ignore[no-untyped-def]
    plain = report(org.med_a1)
    hsl = report(org.med_a1, health_care=True)
    b1 = report(org.chef_b1, unit=org.b1)
    for user, visible in (
        (org.med_a1, {plain, hsl}),  # reporter
        (org.med_a2, set()),
        (org.chef_a1, {plain, hsl}),
        (org.chef_a2, set()),
        (org.avdchef_a, {plain, hsl}),
        (org.kvalitet, {plain, hsl, b1}),
        (org.mas, {hsl}),
        (org.sas, set()),
        (org.lasare, set()),
        (org.registrator, set()),
    ):
        client = login_as(user)
        for item in (plain, hsl, b1):
            code = client.get(f"/avvikelser/{item.ref}").status_code
            assert code == (200 if item in visible else 404), (user.name, item.ref)
    # MAS handles the health-care one but may not touch the other.
    ops.assign_investigator(org.mas, hsl)
    with pytest.raises(OperationError):
        ops.assign_investigator(org.mas, plain)
    # The reporter may not analyse or close.
    with pytest.raises(Forbidden):
        ops.analyse_avvikelse(org.med_a1, plain, analysis="x")
    ops.analyse_avvikelse(org.chef_a1, plain, analysis="Orsak", causes=["annat"])
    with pytest.raises(OperationError):
        run_transition(plain, "avsluta", org.med_a1)


def _health_care_columns(item_id: int) -> tuple[bool, bool]:
    """The flag as stored: item's column (what MAS's branch asks) and the avvikelse's."""
    return tuple(  # type: ignore[return-value]
        bool(v)
        for v in db.session.execute(
            text("SELECT item.health_care, avvikelse.health_care FROM item"
                 " JOIN avvikelse ON avvikelse.id = item.id WHERE item.id = :id"),
            {"id": item_id},
        ).one()
    )  # fmt: skip


def test_mas_follows_the_health_care_flag_both_ways(org, login_as):  # type: ignore[no-untyped-def]
    """The flag is written to item's column with the avvikelse's, on the report and on each
    edit: MAS's list, its count and the case follow it, and lose it when it is taken off."""
    item = report(org.med_a1, title="Först inte vård")
    other = report(org.med_a1, title="Alltid vård", health_care=True)
    assert _health_care_columns(item.id) == (False, False)
    assert _health_care_columns(other.id) == (True, True)
    mas = login_as(org.mas)

    def mas_sees() -> tuple[bool, bool, str]:
        listing = mas.get("/avvikelser/").get_data(as_text=True)
        total = re.search(r"(\d+) träffar", listing)
        shown = mas.get(f"/avvikelser/{item.ref}").status_code == 200
        return shown, item.ref in listing, total.group(1) if total else ""

    assert mas_sees() == (False, False, "1")
    ops.update_avvikelse(org.chef_a1, item, health_care=True, expected_version=item.version)
    db.session.expire_all()
    assert _health_care_columns(item.id) == (True, True)
    assert mas_sees() == (True, True, "2")
    item = db.session.get(Avvikelse, item.id)
    ops.update_avvikelse(org.chef_a1, item, health_care=False, expected_version=item.version)
    db.session.expire_all()
    assert _health_care_columns(item.id) == (False, False)
    assert mas_sees() == (False, False, "1")


@pytest.mark.parametrize("model", [Avvikelse, Atgard, Risk])
def test_every_free_text_column_refuses_personnummer(org, model):  # type: ignore[no-untyped-def]
    if model is Avvikelse:
        item = report(org.med_a1)
    elif model is Atgard:
        item = create_atgard(org.chef_a1, title="Åtgärd", unit=org.a1)
    else:
        item = create_risk(org.chef_a1, unit=org.a1, title="Risk", likelihood=2, consequence=2)
    db.session.commit()  # the item's own unit of work; each refused flush below rolls back
    columns = [
        attr.key
        for attr in inspect(model).column_attrs
        if any(isinstance(c.type, FreeText) for c in attr.columns)
    ]
    assert len(columns) >= 4
    for name in columns:
        for number in VALID:
            setattr(item, name, f"Gäller {number} i texten")
            with pytest.raises(PersonalDataError):
                db.session.flush()
            db.session.rollback()
        for number in FAILING:
            setattr(item, name, f"Diarienummer {number}")
            db.session.flush()
            db.session.rollback()


def test_operations_refuse_personnummer_with_field(org):  # type: ignore[no-untyped-def]
    item = report(org.med_a1)
    for name in ("description", "consequence_actual", "consequence_possible", "immediate_action",
                 "external_party", "noticed_how_text", "title"):  # fmt: skip
        with pytest.raises(OperationError) as err:
            ops.update_avvikelse(org.chef_a1, item, **{name: "pnr 121212-1212"})
        assert err.value.field == name
        assert "personnummer" in err.value.message
    with pytest.raises(OperationError) as err:
        ops.analyse_avvikelse(org.chef_a1, item, analysis="Se 19121212-1212")
    assert err.value.field == "analysis"
    ops.update_avvikelse(org.chef_a1, item, description="Referens 1234567890 i systemet")
    assert "1234567890" in db.session.get(Avvikelse, item.id).description
