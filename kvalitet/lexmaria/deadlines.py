"""Step targets of a lex Maria case in Swedish working days (configurable in config as
LEXMARIA_*), the "snarast" of the anmälan and of informing the patient, and the tracked date
by which an investigation not attached to the anmälan must reach IVO. The date helpers are
lex Sarah's (kvalitet.lexsarah.deadlines)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask import current_app, has_app_context

from kvalitet.core import clock
from kvalitet.core.workdays import add_working_days
from kvalitet.lexmaria.models import LexMariaStatus as S
from kvalitet.lexsarah.deadlines import ivo_utredning_due, ivo_utredning_late, local_date

if TYPE_CHECKING:
    from kvalitet.lexmaria.models import LexMariaArende

__all__ = [
    "DEFAULTS",
    "STEP_LABELS",
    "is_late",
    "ivo_utredning_due",
    "ivo_utredning_late",
    "step_due",
]

DEFAULTS = {
    "LEXMARIA_BEDOMNING_DAGAR": 2,  # the MAS's assessment after the report
    "LEXMARIA_UTREDNING_DAGAR": 20,  # händelseanalys and decision after the assessment
    "LEXMARIA_ANMALAN_DAGAR": 2,  # anmälan to IVO "snarast" after the decision
    "LEXMARIA_INFORMATION_DAGAR": 5,  # informing the patient "snarast" after the assessment
    "LEXMARIA_ATGARDER_DAGAR": 20,  # actions and closing after the decision
}

STEP_LABELS = {
    S.RAPPORTERAD: "MAS bedömning",
    S.UTREDNING: "Händelseanalys och beslut",
    S.ANMALAN: "Anmälan till IVO (snarast)",
    S.ATGARDER: "Information, åtgärder och avslut",
}


def target_days(key: str) -> int:
    if has_app_context():
        return int(current_app.config.get(key, DEFAULTS[key]))
    return DEFAULTS[key]


def step_due(item: LexMariaArende) -> date | None:
    status = item.status
    if status == S.RAPPORTERAD:
        start = local_date(item.reported_at) or clock.today()
        return add_working_days(start, target_days("LEXMARIA_BEDOMNING_DAGAR"))
    if status == S.UTREDNING:
        start = local_date(item.assessed_at) or clock.today()
        return add_working_days(start, target_days("LEXMARIA_UTREDNING_DAGAR"))
    if status == S.ANMALAN:
        return add_working_days(
            item.decision_date or clock.today(), target_days("LEXMARIA_ANMALAN_DAGAR")
        )
    if status == S.ATGARDER:
        return add_working_days(
            item.decision_date or clock.today(), target_days("LEXMARIA_ATGARDER_DAGAR")
        )
    return None


def information_due(item: LexMariaArende) -> date | None:
    """When the patient (or närstående) should have been informed, for a lex Maria case
    not yet informed."""
    if not item.is_lex_maria or item.informed_date or item.not_informed_reason:
        return None
    start = local_date(item.assessed_at) or clock.today()
    return add_working_days(start, target_days("LEXMARIA_INFORMATION_DAGAR"))


def information_late(item: LexMariaArende, today: date | None = None) -> bool:
    due = information_due(item)
    return bool(item.is_open and due and due < (today or clock.today()))


def is_late(item: LexMariaArende, today: date | None = None) -> bool:
    today = today or clock.today()
    step_late = bool(item.is_open and item.due_date and item.due_date < today)
    return step_late or ivo_utredning_late(item, today) or information_late(item, today)
