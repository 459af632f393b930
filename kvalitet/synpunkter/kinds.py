"""The Synpunkt kind: workflow and visibility.

E-tjänst submissions start as "inkommen" in the registrator's queue; everything registered
inside starts as "mottagen" at the unit, whose chef acknowledges and answers.
"""

from __future__ import annotations

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.synpunkter.models import Synpunkt, SynpunktStatus

S = SynpunktStatus
CHEFS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF)
MANAGERS = (Role.REGISTRATOR, Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE)

WORKFLOW = Workflow(
    states={
        S.INKOMMEN: "Inkommen via e-tjänsten",
        S.MOTTAGEN: "Mottagen",
        S.BEKRAFTAD: "Mottagande bekräftat",
        S.BESVARAD: "Besvarad",
        S.AVSLUTAD: "Avslutad utan svar",
    },
    initial=S.MOTTAGEN,
    closed_states=frozenset({S.BESVARAD, S.AVSLUTAD}),
    transitions=[
        Transition("granska", "Registrera och skicka till enheten", (S.INKOMMEN,), S.MOTTAGEN,
                   (Role.REGISTRATOR, Role.KVALITETSUTVECKLARE)),
        Transition("bekrafta", "Bekräfta mottagandet", (S.MOTTAGEN,), S.BEKRAFTAD,
                   (OWNER, *CHEFS, Role.REGISTRATOR),
                   required=(("acknowledged_date", "datum för bekräftelse"),)),
        Transition("besvara", "Besvara", (S.MOTTAGEN, S.BEKRAFTAD), S.BESVARAD, (OWNER, *CHEFS),
                   required=(("answered_date", "svarsdatum"), ("answer_text", "svaret")),
                   style="success"),
        Transition("avsluta", "Avsluta utan svar", (S.INKOMMEN, S.MOTTAGEN, S.BEKRAFTAD),
                   S.AVSLUTAD, (OWNER, *MANAGERS), needs_reason=True, style="outline-secondary"),
        Transition("ateroppna", "Återöppna", (S.BESVARAD, S.AVSLUTAD), S.BEKRAFTAD,
                   (OWNER, *MANAGERS), needs_reason=True, style="outline-secondary"),
    ],
    action_roles={
        S.INKOMMEN: (Role.REGISTRATOR,),
        S.MOTTAGEN: (Role.ENHETSCHEF,),
        S.BEKRAFTAD: (Role.ENHETSCHEF,),
    },
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="SYN",
        model=Synpunkt,
        label="Synpunkt",
        label_plural="Synpunkter och klagomål",
        workflow=WORKFLOW,
        endpoint="synpunkter.detail",
        view_roles=MANAGERS,
        manage_roles=MANAGERS,
    )
)
