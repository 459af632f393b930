"""The narrative text block of the kvalitetsberättelse as an item kind ("KBN")."""

from __future__ import annotations

from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.rapport.models import Berattelsetext, TextStatus

S = TextStatus
WRITERS = (OWNER, Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF)

WORKFLOW = Workflow(
    states={S.EJ_PABORJAD: "Ej påbörjad", S.UTKAST: "Utkast", S.KLAR: "Klar"},
    initial=S.EJ_PABORJAD,
    closed_states=frozenset({S.KLAR}),
    transitions=[
        Transition("klar", "Markera som klar", (S.UTKAST,), S.KLAR, WRITERS,
                   required=(("text", "text"),), style="success"),
        Transition("ateroppna", "Öppna för ändring", (S.KLAR,), S.UTKAST, WRITERS,
                   style="outline-secondary"),
    ],
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="KBN",
        model=Berattelsetext,
        label="Text i kvalitetsberättelsen",
        label_plural="Texter i kvalitetsberättelsen",
        workflow=WORKFLOW,
        endpoint="rapport.text",
        view_roles=(Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF, Role.ENHETSCHEF),
        manage_roles=(Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF),
        reporter_sees=False,
    )
)
