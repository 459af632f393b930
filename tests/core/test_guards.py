"""One test per guard of kvalitet/core/permissions.py and kvalitet/core/workflow.py: each
fails if its guard is removed (`make mutate` removes them one by one to show it)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from kvalitet.atgarder.models import Atgard
from kvalitet.core.errors import ConflictError, Forbidden, NotFound, WorkflowRefused
from kvalitet.core.permissions import can, require, role_paths, visible_clause
from kvalitet.core.workflow import (
    available_transitions,
    import_transition,
    run_system_transition,
    run_transition,
)
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.operations import add_attachment, cancel_item, link_items, new_item


def action(org, owner=None, **kw):  # type: ignore[no-untyped-def]
    fields = {"title": "Ny rutin", "unit_id": org.a1.id, "owner_id": (owner or org.chef_a1).id,
              "due_date": date(2026, 12, 31), "description": "Rutin"}  # fmt: skip
    fields.update(kw)
    item = new_item(Atgard, org.chef_a1, **fields)
    db.session.commit()
    return item


def visible_ids(user):  # type: ignore[no-untyped-def]
    return set(db.session.scalars(db.select(Item.id).where(visible_clause(user))))


def test_role_at_deactivated_unit_grants_no_access(app, org):
    item = action(org, owner=org.avdchef_a)
    assert can(org.chef_a1, "view", item) and can(org.chef_a1, "edit", item)
    org.a1.active = False
    db.session.commit()
    assert role_paths(org.chef_a1, ["enhetschef"]) == []
    assert not can(org.chef_a1, "view", item)
    assert item.id not in visible_ids(org.chef_a1)


def test_inactive_user_may_do_nothing_and_sees_no_list(app, org):
    item = action(org)
    org.chef_a1.active = False
    db.session.commit()
    assert role_paths(org.chef_a1, ["enhetschef"]) == []  # menus and scopes ask this
    assert not can(org.chef_a1, "view", item)
    assert visible_ids(org.chef_a1) == set()
    with pytest.raises(NotFound):
        run_transition(item, "paborja", org.chef_a1)


def test_cancelled_item_cannot_be_edited_attached_linked_or_stepped(app, org):
    item = action(org)
    other = action(org)
    cancel_item(item, org.chef_a1, "Dubblett")
    db.session.commit()
    assert can(org.chef_a1, "view", item) and can(org.chef_a1, "comment", item)
    for verb in ("edit", "attach", "link", "cancel"):
        assert not can(org.chef_a1, verb, item), verb
    with pytest.raises(Forbidden):
        add_attachment(item, org.chef_a1, "a.pdf", io.BytesIO(b"%PDF-1.4"))
    with pytest.raises(Forbidden):
        link_items(item, other, org.chef_a1)
    assert available_transitions(org.chef_a1, item) == []
    with pytest.raises(WorkflowRefused):
        run_transition(item, "paborja", org.chef_a1)
    with pytest.raises(WorkflowRefused):
        run_system_transition(item, "paborja")
    # Not even a step the system may take from any state (an import) moves a cancelled item.
    with pytest.raises(WorkflowRefused, match="makulerat"):
        run_system_transition(item, import_transition(item.spec.workflow, "genomford"))
    assert item.status == "foreslagen"


def test_owner_may_edit_a_stranger_may_not(app, org):
    seen = action(org, owner=org.chef_a1, reporter_id=org.med_a1.id)
    assert can(org.med_a1, "view", seen) and can(org.med_a1, "comment", seen)
    for verb in ("edit", "attach", "link", "cancel", "delete", "anything"):
        assert not can(org.med_a1, verb, seen), verb  # seeing is not owning
    item = action(org, owner=org.med_a1)
    assert can(org.med_a1, "edit", item)  # owner
    assert not can(org.med_a1, "cancel", item)  # cancelling is for managers
    assert can(org.chef_a1, "cancel", item)  # manager over the unit
    assert not can(org.med_a2, "view", item)
    with pytest.raises(NotFound):
        require(org.med_a2, "edit", item)
    with pytest.raises(Forbidden):
        require(org.med_a1, "cancel", item)


def test_role_over_another_unit_may_not_take_a_step(app, org):
    item = action(org, owner=org.avdchef_a)
    with pytest.raises(NotFound):
        run_transition(item, "paborja", org.chef_b1)
    assert item.status == "foreslagen"


def test_seeing_is_not_enough_to_take_a_step(app, org):
    # The reporter sees the action but holds no role of the step (owner or manager).
    item = action(org, owner=org.chef_a1, reporter_id=org.med_a1.id)
    assert can(org.med_a1, "view", item)
    assert available_transitions(org.med_a1, item) == []
    with pytest.raises(WorkflowRefused, match="behörighet"):
        run_transition(item, "paborja", org.med_a1)
    assert item.status == "foreslagen"


def test_stale_version_on_a_transition_is_a_conflict(app, org):
    item = action(org)
    with pytest.raises(ConflictError):
        run_transition(item, "paborja", org.chef_a1, expected_version=item.version - 1)
    assert item.status == "foreslagen"


def test_wrong_state_and_unknown_step_are_refused(app, org):
    item = action(org)
    with pytest.raises(WorkflowRefused):
        run_transition(item, "pagar", org.chef_a1)  # only from Påbörjad
    with pytest.raises(WorkflowRefused):
        run_transition(item, "nonsense", org.chef_a1)
    assert item.status == "foreslagen"


def test_closed_at_set_on_close_and_cleared_on_reopen(app, org):
    item = action(org, done_text="Rutinen är klar")
    run_transition(item, "paborja", org.chef_a1)
    run_transition(item, "genomford", org.chef_a1)
    assert item.closed_at is not None
    run_transition(item, "ateroppna", org.chef_a1, reason="Effekten uteblev")
    assert item.closed_at is None


def test_system_steps_are_not_buttons_and_need_declaring(app, org):
    from kvalitet.egenkontroll.kinds import WORKFLOW

    missa = WORKFLOW.transition("missa")
    assert missa is not None
    item = action(org)
    with pytest.raises(WorkflowRefused):
        run_system_transition(item, "paborja")  # a person's step, not the system's
