"""Workflow rules as data, and the one engine that runs them for every item kind.

A kind declares a Workflow: its states, which are closed, and its transitions. A transition
says from which states it may be taken, by whom (roles held over the item's unit, or the
pseudo-roles "owner" and "reporter"), which fields must be filled first, and guards that
return a Swedish reason when the transition must be refused. `run_transition` checks all of
that, changes the status, runs the transition's effects and writes the audit entry; the unit
of work (kvalitet.core.uow) commits. A refused transition raises WorkflowRefused and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, insert, null, select, update

from kvalitet.core import audit, clock
from kvalitet.core.errors import NotFound, WorkflowRefused
from kvalitet.core.permissions import can, holds_role_over
from kvalitet.core.pii import check_text
from kvalitet.core.registry import kind_spec
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import User

OWNER = "owner"
REPORTER = "reporter"
# Pseudo-role of transitions the system takes (a missed egenkontroll, an imported history).
SYSTEM = "system"

Guard = Callable[["Item"], str | None]
Effect = Callable[["Item", "User", dict[str, Any]], None]


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    required: tuple[tuple[str, str], ...] = ()  # (attribute, Swedish label)
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False
    effects: tuple[Effect, ...] = ()
    style: str = "primary"  # button style in the UI
    confirm: str | None = None  # question shown before taking it


@dataclass
class Workflow:
    states: dict[str, str]  # value -> Swedish label, in display order
    initial: str
    transitions: list[Transition]
    closed_states: frozenset[str] = field(default_factory=frozenset)
    # States in which someone other than the owner must act, and who (roles over the unit).
    action_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [t.name for t in self.transitions]
        if len(names) != len(set(names)):
            raise ValueError("duplicate transition names")
        for t in self.transitions:
            unknown = {*t.source, t.target} - set(self.states)
            if unknown:
                raise ValueError(f"transition {t.name} uses unknown states {unknown}")

    def state_label(self, state: str) -> str:
        return self.states.get(state, state)

    @property
    def open_states(self) -> list[str]:
        return [s for s in self.states if s not in self.closed_states]

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.source]


def _missing(item: Item, required: Sequence[tuple[str, str]]) -> list[str]:
    missing = []
    for attr, label in required:
        value = getattr(item, attr, None)
        if value is None or (isinstance(value, str | list | tuple | set) and not value):
            missing.append(label)
    return missing


def may_take(user: User, item: Item, transition: Transition) -> bool:
    if OWNER in transition.roles and item.owner_id == user.id:
        return True
    if REPORTER in transition.roles and item.reporter_id == user.id:
        return True
    roles = [r for r in transition.roles if r not in (OWNER, REPORTER, SYSTEM)]
    return bool(roles) and holds_role_over(user, roles, item.unit)


def available_transitions(user: User, item: Item) -> list[Transition]:
    """Transitions the user may try from the item's current state (guards not yet run)."""
    if item.is_cancelled:
        return []
    workflow = item.spec.workflow
    return [t for t in workflow.from_state(item.status) if may_take(user, item, t)]


def check_transition(
    user: User, item: Item, transition: Transition, reason: str | None = None
) -> list[str]:
    """Every reason the transition cannot be taken now, in Swedish; empty if it can."""
    workflow = item.spec.workflow
    problems: list[str] = []
    if item.is_cancelled:
        return ["Ärendet är makulerat."]
    if item.status not in transition.source:
        return [
            f"”{transition.label}” kan inte göras när ärendet har status "
            f"”{workflow.state_label(item.status)}”."
        ]
    if not may_take(user, item, transition):
        return [f"Du har inte behörighet att göra ”{transition.label}”."]
    missing = _missing(item, transition.required)
    if missing:
        problems.append("Fyll i först: " + ", ".join(missing) + ".")
    for guard in transition.guards:
        message = guard(item)
        if message:
            problems.append(message)
    if transition.needs_reason and not (reason and reason.strip()):
        problems.append("Ange ett skäl.")
    return problems


def run_transition(
    item: Item,
    name: str,
    user: User,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
) -> Item:
    """Take transition `name` on `item` as `user`: check it, change the status, run its
    effects and write the audit entry, then flush (the unit of work commits). Raises
    WorkflowRefused, NotFound or ConflictError and changes nothing when it cannot be taken."""
    workflow = item.spec.workflow
    transition = workflow.transition(name)
    with transaction():
        if transition is None:
            raise WorkflowRefused("Okänt steg för den här typen av ärende.")
        if not can(user, "view", item):
            raise NotFound()
        check_version(item, expected_version)
        problems = check_transition(user, item, transition, reason)
        if problems:
            raise WorkflowRefused(" ".join(problems))
        check_text(reason, "reason")
        _apply(item, transition, user, data or {}, reason)
    return item


def import_transition(workflow: Workflow, target: str) -> Transition:
    """The step an import takes to bring an item in at `target` (any state of its workflow:
    history arrives as it was). Declared here once for every kind."""
    if target not in workflow.states:
        raise WorkflowRefused("Okänd status för den här typen av ärende.")
    return Transition(
        "importera", "Importerad med status", tuple(workflow.states), target, (SYSTEM,)
    )


def _system_step(workflow: Workflow, name: str | Transition) -> Transition:
    """The declared transition `name` that the system may take, or WorkflowRefused."""
    transition = name if isinstance(name, Transition) else workflow.transition(name)
    if transition is None or SYSTEM not in transition.roles:
        raise WorkflowRefused("Okänt systemsteg för den här typen av ärende.")
    return transition


