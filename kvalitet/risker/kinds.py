"""The Risk kind: workflow and visibility."""

from __future__ import annotations

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.risker.models import Risk, RiskStatus

S = RiskStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE, Role.MAS, Role.SAS)

WORKFLOW = Workflow(
    states={
        S.IDENTIFIERAD: "Identifierad",
        S.ATGARDER: "Åtgärder pågår",
        S.BEVAKAS: "Bevakas",
        S.AVSLUTAD: "Avslutad",
    },
    initial=S.IDENTIFIERAD,
    closed_states=frozenset({S.AVSLUTAD}),
    transitions=[
        Transition("atgarda", "Åtgärder beslutade", (S.IDENTIFIERAD, S.BEVAKAS), S.ATGARDER,
                   (OWNER, *MANAGERS)),
        Transition("bevaka", "Bevaka risken", (S.IDENTIFIERAD, S.ATGARDER), S.BEVAKAS,
                   (OWNER, *MANAGERS), required=(("review_date", "datum för omprövning"),)),
        Transition("avsluta", "Avsluta (risken finns inte längre)",
                   (S.IDENTIFIERAD, S.ATGARDER, S.BEVAKAS), S.AVSLUTAD, MANAGERS,
                   needs_reason=True, style="outline-secondary"),
        Transition("ateroppna", "Återöppna", (S.AVSLUTAD,), S.IDENTIFIERAD, MANAGERS,
                   needs_reason=True, style="outline-secondary"),
    ],
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="RSK",
        model=Risk,
        label="Risk",
        label_plural="Risker",
        workflow=WORKFLOW,
        endpoint="risker.detail",
        view_roles=MANAGERS,
        manage_roles=MANAGERS,
    )
)
