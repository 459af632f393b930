"""The Uppföljningsuppgift kind (MUP): one responsible person's follow-up of a plan for a
period, as a task in Mina ärenden."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.mal.models import Uppfoljningsuppgift, UppfStatus

if TYPE_CHECKING:
    from kvalitet.items.models import Item

S = UppfStatus
MANAGERS = (Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF, Role.ADMIN)


def _all_reported(item: Item) -> str | None:
    from kvalitet.mal.queries import missing_for_task

    missing = missing_for_task(item)  # type: ignore[arg-type]
    if missing:
        names = ", ".join(f"{i.nr} {i.name}".strip() for i in missing[:3])
        more = f" och {len(missing) - 3} till" if len(missing) > 3 else ""
        return f"Utfall saknas för: {names}{more}."
    return None


WORKFLOW = Workflow(
    states={S.ATT_RAPPORTERA: "Att rapportera", S.RAPPORTERAD: "Rapporterad"},
    initial=S.ATT_RAPPORTERA,
    closed_states=frozenset({S.RAPPORTERAD}),
    transitions=[
        Transition(
            "rapportera",
            "Markera som rapporterad",
            (S.ATT_RAPPORTERA,),
            S.RAPPORTERAD,
            (OWNER, *MANAGERS),
            guards=(_all_reported,),
            style="success",
        ),
        Transition(
            "ateroppna",
            "Återöppna",
            (S.RAPPORTERAD,),
            S.ATT_RAPPORTERA,
            (OWNER, *MANAGERS),
            needs_reason=True,
            style="outline-secondary",
        ),
    ],
)

SPEC = register_kind(
    KindSpec(
        code="MUP",
        model=Uppfoljningsuppgift,
        label="Måluppföljning",
        label_plural="Måluppföljningar",
        workflow=WORKFLOW,
        endpoint="mal.task",
        view_roles=(Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF, Role.ENHETSCHEF),
        manage_roles=MANAGERS,
        reporter_sees=False,
    )
)
