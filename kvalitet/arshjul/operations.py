"""Årshjul operations: edit activities, generate their occurrences as tasks, change a task's
due date. The only code that changes årshjul rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kvalitet.arshjul import reference
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift, OnceMarker
from kvalitet.core import audit, clock, uow
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.periods import current_quality_year
from kvalitet.core.permissions import RIGHTS, require
from kvalitet.core.pii import check_text
from kvalitet.core.recurrence import Rule, occurrences
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.egenkontroll import operations as egenkontroll_operations
from kvalitet.extensions import db
from kvalitet.items.operations import new_item
from kvalitet.org.models import Unit, UnitKind
from kvalitet.org.operations import holders_over

if TYPE_CHECKING:
    from kvalitet.org.models import User

EDITOR_ROLES = RIGHTS["arshjul.manage"]
RESPONSIBLE_ROLES = (
    Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.SAS, Role.MAS, Role.KVALITETSUTVECKLARE,
    Role.REGISTRATOR,
)  # fmt: skip


# Methods of egenkontroll an activity may be done as (kvalitet.egenkontroll.models.Metod).
EGK_METODER = egenkontroll_operations.METOD_VALUES
EGK_METOD_CHOICES = egenkontroll_operations.METOD_CHOICES

# Called with each task the årshjul creates, inside its unit of work (kvalitet.analys
# registers one: a task of an analysis activity gets its analysis).
OCCURRENCE_HOOKS: list[Callable[[ArshjulUppgift], Any]] = []


def may_edit_plan(user: User) -> bool:
    return bool(user.is_authenticated and user.has_role(*EDITOR_ROLES))


def _validate(fields: dict[str, Any]) -> None:
    title = (fields.get("title") or "").strip()
    if not title:
        raise OperationError("Ange vad aktiviteten gäller.", field="title")
    if len(title) > 200:
        raise OperationError("Högst 200 tecken.", field="title")
    # The title becomes the title of every task (a FreeText column): refuse a personnummer here.
    check_text(title, "title")
    if fields.get("responsible_role") not in {str(r) for r in RESPONSIBLE_ROLES}:
        raise OperationError("Välj en ansvarig roll.", field="responsible_role")
    if not fields.get("units"):
        raise OperationError("Välj minst en enhet.", field="units")
    scope = fields.get("scope_kind")
    if scope not in (None, "", UnitKind.ENHET, UnitKind.AVDELNING):
        raise OperationError("Okänt urval av enheter.", field="scope_kind")
    lead = fields.get("lead_days", 30)
    if not isinstance(lead, int) or not 0 <= lead <= 366:
        raise OperationError("Ange 0–366 dagar.", field="lead_days")
    if fields.get("egk_metod") not in (None, "", *EGK_METODER):
        raise OperationError("Okänd metod för egenkontroll.", field="egk_metod")
    if not isinstance(fields.get("rule"), Rule):
        raise OperationError("Ange när aktiviteten återkommer.", field="freq")


def make_rule(
    freq: str, start: date | None, interval: int | None = 1, day: int | None = None,
    month: int | None = None, until: date | None = None,
) -> Rule:  # fmt: skip
    """Build a Rule from form values; OperationError with a Swedish message on bad input."""
    if start is None:
        raise OperationError("Ange första datum.", field="start")
    try:
        return Rule(freq=freq, start=start, interval=interval or 1, day=day, month=month,
                    until=until)  # fmt: skip
    except ValueError as error:
        text = str(error)
        if "until" in text:
            raise OperationError("Slutdatum kan inte vara före första datum.", field="until")
        if "month" in text:
            raise OperationError("Ogiltig månad för den här återkomsten.", field="month")
        if "day" in text:
            raise OperationError("Dag ska vara 1–31.", field="day")
        if "interval" in text:
            raise OperationError("Intervallet ska vara minst 1.", field="interval")
        raise OperationError("Välj hur ofta aktiviteten återkommer.", field="freq")


def _apply(akt: ArshjulAktivitet, fields: dict[str, Any]) -> None:
    akt.title = fields["title"].strip()
    akt.description = (fields.get("description") or "").strip()
    akt.rule = fields["rule"]
    akt.responsible_role = str(fields["responsible_role"])
    akt.scope_kind = fields.get("scope_kind") or None
    akt.lead_days = int(fields.get("lead_days", 30))
    akt.active = bool(fields.get("active", True))
    akt.units = list(fields["units"])
    akt.egk_metod = fields.get("egk_metod") or None


def _snapshot(akt: ArshjulAktivitet) -> dict[str, Any]:
    return {
        "title": akt.title,
        "rule": akt.rule_data,
        "responsible_role": akt.responsible_role,
        "scope_kind": akt.scope_kind,
        "lead_days": akt.lead_days,
        "active": akt.active,
        "units": [u.id for u in akt.units],
        "egk_metod": akt.egk_metod,
    }


def create_activity(actor: User | None, **fields: Any) -> ArshjulAktivitet:
    if actor is not None and not may_edit_plan(actor):
        raise Forbidden()
    _validate(fields)
    with transaction():
        akt = ArshjulAktivitet()
        _apply(akt, fields)
        db.session.add(akt)
        db.session.flush()
        audit.record(
            actor, "arshjul_aktivitet", target=f"arshjul:{akt.id}",
            summary=f"Ny årshjulsaktivitet: {akt.title}", after=_snapshot(akt),
        )  # fmt: skip
    return akt


def update_activity(actor: User, akt: ArshjulAktivitet, **fields: Any) -> ArshjulAktivitet:
    """Change an activity. Tasks already created keep their dates; new ones follow the rule."""
    if not may_edit_plan(actor):
        raise Forbidden()
    _validate(fields)
    with transaction():
        before = _snapshot(akt)
        _apply(akt, fields)
        after = _snapshot(akt)
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "arshjul_aktivitet", target=f"arshjul:{akt.id}",
                         summary=f"Ändrade årshjulsaktivitet: {akt.title}", before=old,
                         after=new)  # fmt: skip
    return akt


def target_units(akt: ArshjulAktivitet) -> list[Unit]:
    """The units the activity makes tasks for."""
    if not akt.scope_kind:
        return [u for u in akt.units if u.active]
    found: dict[int, Unit] = {}
    for root in akt.units:
        for unit in db.session.scalars(
            select(Unit).where(
                Unit.path.startswith(root.path), Unit.kind == akt.scope_kind, Unit.active
            )
        ):
            found[unit.id] = unit
    return sorted(found.values(), key=lambda u: u.path)


def _first_day(akt: ArshjulAktivitet) -> date:
    created = clock.to_local(akt.created_at) if akt.created_at else None
    return created.date() if created else clock.today()


def _unit_first_day(unit: Unit, today: date) -> date | None:
    """The day the unit was added (None if unknown or, with a clock set back in tests,
    not yet passed)."""
    created = clock.to_local(unit.created_at) if unit.created_at else None
    day = created.date() if created else None
    return day if day is not None and day <= today else None


def generate_occurrences(
    until: date | None = None, since: date | None = None, activity: ArshjulAktivitet | None = None
) -> int:
    """Create the tasks of every active activity whose date falls before today + lead days
    (or `until`), except where the activity is done as an egenkontroll that an adopted plan
    covers at that unit and month (`egk_metod`). Catches up after downtime (from the day the
    activity was created or the quality year began, whichever is later, and for a unit added
    later from the day it was added; or from `since`). Each occurrence is unique per
    (activity, unit, planned date) in the database, so two runs at once never create it
    twice. Returns the number of tasks created."""
    today = clock.today()
    query = select(ArshjulAktivitet).where(ArshjulAktivitet.active.is_(True))
    if activity is not None:
        query = query.where(ArshjulAktivitet.id == activity.id)
    made = 0
    # The catch-up never reaches into a closed quality year (its report is written or
    # frozen): only `since`, given by hand (the demo), goes further back.
    year_start = current_quality_year().start
    for akt in list(db.session.scalars(query.order_by(ArshjulAktivitet.id))):
        end = until or today + timedelta(days=akt.lead_days)
        start = since or max(_first_day(akt), year_start)
        dates = occurrences(akt.rule, start, end)
        if not dates:
            continue
        existing = set(
            db.session.execute(
                select(ArshjulUppgift.plan_unit_id, ArshjulUppgift.planned_date).where(
                    ArshjulUppgift.aktivitet_id == akt.id
                )
            ).all()
        )
        # Done as an egenkontroll: where the plan covers the unit and month, its occurrence
        # is the task, so the inbox has it once.
        covered = (
            egenkontroll_operations.covered_months(akt.egk_metod, dates[0], dates[-1])
            if akt.egk_metod
            else set()
        )
        for unit in target_units(akt):
            owners = holders_over(unit, [akt.responsible_role])
            # A unit added later gets its tasks from the day it was added, not the past's.
            first = since or _unit_first_day(unit, today)
            for day in dates:
                if (unit.id, day) in existing or (unit.id, day.year, day.month) in covered:
                    continue
                if first is not None and day < first:
                    continue
                try:
                    with db.session.begin_nested():
                        task = new_item(
                            ArshjulUppgift, None, title=akt.title, description=akt.description,
                            unit_id=unit.id, plan_unit_id=unit.id, aktivitet_id=akt.id,
                            planned_date=day, due_date=day,
                            owner_id=owners[0].id if owners else None,
                        )  # fmt: skip
                        db.session.flush()
                        for hook in OCCURRENCE_HOOKS:
                            hook(task)
                    made += 1
                except IntegrityError:
                    continue
        db.session.flush()
    return made


def set_due_date(actor: User, task: ArshjulUppgift, due: date | None, version: int | None) -> None:
    """Move a task's due date (the planned date stays, so the year view still shows when it
    was planned)."""
    require(actor, "edit", task)
    if due is None:
        raise OperationError("Ange ett datum.", field="due_date")
    with transaction():
        check_version(task, version)
        old = task.due_date
        task.due_date = due
        audit.record(actor, "edit", item=task, summary="Ändrade klart senast",
                     before={"due_date": old.isoformat() if old else None},
                     after={"due_date": due.isoformat()})  # fmt: skip


def compile_report_at_year_close() -> bool:
    """When a quality year has closed, call the report module's scheduled draft compile once
    for it (kvalitet.rapport.operations.compile_scheduled_draft, if that exists)."""
    import importlib

    try:
        module = importlib.import_module("kvalitet.rapport.operations")
    except ImportError:
        return False
    compile_draft = getattr(module, "compile_scheduled_draft", None)
    if compile_draft is None:
        return False
    closed = current_quality_year().previous_year()
    key = f"rapport-utkast:{closed.label}"
    if db.session.get(OnceMarker, key) is not None:
        return False
    delay = int(current_app.config.get("REPORT_DRAFT_DAYS_AFTER_CLOSE", 0))
    if clock.today() < closed.end_exclusive + timedelta(days=delay):
        return False
    # The marker is committed first: a failing compile is logged and not retried in a loop
    # (the kvalitetsutvecklare can compile by hand from the report page).
    # This is the job's own boundary (kvalitet.core.uow): the marker is a unit by itself.
    try:
        db.session.add(OnceMarker(key=key))
        uow.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    import inspect

    if inspect.signature(compile_draft).parameters:
        compile_draft(closed)
    else:
        compile_draft()
    return True


def seed_typical_year(actor: User) -> int:
    """Put the typical year of DOMAIN.md §6 into an empty årshjul."""

    if not may_edit_plan(actor):
        raise Forbidden()
    with transaction():
        made = reference.seed_typical_year()
        if not made:
            raise OperationError("Årshjulet har redan aktiviteter.")
        audit.record(actor, "arshjul_aktivitet", target="arshjul:typiskt-ar",
                     summary=f"Lade in ett typiskt årshjul ({len(made)} aktiviteter)")  # fmt: skip
    return len(made)
