"""Step targets of a lex Sarah case in Swedish working days (configurable), and the two-month
deadline for sending the investigation to IVO."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, and_, or_, select

from kvalitet.core import clock
from kvalitet.core.workdays import add_working_days
from kvalitet.items.models import Item
from kvalitet.lexsarah.models import LexSarahStatus as S

if TYPE_CHECKING:
    from kvalitet.lexsarah.models import LexSarahArende

# Config key -> default number of working days.
DEFAULTS = {
    "LEXSARAH_BEDOMNING_DAGAR": 1,  # SAS first assessment after the rapport
    "LEXSARAH_UTREDNING_DAGAR": 14,  # utredning and beslut after the assessment
    "LEXSARAH_ANMALAN_DAGAR": 2,  # anmälan to IVO ("snarast") after an allvarligt beslut
    "LEXSARAH_SPRIDNING_DAGAR": 20,  # actions, spreading and closing after the beslut
}
IVO_UTREDNING_MONTHS = 2

STEP_LABELS = {
    S.RAPPORTERAD: "SAS första bedömning",
    S.UTREDNING: "Utredning och beslut",
    S.ANMALAN: "Anmälan till IVO",
    S.SPRIDNING: "Åtgärder, spridning och avslut",
}


def target_days(key: str) -> int:
    if has_app_context():
        return int(current_app.config.get(key, DEFAULTS[key]))
    return DEFAULTS[key]


def local_date(value: object) -> date | None:
    local = clock.to_local(value)  # type: ignore[arg-type]
    return local.date() if local else None


def step_due(item: LexSarahArende) -> date | None:
    """The target date of the step the case is in now."""
    status = item.status
    if status == S.RAPPORTERAD:
        start = local_date(item.reported_at) or clock.today()
        return add_working_days(start, target_days("LEXSARAH_BEDOMNING_DAGAR"))
    if status == S.UTREDNING:
        start = local_date(item.assessed_at) or clock.today()
        return add_working_days(start, target_days("LEXSARAH_UTREDNING_DAGAR"))
    if status == S.ANMALAN:
        return add_working_days(
            item.decision_date or clock.today(), target_days("LEXSARAH_ANMALAN_DAGAR")
        )
    if status == S.SPRIDNING:
        return add_working_days(
            item.decision_date or clock.today(), target_days("LEXSARAH_SPRIDNING_DAGAR")
        )
    return None


def ivo_utredning_due(filed: date) -> date:
    """Two months after the anmälan (end of month clamps: 31 Dec -> 28/29 Feb)."""
    return filed + relativedelta(months=IVO_UTREDNING_MONTHS)


def ivo_utredning_late(item: LexSarahArende, today: date | None = None) -> bool:
    today = today or clock.today()
    return bool(
        item.ivo_utredning_due
        and not item.ivo_utredning_sent_date
        and item.ivo_utredning_due < today
    )


def is_late(item: LexSarahArende, today: date | None = None) -> bool:
    today = today or clock.today()
    step_late = bool(item.is_open and item.due_date and item.due_date < today)
    return step_late or ivo_utredning_late(item, today)


def late_clause(arende_table: Any, open_states: Iterable[str]) -> ColumnElement[bool]:
    """SQL: a case late in a step or with its utredning to IVO past due (what is_late says
    of one case), for lex Sarah and lex Maria alike (`arende_table`: the kind's own table,
    with ivo_utredning_due and ivo_utredning_sent_date). On item's columns and an id list
    from the kind's table, so that a count need not join the two tables (the open states,
    not "not closed", so that the status is an index range)."""
    today = clock.today()
    arende = arende_table.alias()
    return or_(
        and_(Item.due_date < today, Item.status.in_(list(open_states))),
        Item.id.in_(
            select(arende.c.id).where(
                arende.c.ivo_utredning_due < today, arende.c.ivo_utredning_sent_date.is_(None)
            )
        ),
    )
