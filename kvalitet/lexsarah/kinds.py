"""The lex Sarah kind: workflow, need-to-know visibility and read logging."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.orm import aliased

from kvalitet.core.permissions import among, role_paths, unit_ids_under
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.workflow import Transition, Workflow
from kvalitet.items.models import Item
from kvalitet.lexsarah import deadlines
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende
from kvalitet.lexsarah.models import LexSarahStatus as S
from kvalitet.org.models import RoleAssignment, Unit, User

SAS = (Role.SAS,)


def missing_sections(item: Item) -> list[str]:
    assert isinstance(item, LexSarahArende)
    present = {e.section for e in item.entries}
    return [s.label for s in REQUIRED_SECTIONS if s not in present]


def _sections_guard(item: Item) -> str | None:
    missing = missing_sections(item)
    if missing:
        return "Utredningen saknar uppgifter om: " + "; ".join(missing) + "."
    return None


def _needs_ivo(item: Item) -> str | None:
    assert isinstance(item, LexSarahArende)
    if item.allvarligt and not item.ivo_filed_date:
        return "Ett allvarligt missförhållande ska anmälas till IVO först."
    return None


def _is_serious_unfiled(item: Item) -> str | None:
    assert isinstance(item, LexSarahArende)
    if not item.allvarligt:
        return "Beslutet gäller inte ett allvarligt missförhållande."
    if item.ivo_filed_date:
        return "Anmälan till IVO är redan gjord."
    return None


def _closing_guard(item: Item) -> str | None:
    assert isinstance(item, LexSarahArende)
    problems = []
    if item.outcome != "ej_missforhallande" and not item.ledningsgrupp_date:
        problems.append("Ange när avdelningens ledningsgrupp gick igenom beslutet.")
    waiting = [s.unit.name for s in item.spreading if s.confirmed_at is None]
    if waiting:
        problems.append("Väntar på bekräftelse från: " + ", ".join(waiting) + ".")
    if item.ivo_utredning_due and not item.ivo_utredning_sent_date:
        problems.append("Utredningen har inte skickats till IVO.")
    return " ".join(problems) or None


def _set_due(item: Item, user: Any, data: dict[str, Any]) -> None:
    assert isinstance(item, LexSarahArende)
    item.due_date = deadlines.step_due(item)


WORKFLOW = Workflow(
    states={
        S.RAPPORTERAD: "Rapporterad, väntar på bedömning",
        S.UTREDNING: "Under utredning",
        S.ANMALAN: "Beslutad, ska anmälas till IVO",
        S.SPRIDNING: "Åtgärder och spridning",
        S.AVSLUTAD: "Avslutad",
    },
    initial=S.RAPPORTERAD,
    closed_states=frozenset({S.AVSLUTAD}),
    transitions=[
        Transition("bedom", "Spara bedömning och starta utredning", (S.RAPPORTERAD,),
                   S.UTREDNING, SAS,
                   required=(("assessment", "bedömning"), ("assessment_text", "motivering")),
                   effects=(_set_due,)),
        Transition("besluta", "Fatta beslut", (S.UTREDNING,), S.SPRIDNING, SAS,
                   required=(("outcome", "utfall"), ("decision_maker_id", "beslutsfattare"),
                             ("decision_date", "beslutsdatum")),
                   guards=(_sections_guard, _needs_ivo), effects=(_set_due,)),
        Transition("besluta_allvarligt", "Fatta beslut (allvarligt)", (S.UTREDNING,),
                   S.ANMALAN, SAS,
                   required=(("outcome", "utfall"), ("decision_maker_id", "beslutsfattare"),
                             ("decision_date", "beslutsdatum")),
                   guards=(_sections_guard, _is_serious_unfiled), effects=(_set_due,)),
        Transition("anmal", "Registrera anmälan till IVO", (S.ANMALAN,), S.SPRIDNING, SAS,
                   required=(("ivo_filed_date", "datum för anmälan"), ("ivo_channel", "kanal"),
                             ("ivo_region", "IVO-region")),
                   effects=(_set_due,)),
        Transition("avsluta", "Avsluta ärendet", (S.SPRIDNING,), S.AVSLUTAD, SAS,
                   guards=(_closing_guard,), effects=(_set_due,), style="success"),
    ],
    action_roles={S.RAPPORTERAD: SAS, S.UTREDNING: SAS, S.ANMALAN: SAS, S.SPRIDNING: SAS},
)  # fmt: skip


def _unit_has_enhetschef() -> ColumnElement[bool]:
    """SQL: the item's unit has an enhetschef (an active user holding the role at the unit or
    a unit above it)."""
    item_unit, role_unit = aliased(Unit), aliased(Unit)
    return exists().where(
        item_unit.id == Item.unit_id,
        RoleAssignment.role == Role.ENHETSCHEF,
        RoleAssignment.unit_id == role_unit.id,
        role_unit.active.is_(True),
        item_unit.path.startswith(role_unit.path),
        User.id == RoleAssignment.user_id,
        User.active.is_(True),
    )


_ARENDE = LexSarahArende.__table__.alias()


def need_to_know(user: User) -> ColumnElement[bool] | None:
    """Besides SAS (view_roles): the decision maker, and "the chef of the unit concerned".

    Narrow rule (the default, LEXSARAH_NEED_TO_KNOW = "narrow"): the chef is the enhetschef at
    the item's unit (or above it); an avdelningschef sees a case only as decision maker or
    where the unit has no enhetschef. Wide rule ("wide"): every chef at or above the unit,
    avdelningschef included. See docs/security.md."""
    # The decision maker's cases from lexsarah_arende's own index (not joined to item), and
    # the chef's units as a literal list (as the view roles' branch): each branch is then
    # one index the planner can combine, not a subplan run against every lex Sarah row.
    # (An alias, so that a list's count can leave lexsarah_arende out of its FROM; made once,
    # as making it costs more than the rest of the clause.)
    arende = _ARENDE
    clauses: list[ColumnElement[bool]] = [
        Item.id.in_(select(arende.c.id).where(arende.c.decision_maker_id == user.id))
    ]
    if current_app.config.get("LEXSARAH_NEED_TO_KNOW", "narrow") == "wide":
        paths = role_paths(user, CHEF_ROLES)
        if paths:
            clauses.append(among(Item.unit_id, unit_ids_under(paths)))
        return or_(*clauses)
    enhetschef = role_paths(user, [Role.ENHETSCHEF])
    if enhetschef:
        clauses.append(among(Item.unit_id, unit_ids_under(enhetschef)))
    avdelningschef = role_paths(user, [Role.AVDELNINGSCHEF])
    if avdelningschef:
        clauses.append(
            and_(among(Item.unit_id, unit_ids_under(avdelningschef)), not_(_unit_has_enhetschef()))
        )
    return or_(*clauses)


def late_clause() -> ColumnElement[bool]:
    """SQL: a lex Sarah case late in a step or with its utredning to IVO past due."""
    return deadlines.late_clause(LexSarahArende.__table__, WORKFLOW.open_states)


SPEC = register_kind(
    KindSpec(
        code="LXS",
        model=LexSarahArende,
        label="Lex Sarah",
        label_plural="Lex Sarah-ärenden",
        workflow=WORKFLOW,
        endpoint="lexsarah.detail",
        view_roles=SAS,
        manage_roles=SAS,
        reporter_sees=False,
        owner_sees=True,
        extra_visibility=need_to_know,
        log_reads=True,
    )
)
