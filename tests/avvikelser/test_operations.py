from __future__ import annotations

import pytest
from sqlalchemy import select

from kvalitet.atgarder.models import AtgardStatus
from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.models import AvvikelseStatus, Orsak
from kvalitet.core.errors import OperationError, WorkflowRefused
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.notify.models import Notification
from tests.avvikelser.helpers import report


def _notes(user):  # type: ignore[no-untyped-def]
    return [n.message for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id))]  # fmt: skip


def test_report_defaults_to_home_unit_and_notifies_chef_by_ref_only(org):  # type: ignore[no-untyped-def]
    item = report(org.med_a1)
    assert item.unit_id == org.a1.id
    assert item.reporter_id == org.med_a1.id
    assert item.status == AvvikelseStatus.RAPPORTERAD
    assert item.ref.startswith("AVV-")
    assert _notes(org.chef_a1) == [f"Ny avvikelse {item.ref}"]
    assert _notes(org.mas) == []


def test_health_care_goes_to_mas_instead_of_chef(org):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, health_care=True)
    assert item.status == AvvikelseStatus.RAPPORTERAD_HSL
    assert _notes(org.chef_a1) == []
    assert _notes(org.mas) == [f"Ny avvikelse {item.ref} (hälso- och sjukvård)"]


def test_close_refused_without_analysis_and_with_open_action(org):  # type: ignore[no-untyped-def]
    item = report(org.med_a1)
    ops.assign_investigator(org.chef_a1, item)
    assert item.status == AvvikelseStatus.UNDER_UTREDNING
    assert item.owner_id == org.chef_a1.id
    with pytest.raises(WorkflowRefused) as refused:
        ops.close_avvikelse(org.chef_a1, item)
    assert "analysen (orsaker) är inte skriven" in refused.value.message
    ops.analyse_avvikelse(org.chef_a1, item, analysis="Rutinen var okänd.",
                          causes=[Orsak.RUTIN_EJ_FOLJD], consequence=3, likelihood=2)  # fmt: skip
    assert item.severity == 6
    action = ops.create_linked_atgard(org.chef_a1, item, title="Gå igenom rutinen på APT",
                                      owner=org.chef_a1)  # fmt: skip
    with pytest.raises(WorkflowRefused) as refused:
        ops.close_avvikelse(org.chef_a1, item)
    assert action.ref in refused.value.message
    assert db.session.get(type(item), item.id).status == AvvikelseStatus.UNDER_UTREDNING
    run_transition(action, "ej_genomford", org.chef_a1, reason="Ersatt av annan åtgärd")
    assert action.status == AtgardStatus.EJ_GENOMFORD
    ops.close_avvikelse(org.chef_a1, item)
    assert item.status == AvvikelseStatus.AVSLUTAD
    assert item.closed_at is not None
    assert f"Avvikelse {item.ref} är avslutad" in _notes(org.med_a1)
    ops.reopen_avvikelse(org.chef_a1, item, "Ny information")
    assert item.status == AvvikelseStatus.UNDER_UTREDNING


def test_deferred_action_allows_close(org):  # type: ignore[no-untyped-def]
    from kvalitet.atgarder.operations import set_deferred

    item = report(org.med_a1)
    ops.analyse_avvikelse(org.chef_a1, item, analysis="Hög arbetsbelastning.",
                          causes=[Orsak.BEMANNING])  # fmt: skip
    action = ops.create_linked_atgard(org.chef_a1, item, title="Bemanningsöversyn")
    with pytest.raises(OperationError):
        set_deferred(org.chef_a1, action, True, "")
    set_deferred(org.chef_a1, action, True, "Tas i budgetarbetet nästa år")
    ops.close_avvikelse(org.chef_a1, item)
    assert item.status == AvvikelseStatus.AVSLUTAD


def test_bad_input_refused_with_field(org):  # type: ignore[no-untyped-def]
    with pytest.raises(OperationError) as err:
        report(org.med_a1, description="")
    assert err.value.field == "description"
    with pytest.raises(OperationError) as err:
        report(org.med_a1, category_id=999999)
    assert err.value.field == "category_id"
