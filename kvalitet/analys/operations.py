"""Operations of the samlad analys: the only code that changes analys rows.

- `create_for_task` (the årshjul hook): an årshjul task of an activity marked as an analysis
  gets its analysis item, linked to the task;
- `start_analysis`: an analysis started by hand for a unit and a period;
- `add_conclusion`: a conclusion, and in the same step the förbättringsåtgärd decided on it
  (kvalitet.atgarder.operations.create_atgard, linked analysis → åtgärd);
- marking it done is the workflow step "klar" (kvalitet.analys.kinds), which freezes what
  the person saw (flags, patterns, key figures) and marks the årshjul task genomförd;
- `add_theme`: a suggested theme, named by a person, added to a category list;
- `set_plan` / `mark_typical_year`: which årshjul activities are analyses.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from kvalitet.admin import operations as admin_operations
from kvalitet.analys.kinds import MANAGERS, SPEC
from kvalitet.analys.models import Analys, AnalysPlan, AnalysSlutsats
from kvalitet.analys.signals import period_label
from kvalitet.arshjul import operations as arshjul_operations
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift
from kvalitet.arshjul.reference import TYPICAL_YEAR
from kvalitet.atgarder import operations as atgarder_operations
from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import holds_role_over, require
from kvalitet.core.pii import check_text
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db
from kvalitet.items.models import ItemLink, LinkType, QualityArea
from kvalitet.items.operations import new_item
from kvalitet.org.models import Unit, User

if TYPE_CHECKING:
    from kvalitet.items.models import Item

THEME_LISTS = {"avvikelse_kategori": "Kategorier för avvikelser",
               "synpunkt_tema": "Teman för synpunkter och klagomål"}  # fmt: skip
# The typical year's analysis activities (kvalitet.arshjul.reference.TYPICAL_YEAR): the
# quarter's per enhet for APT, the half-year's per avdelning with SAS.
TYPICAL_PLANS = {TYPICAL_YEAR[1][0]: 3, TYPICAL_YEAR[2][0]: 6}


def period_of(analys: Analys) -> Period:
    return custom_period(analys.period_start, analys.period_end)


def period_before(day: date, months: int) -> Period:
    """The `months` whole months before the month of `day` (a task on 15 March analyses
    December–February for a quarter)."""
    end = day.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1) - relativedelta(months=months - 1)
    return custom_period(start, end)


def _title(unit: Unit, period: Period) -> str:
    return f"Sammanställning och analys {period_label(period)}: {unit.name}"


def may_start(actor: User, unit: Unit) -> bool:
    return holds_role_over(actor, MANAGERS, unit)


def create_for_task(task: ArshjulUppgift) -> Analys | None:
    """The årshjul hook: if the task's activity is an analysis, create its analysis (once)."""
    plan = db.session.get(AnalysPlan, task.aktivitet_id)
    if plan is None:
        return None
    if db.session.scalar(select(Analys.id).where(Analys.task_id == task.id)) is not None:
        return None
    period = period_before(task.planned_date, plan.months)
    with transaction():
        analys = new_item(
            Analys, None, title=_title(task.unit, period),
            description=task.description, unit_id=task.unit_id, owner_id=task.owner_id,
            due_date=task.due_date, task_id=task.id, period_start=period.start,
            period_end=period.end,
        )  # fmt: skip
        db.session.flush()
        db.session.add(ItemLink(source_id=task.id, target_id=analys.id,
                                link_type=str(LinkType.RELATERAD)))  # fmt: skip
        audit.record(None, "link", item=task, summary=f"Analysen {analys.ref} skapades")
    return analys


def start_analysis(actor: User, unit: Unit, start: date | None, end: date | None) -> Analys:
    if not may_start(actor, unit):
        raise Forbidden("Du har inte behörighet att starta en analys för enheten.")
    if start is None:
        raise OperationError("Ange periodens första dag.", field="start")
    if end is None:
        raise OperationError("Ange periodens sista dag.", field="end")
    if end < start:
        raise OperationError("Periodens slut kan inte vara före dess början.", field="end")
    if (end - start).days > 731:
        raise OperationError("Perioden får vara högst två år.", field="end")
    period = custom_period(start, end)
    with transaction():
        analys = new_item(
            Analys, actor, title=_title(unit, period), unit_id=unit.id, owner_id=actor.id,
            reporter_id=actor.id, period_start=start, period_end=end,
            due_date=clock.today() + timedelta(days=30),
        )  # fmt: skip
        db.session.flush()
    return analys


