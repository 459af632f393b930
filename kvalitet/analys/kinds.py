"""The analysis task kind (ANA): a sammanställning och analys for a unit and a period."""

from __future__ import annotations

from typing import Any

from kvalitet.analys.compile import overview
from kvalitet.analys.models import Analys, AnalysStatus, AnalysUnderlag
from kvalitet.arshjul.models import ArshjulUppgift
from kvalitet.core import clock
from kvalitet.core.periods import custom_period
from kvalitet.core.registry import KindSpec, register_kind
from kvalitet.core.roles import Role
from kvalitet.core.workflow import (
    OWNER,
    Transition,
    Workflow,
    available_transitions,
    run_transition,
)
from kvalitet.extensions import db
from kvalitet.items.models import Item

S = AnalysStatus
MANAGERS = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE, Role.SAS)


def _has_conclusion(item: Item) -> str | None:
    assert isinstance(item, Analys)
    if not item.slutsatser:
        return "Skriv minst en slutsats innan analysen markeras som klar."
    return None


def _freeze(item: Item, user: Any, data: dict[str, Any]) -> None:
    """Keep what the person saw when the analysis was done, and mark the årshjul task that
    made it genomförd (when the person may take that step)."""
    assert isinstance(item, Analys)
    content = overview(user, item.unit, custom_period(item.period_start, item.period_end))
    if item.underlag is None:
        item.underlag = AnalysUnderlag(content=content)
    else:
        item.underlag.content = content
        item.underlag.compiled_at = clock.now()
    item.completed_at = clock.now()
    task = db.session.get(ArshjulUppgift, item.task_id) if item.task_id else None
    if task is not None and any(t.name == "genomford" for t in available_transitions(user, task)):
        run_transition(task, "genomford", user)


def _thaw(item: Item, user: Any, data: dict[str, Any]) -> None:
    assert isinstance(item, Analys)
    item.completed_at = None


WORKFLOW = Workflow(
    states={S.PAGAR: "Pågår", S.KLAR: "Klar"},
    initial=S.PAGAR,
    closed_states=frozenset({S.KLAR}),
    transitions=[
        Transition("klar", "Markera analysen som klar", (S.PAGAR,), S.KLAR, (OWNER, *MANAGERS),
                   guards=(_has_conclusion,), effects=(_freeze,), style="success"),
        Transition("ateroppna", "Återöppna", (S.KLAR,), S.PAGAR, (OWNER, *MANAGERS),
                   needs_reason=True, effects=(_thaw,), style="outline-secondary"),
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
