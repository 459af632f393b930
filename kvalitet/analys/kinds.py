"""The analysis task kind (ANA): a sammanställning och analys for a unit and a period."""

from __future__ import annotations

from kvalitet.analys.models import Analys, AnalysStatus
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import OWNER, Transition, Workflow
from kvalitet.items.models import Item

S = AnalysStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE, Role.SAS)


def _has_conclusion(item: Item) -> str | None:
    assert isinstance(item, Analys)
    if not item.slutsatser:
        return "Skriv minst en slutsats innan analysen markeras som klar."
    return None


WORKFLOW = Workflow(
    states={S.PAGAR: "Pågår", S.KLAR: "Klar"},
    initial=S.PAGAR,
    closed_states=frozenset({S.KLAR}),
    transitions=[
        Transition("klar", "Markera analysen som klar", (S.PAGAR,), S.KLAR, (OWNER, *MANAGERS),
                   guards=(_has_conclusion,), style="success"),
        Transition("ateroppna", "Återöppna", (S.KLAR,), S.PAGAR, (OWNER, *MANAGERS),
                   needs_reason=True, style="outline-secondary"),
    ],
)  # fmt: skip

SPEC = register_kind(
    KindSpec(
        code="ANA",
        model=Analys,
        label="Analys",
        label_plural="Analyser",
        workflow=WORKFLOW,
        endpoint="analys.detail",
        view_roles=MANAGERS,
        manage_roles=MANAGERS,
        reporter_sees=False,
    )
)
