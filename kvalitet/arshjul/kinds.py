"""The Årshjulsuppgift kind (ARS): an occurrence of an årshjul activity as a task."""

from __future__ import annotations

from kvalitet.arshjul.models import ArshjulUppgift, ArsStatus
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow

S = ArsStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)

WORKFLOW = Workflow(
    states={S.PLANERAD: "Planerad", S.GENOMFORD: "Genomförd", S.EJ_GENOMFORD: "Ej genomförd"},
    initial=S.PLANERAD,
    closed_states=frozenset({S.GENOMFORD, S.EJ_GENOMFORD}),
    transitions=[
        Transition("genomford", "Markera som genomförd", (S.PLANERAD,), S.GENOMFORD,
                   (OWNER, *MANAGERS), style="success"),
        Transition("ej_genomford", "Ej genomförd", (S.PLANERAD,), S.EJ_GENOMFORD,
                   (OWNER, *MANAGERS), needs_reason=True, style="outline-secondary"),
        Transition("ateroppna", "Återöppna", (S.GENOMFORD, S.EJ_GENOMFORD), S.PLANERAD,
                   (OWNER, *MANAGERS), needs_reason=True, style="outline-secondary"),
    ],
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="ARS",
        model=ArshjulUppgift,
        label="Årshjulsuppgift",
        label_plural="Årshjulsuppgifter",
        workflow=WORKFLOW,
        endpoint="arshjul.task",
        view_roles=(Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE, Role.SAS),
        manage_roles=MANAGERS,
    )
)
