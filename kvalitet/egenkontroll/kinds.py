"""The Egenkontroll kind (EGK): one occurrence of a control at a unit.

Performing and marking as missed are done by kvalitet.egenkontroll.operations (status set
there with an audit entry); the workflow's manual steps are writing off a missed occurrence
(avskriv) and reopening it."""

from __future__ import annotations

from kvalitet.core.workflow import Transition, Workflow
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus
from kvalitet.items.registry import KindSpec, register_kind
from kvalitet.org.models import Role

S = EgkStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)

WORKFLOW = Workflow(
    states={
        S.PLANERAD: "Planerad",
        S.PAGAENDE: "Påbörjad",
        S.GENOMFORD: "Genomförd",
        S.MISSAD: "Missad",
        S.AVSKRIVEN: "Avskriven",
    },
    initial=S.PLANERAD,
    # A missed occurrence stays open (and visible as missed) until it is performed late or
    # written off with a reason.
    closed_states=frozenset({S.GENOMFORD, S.AVSKRIVEN}),
    transitions=[
        Transition("avskriv", "Skriv av (genomförs inte)", (S.PLANERAD, S.PAGAENDE, S.MISSAD),
                   S.AVSKRIVEN, MANAGERS, needs_reason=True, style="outline-secondary"),
        Transition("ateroppna", "Återöppna", (S.GENOMFORD, S.AVSKRIVEN), S.PAGAENDE, MANAGERS,
                   needs_reason=True, style="outline-secondary"),
    ],
    action_roles={},
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="EGK",
        model=Egenkontroll,
        label="Egenkontroll",
        label_plural="Egenkontroller",
        workflow=WORKFLOW,
        endpoint="egenkontroll.detail",
        view_roles=MANAGERS,
        manage_roles=MANAGERS,
        reporter_sees=False,
    )
)
