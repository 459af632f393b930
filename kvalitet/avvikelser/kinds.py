"""The Avvikelse kind: workflow, visibility and the closing guard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_

from kvalitet.atgarder import operations as atgarder_ops
from kvalitet.avvikelser.models import Avvikelse, AvvikelseStatus
from kvalitet.core import memo
from kvalitet.core.permissions import role_paths, units_under
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.items.models import Item, ItemLink
from kvalitet.notify.operations import notify

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.org.models import User

S = AvvikelseStatus
CHEFS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)
# MAS may act on the health-care deviations they can see (visibility limits them to those).
HANDLERS = (*CHEFS, Role.MAS)


def open_actions(item: Item) -> list[Any]:
    """Linked förbättringsåtgärder that are neither done, not done, cancelled nor
    consciously deferred. Read once per request and item (the case page lists them and its
    "Avsluta" button's guard asks again), forgotten when a flush writes an item or a link
    (core.memo)."""
    per_item: dict[int, list[Any]] = memo.remembered(OPEN_ACTIONS_KEY, (Item, ItemLink), dict)
    if item.id not in per_item:
        per_item[item.id] = atgarder_ops.open_linked_actions(item)
    return list(per_item[item.id])


OPEN_ACTIONS_KEY = "_avvikelse_open_actions"


def analysis_written(item: Item) -> str | None:
    assert isinstance(item, Avvikelse)
    problems = []
    if not (item.analysis or "").strip():
        problems.append("analysen (orsaker) är inte skriven")
    if not item.causes:
        problems.append("ingen orsakskategori är vald")
    if problems:
        return "Avvikelsen kan inte avslutas: " + " och ".join(problems) + "."
    return None


def actions_resolved(item: Item) -> str | None:
    still_open = open_actions(item)
    if still_open:
        refs = ", ".join(a.ref for a in still_open)
        return (
            f"Avvikelsen kan inte avslutas: förbättringsåtgärd {refs} är inte genomförd. "
            "Markera den som genomförd eller ej genomförd, eller som medvetet uppskjuten."
        )
    return None


def analysis_for_atgardad(item: Item) -> str | None:
    assert isinstance(item, Avvikelse)
    if not (item.analysis or "").strip():
        return "Skriv analysen (orsaker) innan avvikelsen markeras som åtgärdad."
    return None


def tell_reporter_closed(item: Item, user: User, data: dict[str, Any]) -> None:
    """The reporter learns that their deviation has been handled (reference only)."""

    if item.reporter_id and item.reporter_id != user.id:
        notify([item.reporter_id], f"Avvikelse {item.ref} är avslutad", item=item)


WORKFLOW = Workflow(
    states={
        S.RAPPORTERAD: "Rapporterad",
        S.RAPPORTERAD_HSL: "Rapporterad till MAS",
        S.UNDER_UTREDNING: "Under utredning",
        S.ATGARDAD: "Åtgärdad",
        S.AVSLUTAD: "Avslutad",
    },
    initial=S.RAPPORTERAD,
    closed_states=frozenset({S.AVSLUTAD}),
    transitions=[
        Transition("utred", "Påbörja utredning", (S.RAPPORTERAD, S.RAPPORTERAD_HSL),
                   S.UNDER_UTREDNING, (OWNER, *HANDLERS)),
        Transition("atgarda", "Markera som åtgärdad", (S.UNDER_UTREDNING,), S.ATGARDAD,
                   (OWNER, *HANDLERS), guards=(analysis_for_atgardad,)),
        Transition("avsluta", "Avsluta", (S.UNDER_UTREDNING, S.ATGARDAD), S.AVSLUTAD,
                   (OWNER, *HANDLERS), guards=(analysis_written, actions_resolved),
                   effects=(tell_reporter_closed,), style="success"),
        Transition("ateroppna", "Återöppna", (S.ATGARDAD, S.AVSLUTAD), S.UNDER_UTREDNING,
                   HANDLERS, needs_reason=True, style="outline-secondary"),
    ],
    # A new deviation waits for the unit's chef; during investigation the owner (investigator).
    action_roles={S.RAPPORTERAD: (Role.ENHETSCHEF,), S.RAPPORTERAD_HSL: (Role.MAS,)},
)  # fmt: skip


def mas_visibility(user: User) -> ColumnElement[bool] | None:
    """MAS sees the health-care deviations of the subtrees where they hold the role."""

    paths = role_paths(user, [Role.MAS])
    if not paths:
        return None
    # The flag of item, not a list of the health-care avvikelser' ids: the planner reads
    # these from ix_item_health_care_status, a tenth of the kind, where the list of 55,000
    # ids was hashed and tested against every avvikelse of a list, its count and the inbox
    # (a capped count 177 ms, now 18 ms at 1,000,000 items; docs/benchmarks.md, session 13).
    return and_(Item.unit_id.in_(units_under(paths)), Item.is_health_care())


SPEC = register_kind(
    KindSpec(
        code="AVV",
        model=Avvikelse,
        label="Avvikelse",
        label_plural="Avvikelser",
        workflow=WORKFLOW,
        endpoint="avvikelser.detail",
        view_roles=CHEFS,
        manage_roles=HANDLERS,
        extra_visibility=mas_visibility,
        # HSLF-FS 2016:40 4 kap.: access to health-care records is logged for the MAS's
        # loggkontroll; a SoL/LSS avvikelse is not.
        log_reads=lambda item: bool(getattr(item, "health_care", False)),
    )
)