def add_conclusion(
    actor: User,
    analys: Analys,
    text: str,
    *,
    quality_area_id: int | None = None,
    atgard: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> AnalysSlutsats:
    """Record a conclusion; with `atgard` (title, owner_id, due_date, ...) the
    förbättringsåtgärd decided on it is created and linked in the same step."""
    require(actor, "edit", analys)
    text = (text or "").strip()
    if not text:
        raise OperationError("Skriv slutsatsen.", field="text")
    if len(text) > 5000:
        raise OperationError("Högst 5 000 tecken.", field="text")
    check_text(text, "text")
    if analys.status not in SPEC.workflow.open_states:
        raise OperationError("Analysen är klar. Återöppna den för att lägga till slutsatser.")
    area = None
    if quality_area_id:
        area = db.session.get(QualityArea, int(quality_area_id))
        if area is None or not area.active:
            raise OperationError("Välj ett kvalitetsområde.", field="quality_area_id")
    with transaction():
        check_version(analys, expected_version)
        row = AnalysSlutsats(analys_id=analys.id, text=text, created_by_id=actor.id,
                             quality_area_id=area.id if area else None)  # fmt: skip
        db.session.add(row)
        if atgard is not None:
            fields = dict(atgard)
            fields.setdefault("unit", analys.unit)
            fields.setdefault("why", text)
            fields.setdefault("source_text", f"Analys {analys.ref}")
            if area is not None:
                fields.setdefault("quality_area_ids", [area.id])
            made = atgarder_operations.create_atgard(actor, source=analys, **fields)
            row.atgard_id = made.id
        analys.version += 1
        db.session.flush()
        audit.record(actor, "analys_slutsats", item=analys, summary="Ny slutsats"
                     + (" och förbättringsåtgärd" if atgard is not None else ""),
                     after={"text": text[:200]})  # fmt: skip
    db.session.refresh(analys)
    return row


def add_theme(actor: User, list_key: str, label: str) -> None:
    """Add a named theme to a category list (the kvalitetsutvecklare's right, as on the list
    page)."""
    if not actor.has_role(Role.KVALITETSUTVECKLARE, Role.ADMIN):
        raise Forbidden("Bara kvalitetsutvecklare kan lägga till kategorier.")
    check_text(label or "", "label")
    admin_operations.add_list_value(actor, list_key, label, set(THEME_LISTS))


def set_plan(actor: User, aktivitet: ArshjulAktivitet, months: int | None) -> None:
    """Mark an årshjul activity as an analysis looking back `months` (None: not an analysis)."""
    if not arshjul_operations.may_edit_plan(actor):
        raise Forbidden()
    if months is not None and months not in (1, 3, 6, 12):
        raise OperationError("Välj 1, 3, 6 eller 12 månader.", field="months")
    with transaction():
        plan = db.session.get(AnalysPlan, aktivitet.id)
        if months is None:
            if plan is not None:
                db.session.delete(plan)
        elif plan is None:
            db.session.add(AnalysPlan(aktivitet_id=aktivitet.id, months=months))
        else:
            plan.months = months
        audit.record(actor, "analys_plan", target=f"arshjul:{aktivitet.id}",
                     summary=f"Analys: {aktivitet.title}", after={"months": months})  # fmt: skip


def mark_typical_year() -> int:
    """Mark the typical year's analysis activities (by their titles) once."""
    made = 0
    for akt in db.session.scalars(
        select(ArshjulAktivitet).where(ArshjulAktivitet.title.in_(list(TYPICAL_PLANS)))
    ):
        if db.session.get(AnalysPlan, akt.id) is None:
            db.session.add(AnalysPlan(aktivitet_id=akt.id, months=TYPICAL_PLANS[akt.title]))
            made += 1
    db.session.flush()
    return made


def mark_typical_year_by(actor: User) -> int:
    """The settings page's button: mark the typical year's analysis activities (e.g. after
    the typical årshjul was put in by hand)."""
    if not arshjul_operations.may_edit_plan(actor):
        raise Forbidden()
    with transaction():
        made = mark_typical_year()
        audit.record(actor, "analys_plan", target="arshjul:typiskt-ar",
                     summary=f"Analyser i det typiska årshjulet ({made})")  # fmt: skip
    return made


def task_of(analys: Analys) -> Item | None:
    return db.session.get(ArshjulUppgift, analys.task_id) if analys.task_id else None


# The årshjul calls this with every task it creates (kvalitet.arshjul.operations).
if create_for_task not in arshjul_operations.OCCURRENCE_HOOKS:
    arshjul_operations.OCCURRENCE_HOOKS.append(create_for_task)
