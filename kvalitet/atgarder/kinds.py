"""The Förbättringsåtgärd kind: workflow and visibility."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select

from kvalitet.atgarder.models import Atgard, AtgardStatus, atgard_unit
from kvalitet.core.permissions import among, few_ids, role_paths, unit_ids_under
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.items.models import Item

if TYPE_CHECKING:
    from kvalitet.org.models import User

S = AtgardStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)

WORKFLOW = Workflow(
    states={
        S.FORESLAGEN: "Föreslagen",
        S.PABORJAD: "Påbörjad",
        S.PAGAR: "Pågår",
        S.GENOMFORD: "Genomförd",
        S.EJ_GENOMFORD: "Ej genomförd",
    },
    initial=S.FORESLAGEN,
    closed_states=frozenset({S.GENOMFORD, S.EJ_GENOMFORD}),
    transitions=[
        Transition("paborja", "Påbörja", (S.FORESLAGEN,), S.PABORJAD, (OWNER, *MANAGERS),
                   required=(("owner_id", "ansvarig"), ("due_date", "klart senast"))),
        Transition("pagar", "Markera som pågående", (S.PABORJAD,), S.PAGAR, (OWNER, *MANAGERS)),
        Transition("genomford", "Markera som genomförd", (S.PABORJAD, S.PAGAR), S.GENOMFORD,
                   (OWNER, *MANAGERS), required=(("done_text", "vad som har gjorts"),),
                   style="success"),
        Transition("ej_genomford", "Ej genomförd", (S.FORESLAGEN, S.PABORJAD, S.PAGAR),
                   S.EJ_GENOMFORD, MANAGERS, needs_reason=True, style="outline-secondary"),
        Transition("ateroppna", "Återöppna", (S.GENOMFORD, S.EJ_GENOMFORD), S.PAGAR,
                   MANAGERS, needs_reason=True, style="outline-secondary"),
    ],
    action_roles={},
)  # fmt: skip


def concerned_visibility(user: User) -> ColumnElement[bool] | None:
    """Chefs also see the actions that name one of their units as concerned."""

    paths = role_paths(user, CHEF_ROLES)
    if not paths:
        return None
    concerned = select(atgard_unit.c.atgard_id).where(
        among(atgard_unit.c.unit_id, unit_ids_under(paths))
    )
    # A literal id list when it is short (none at all: no branch), so that the list can use
    # the unit's, the owner's and the reporter's indexes together.
    ids = few_ids(("atgard_concerned", tuple(paths)), concerned)
    if ids is None:
        return Item.id.in_(concerned)
    return among(Item.id, ids) if ids else None


SPEC = register_kind(
    KindSpec(
        code="ATG",
        model=Atgard,
        label="Förbättringsåtgärd",
        label_plural="Förbättringsåtgärder",
        workflow=WORKFLOW,
        endpoint="atgarder.detail",
        view_roles=(Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE),
        manage_roles=MANAGERS,
        extra_visibility=concerned_visibility,
    )
)
