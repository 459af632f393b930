"""The lex Sarah kind: workflow, need-to-know visibility and read logging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, or_, select

from kvalitet.core.permissions import role_paths, units_under
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.workflow import Transition, Workflow
from kvalitet.items.models import Item
from kvalitet.lexsarah import deadlines
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, LexSarahArende
from kvalitet.lexsarah.models import LexSarahStatus as S

if TYPE_CHECKING:
    from kvalitet.org.models import User

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


def need_to_know(user: User) -> ColumnElement[bool] | None:
    """Besides SAS: the decision maker, and the chef at or above the unit concerned."""
    clauses: list[ColumnElement[bool]] = [
        Item.id.in_(select(LexSarahArende.id).where(LexSarahArende.decision_maker_id == user.id))
    ]
    paths = role_paths(user, CHEF_ROLES)
    if paths:
        clauses.append(Item.unit_id.in_(units_under(paths)))
    return or_(*clauses)


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
