"""The workflow engine, exercised through the Förbättringsåtgärd kind."""

from datetime import date

import pytest
from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import ConflictError, NotFound, WorkflowRefused
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.operations import new_item, update_item


def make_action(org, **kw):
    fields = {"title": "Ny rutin för delgivning", "unit_id": org.a1.id, "owner_id": org.chef_a1.id,
              "due_date": date(2026, 12, 31), "description": "Ta fram rutin"}  # fmt: skip
    fields.update(kw)
    item = new_item(Atgard, org.chef_a1, **fields)
    db.session.commit()
    return item


def test_reference_numbers_per_kind_and_year(app, org):
    first = make_action(org)
    second = make_action(org)
    assert first.ref.startswith("ATG-") and first.ref.endswith("-0001")
    assert second.ref.endswith("-0002")


def test_transition_logs_and_changes_status(app, org):
    item = make_action(org)
    run_transition(item, "paborja", org.chef_a1)
    assert item.status == "paborjad"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.item_id == item.id, AuditEntry.action == "transition")
    ).one()
    assert entry.before == {"status": "foreslagen"}
    assert entry.after == {"status": "paborjad"}
    assert entry.user_id == org.chef_a1.id


def test_required_field_refuses_and_changes_nothing(app, org):
    item = make_action(org)
    run_transition(item, "paborja", org.chef_a1)
    with pytest.raises(WorkflowRefused) as err:
        run_transition(item, "genomford", org.chef_a1)
    assert "vad som har gjorts" in err.value.message
    db.session.expire_all()
    assert db.session.get(Atgard, item.id).status == "paborjad"


def test_wrong_state_is_explained(app, org):
    item = make_action(org)
    with pytest.raises(WorkflowRefused) as err:
        run_transition(item, "pagar", org.chef_a1)
    assert "Föreslagen" in err.value.message


def test_reason_required(app, org):
    item = make_action(org)
    with pytest.raises(WorkflowRefused, match="skäl"):
        run_transition(item, "ej_genomford", org.chef_a1, reason=" ")
    run_transition(item, "ej_genomford", org.chef_a1, reason="Ersatt av annan åtgärd")
    assert item.status == "ej_genomford"
    assert item.closed_at is not None


def test_user_of_other_unit_cannot_see_or_transition(app, org):
    item = make_action(org)
    with pytest.raises(NotFound):
        run_transition(item, "paborja", org.chef_b1)
    assert item.status == "foreslagen"


def test_stale_version_is_refused(app, org):
    item = make_action(org)
    version = item.version
    update_item(item, org.chef_a1, {"title": "Första ändringen"}, expected_version=version)
    with pytest.raises(ConflictError):
        update_item(item, org.avdchef_a, {"title": "Andra ändringen"}, expected_version=version)
    db.session.expire_all()
    assert db.session.get(Atgard, item.id).title == "Första ändringen"


def test_audit_entries_are_append_only(app, org):
    from kvalitet.core.audit import AuditImmutable

    make_action(org)
    entry = db.session.scalars(select(AuditEntry)).first()
    entry.summary = "ändrad"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    entry = db.session.scalars(select(AuditEntry)).first()
    db.session.delete(entry)
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
