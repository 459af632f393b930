"""The Egenkontroll kind (EGK): one occurrence of a control at a unit.

Performing, missing and moving the due date are steps the system takes for the person
(kvalitet.egenkontroll.operations, through run_system_transition); the manual steps are
writing off an occurrence (avskriv) and reopening it."""

from __future__ import annotations

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import SYSTEM, Transition, Workflow
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus

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
        # Taken by the system on the person's behalf (saving answers, the scheduler).
        Transition("paborja", "Påbörjade", (S.PLANERAD,), S.PAGAENDE, (SYSTEM,)),
        Transition("genomfor", "Genomförde egenkontrollen", (S.PLANERAD, S.PAGAENDE, S.MISSAD),
                   S.GENOMFORD, (SYSTEM,)),
        Transition("missa", "Missad: inte genomförd senast sista datum",
                   (S.PLANERAD, S.PAGAENDE), S.MISSAD, (SYSTEM,)),
        Transition("aterplanera", "Nytt sista datum", (S.MISSAD,), S.PLANERAD, (SYSTEM,)),
        Transition("ateruppta", "Nytt sista datum", (S.MISSAD,), S.PAGAENDE, (SYSTEM,)),
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