def run_system_transition(
    item: Item,
    name: str | Transition,
    *,
    actor: User | None = None,
    reason: str | None = None,
) -> Item:
    """Take a transition that the system makes (declared with the SYSTEM role): the
    scheduler marking an egenkontroll missed, the importer bringing a closed item. The
    transition must be declared, start from the item's state and pass its guards; it is
    written to the audit trail like any other (with `actor`, e.g. the importing user)."""
    workflow = item.spec.workflow
    with transaction():
        transition = _system_step(workflow, name)
        if item.is_cancelled:
            raise WorkflowRefused("Ärendet är makulerat.")
        if item.status not in transition.source:
            raise WorkflowRefused(
                f"”{transition.label}” kan inte göras när ärendet har status "
                f"”{workflow.state_label(item.status)}”."
            )
        problems = [m for guard in transition.guards if (m := guard(item))]
        if problems:
            raise WorkflowRefused(" ".join(problems))
        _apply(item, transition, actor, {}, reason)
    return item


def run_system_transition_in_bulk(
    model: type[Item], ids: Sequence[int], name: str, *, actor: User | None = None
) -> dict[int, str]:
    """`run_system_transition` for many items of one kind, set-based: the items of `ids`
    that are not cancelled and stand in one of the transition's source states are locked
    (SELECT … FOR UPDATE on PostgreSQL; SQLite's writer holds the database), changed by one
    UPDATE guarded by the same conditions (so a concurrent run, or a change made meanwhile,
    is never overwritten: the second run finds nothing to do) and given the audit entry
    `_apply` writes, as one batched insert. Status, closed_at, the version and updated_at
    change as a flush of `_apply` changes them. Guards are asked per item (the items are
    loaded only then) and an item a guard refuses is left as it is; a transition with
    effects is run item by item (`run_system_transition`: effects need the item). Returns
    {item id: status before} of the items taken. Objects of those items in the session are
    expired (their rows changed under them).

    The caller writes what else its kind keeps (e.g. an egenkontroll's missed_at) and tells
    people. Core UPDATEs run through the session, so the statistics summary hook notes them
    (kvalitet.core.summary); the full-text index is not touched: a status is not text."""
    workflow = kind_spec(model.__mapper__.polymorphic_identity).workflow
    transition = _system_step(workflow, name)
    if not ids:
        return {}
    base = model.__mapper__.base_mapper.local_table
    takeable = (base.c.status.in_(list(transition.source)), base.c.cancelled_at.is_(None))
    db.session.flush()
    # Locked in id order, as a concurrent run locks them: the second waits, it never deadlocks.
    locked = (
        select(base.c.id, base.c.status)
        .where(base.c.id.in_(list(ids)), *takeable)
        .order_by(base.c.id)
        .with_for_update()
    )
    found = dict(db.session.execute(locked).tuples().all())
    if found and (transition.guards or transition.effects):
        items = db.session.scalars(select(model).where(model.id.in_(list(found)))).all()
        passing = [i for i in items if not any(guard(i) for guard in transition.guards)]
        if transition.effects:
            for item in passing:
                run_system_transition(item, transition, actor=actor)
            return {item.id: found[item.id] for item in passing}
        found = {item.id: found[item.id] for item in passing}
    if not found:
        return {}
    now = clock.now()
    values: dict[str, Any] = {
        "status": transition.target,
        "version": base.c.version + 1,
        "updated_at": now,
    }
    if transition.target in workflow.closed_states:
        values["closed_at"] = now
    elif set(transition.source) & workflow.closed_states:
        values["closed_at"] = case(
            (base.c.status.in_(list(workflow.closed_states)), null()), else_=base.c.closed_at
        )
    taken = list(
        db.session.execute(
            update(base)
            .where(base.c.id.in_(list(found)), *takeable)
            .values(values)
            .returning(base.c.id)
        ).scalars()
    )
    if not taken:
        return {}
    user_id = actor.id if actor is not None and getattr(actor, "id", None) else None
    rows = []
    for item_id in taken:
        entry = _entry(workflow, transition, found[item_id], None)
        rows.append({"at": now, "user_id": user_id, "item_id": item_id, "action": "transition",
                     "target": None, **entry})  # fmt: skip
    # The table, not the class: the ORM's bulk insert spent longer building rows than sending.
    db.session.execute(insert(audit.AuditEntry.__table__), rows)
    mapper = model.__mapper__
    for item_id in taken:  # by identity key: touching an expired object would load it
        obj = db.session.identity_map.get(mapper.identity_key_from_primary_key((item_id,)))
        if obj is not None:
            db.session.expire(obj)
    return {item_id: found[item_id] for item_id in taken}


def _entry(
    workflow: Workflow, transition: Transition, old_status: str, reason: str | None
) -> dict[str, Any]:
    """The audit entry's summary, before and after of a transition taken from `old_status`."""
    return {
        "summary": (
            f"{transition.label}: {workflow.state_label(old_status)} → "
            f"{workflow.state_label(transition.target)}"
        )[:500],
        "before": {"status": old_status},
        "after": {"status": transition.target, **({"skäl": reason} if reason else {})},
    }


def _apply(
    item: Item, transition: Transition, user: User | None, data: dict[str, Any], reason: str | None
) -> None:
    workflow = item.spec.workflow
    old_status = item.status
    item.status = transition.target
    if transition.target in workflow.closed_states:
        item.closed_at = clock.now()
    elif old_status in workflow.closed_states:
        item.closed_at = None
    for effect in transition.effects:
        effect(item, user, data)  # type: ignore[arg-type]
    audit.record(user, "transition", item=item, **_entry(workflow, transition, old_status, reason))
