"""The lex Maria kind (LXM): workflow, need-to-know visibility (the MAS in scope and the
decision maker) and read logging; and the patientsäkerhetsberättelse text kind (PSB), a task
with the kvalitetsberättelse text's workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import Transition, Workflow
from kvalitet.items.models import Item
from kvalitet.lexmaria import deadlines
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, LexMariaArende, PsbText
from kvalitet.lexmaria.models import LexMariaStatus as S
from kvalitet.rapport.kinds import WORKFLOW as TEXT_WORKFLOW

if TYPE_CHECKING:
    from kvalitet.org.models import User

MAS = (Role.MAS,)


def missing_sections(item: Item) -> list[str]:
    assert isinstance(item, LexMariaArende)
    present = {e.section for e in item.entries}
    return [s.label for s in REQUIRED_SECTIONS if s not in present]


def _sections_guard(item: Item) -> str | None:
    missing = missing_sections(item)
    if missing:
        return "Händelseanalysen saknar uppgifter om: " + "; ".join(missing) + "."
    return None


def _not_to_report(item: Item) -> str | None:
    assert isinstance(item, LexMariaArende)
    if item.ivo_anmalan and not item.ivo_filed_date:
        return "Händelsen ska anmälas till IVO först."
    return None


def _to_report(item: Item) -> str | None:
    assert isinstance(item, LexMariaArende)
    if not item.ivo_anmalan:
        return "Beslutet är att inte anmäla händelsen till IVO."
    if item.ivo_filed_date:
        return "Anmälan till IVO är redan gjord."
    return None


def _closing_guard(item: Item) -> str | None:
    assert isinstance(item, LexMariaArende)
    problems = []
    if item.is_lex_maria and not (item.informed_date or item.not_informed_reason):
        problems.append(
            "Registrera när och hur patienten eller närstående informerades "
            "(eller varför det inte gick)."
        )
    if item.ivo_filed_date and item.informed_date and not item.info_anmalan:
        problems.append("Patienten eller närstående ska få veta att händelsen anmälts till IVO.")
    if item.ivo_utredning_due and not item.ivo_utredning_sent_date:
        problems.append("Utredningen har inte skickats till IVO.")
    return " ".join(problems) or None


def _set_due(item: Item, user: Any, data: dict[str, Any]) -> None:
    assert isinstance(item, LexMariaArende)
    item.due_date = deadlines.step_due(item)


DECISION = (
    ("ivo_anmalan", "beslut om anmälan"),
    ("decision_maker_id", "beslutsfattare"),
    ("decision_date", "beslutsdatum"),
)

WORKFLOW = Workflow(
    states={
        S.RAPPORTERAD: "Rapporterad, väntar på MAS bedömning",
        S.UTREDNING: "Händelseanalys",
        S.ANMALAN: "Ska anmälas till IVO",
        S.ATGARDER: "Information och åtgärder",
        S.AVSLUTAD: "Avslutad",
    },
    initial=S.RAPPORTERAD,
    closed_states=frozenset({S.AVSLUTAD}),
    transitions=[
        Transition(
            "bedom",
            "Spara bedömning och starta händelseanalys",
            (S.RAPPORTERAD,),
            S.UTREDNING,
            MAS,
            required=(("assessment", "bedömning"), ("assessment_text", "motivering")),
            effects=(_set_due,),
        ),
        Transition(
            "besluta",
            "Besluta: anmäls inte till IVO",
            (S.UTREDNING,),
            S.ATGARDER,
            MAS,
            required=DECISION,
            guards=(_sections_guard, _not_to_report),
            effects=(_set_due,),
        ),
        Transition(
            "besluta_anmal",
            "Besluta: anmäls till IVO",
            (S.UTREDNING,),
            S.ANMALAN,
            MAS,
            required=DECISION,
            guards=(_sections_guard, _to_report),
            effects=(_set_due,),
        ),
        Transition(
            "anmal",
            "Registrera anmälan till IVO",
            (S.ANMALAN,),
            S.ATGARDER,
            MAS,
            required=(("ivo_filed_date", "datum för anmälan"), ("ivo_channel", "kanal")),
            effects=(_set_due,),
        ),
        Transition(
            "avsluta",
            "Avsluta ärendet",
            (S.ATGARDER,),
            S.AVSLUTAD,
            MAS,
            guards=(_closing_guard,),
            effects=(_set_due,),
            style="success",
        ),
    ],
    action_roles={S.RAPPORTERAD: MAS, S.UTREDNING: MAS, S.ANMALAN: MAS, S.ATGARDER: MAS},
)


# lexmaria_arende's own table (an alias, as lex Sarah's need_to_know, so that a list's count
# can leave it out of its FROM), made once: a select of the mapped class joined it to item
# and made the ORM work out the subquery's type on every request, 2-5 ms of CPU.
_ARENDE = LexMariaArende.__table__.alias()


def decision_maker_sees(user: User) -> ColumnElement[bool] | None:
    """Besides the MAS in scope (view_roles): the decision maker of the case."""
    return Item.id.in_(select(_ARENDE.c.id).where(_ARENDE.c.decision_maker_id == user.id))


SPEC = register_kind(
    KindSpec(
        code="LXM",
        model=LexMariaArende,
        label="Lex Maria",
        label_plural="Lex Maria-ärenden",
        workflow=WORKFLOW,
        endpoint="lexmaria.detail",
        view_roles=MAS,
        manage_roles=MAS,
        reporter_sees=False,
        owner_sees=True,
        extra_visibility=decision_maker_sees,
        log_reads=True,
    )
)

TEXT_SPEC = register_kind(
    KindSpec(
        code="PSB",
        model=PsbText,
        label="Text i patientsäkerhetsberättelsen",
        label_plural="Texter i patientsäkerhetsberättelsen",
        workflow=TEXT_WORKFLOW,
        endpoint="psb.text",
        view_roles=(Role.MAS, Role.KVALITETSUTVECKLARE),
        manage_roles=(Role.MAS, Role.KVALITETSUTVECKLARE),
        reporter_sees=False,
    )
)
