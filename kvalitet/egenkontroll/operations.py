"""Operations on egenkontroller: plans, controls, generation of occurrences, marking missed
occurrences, performing (answers, summary, findings) and turning findings into linked
avvikelser or förbättringsåtgärder. The only code in this module that changes state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kvalitet.atgarder.models import Atgard, AtgardTyp
from kvalitet.avvikelser import operations as avv
from kvalitet.core import audit, clock
from kvalitet.core.db_setup import fold, folded
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.periods import quality_year, quality_year_of
from kvalitet.core.permissions import RIGHTS, holds_role_over, is_admin, require, visible_clause
from kvalitet.core.pii import check_text
from kvalitet.core.recurrence import Rule, occurrences
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.core.workdays import add_working_days
from kvalitet.core.workflow import run_system_transition, run_system_transition_in_bulk
from kvalitet.egenkontroll.kinds import SPEC
from kvalitet.egenkontroll.models import (
    RESPONSIBLE_ROLES,
    Egenkontroll,
    EgenkontrollPlan,
    EgkStatus,
    Fraga,
    Fynd,
    Kontroll,
    Metod,
    PlanStatus,
    Svar,
    SvarRad,
    kontroll_unit,
)
from kvalitet.extensions import db
from kvalitet.items.models import LinkType, ListEntry
from kvalitet.items.operations import link_items, new_item
from kvalitet.notify.operations import Told, mail_in_bulk, notify, notify_in_bulk
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import chefs_of, holders_over

# Who may write and adopt plans for a scope (role held at or above the scope unit).
PLAN_ROLES = RIGHTS["egenkontroll.manage_plans"]
OPEN_STATES = (EgkStatus.PLANERAD, EgkStatus.PAGAENDE)
MAX_CASES = 200
# The methods (value, Swedish label), for other modules' choices (the årshjul).
METOD_CHOICES = [(str(m), m.label) for m in Metod]
METOD_VALUES = tuple(str(m) for m in Metod)


def ahead_days() -> int:
    if has_app_context():
        return int(current_app.config.get("EGENKONTROLL_GENERATE_AHEAD_DAYS", 30))
    return 30


def may_manage_plan(user: User, scope: Unit) -> bool:
    return is_admin(user) or holds_role_over(user, PLAN_ROLES, scope)


def _require_plan(user: User, scope: Unit) -> None:
    if not may_manage_plan(user, scope):
        raise Forbidden("Du har inte behörighet att ändra egenkontrollplaner för enheten.")


def _text(value: Any, field: str, limit: int, required: str | None = None) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise OperationError(required, field=field)
    if len(text) > limit:
        raise OperationError(f"Texten är för lång (högst {limit} tecken).", field=field)
    check_text(text, field)
    return text


# --- plans ------------------------------------------------------------------------------


def create_plan(
    actor: User, *, year: int, name: str, scope: Unit, description: str = ""
) -> EgenkontrollPlan:
    """A new plan (utkast) for the quality year starting in `year` and the subtree `scope`."""
    _require_plan(actor, scope)
    name = _text(name, "name", 200, "Ange planens namn.")
    description = _text(description, "description", 5000)
    if not 2000 <= int(year) <= 2100:
        raise OperationError("Ange ett giltigt kvalitetsår.", field="year")
    exists = db.session.scalar(
        select(func.count(EgenkontrollPlan.id)).where(
            EgenkontrollPlan.year == year,
            EgenkontrollPlan.scope_unit_id == scope.id,
            EgenkontrollPlan.name == name,
        )
    )
    if exists:
        raise OperationError("Det finns redan en plan med det namnet för året.", field="name")
    with transaction():
        plan = EgenkontrollPlan(
            year=int(year),
            name=name,
            description=description,
            scope_unit_id=scope.id,
            scope_unit=scope,
            status=PlanStatus.UTKAST,
            created_by_id=actor.id,
        )
        db.session.add(plan)
        db.session.flush()
        audit.record(
            actor, "egk_plan_created", target=f"egk_plan:{plan.id}", summary=f"Ny plan {name}"
        )
    return plan


def update_plan(
    actor: User, plan: EgenkontrollPlan, *, name: str, description: str = ""
) -> EgenkontrollPlan:
    _require_plan(actor, plan.scope_unit)
    name = _text(name, "name", 200, "Ange planens namn.")
    description = _text(description, "description", 5000)
    with transaction():
        before = audit.snapshot(plan, ["name", "description"])
        plan.name = name
        plan.description = description
        old, new = audit.changed(before, audit.snapshot(plan, ["name", "description"]))
        if new:
            audit.record(actor, "egk_plan_edit", target=f"egk_plan:{plan.id}",
                         summary="Ändrade planen", before=old, after=new)  # fmt: skip
    return plan


def adopt_plan(actor: User, plan: EgenkontrollPlan, on: date | None = None) -> int:
    """Fastställ the plan; from then on its occurrences are generated. Returns how many
    occurrences were created at once."""
    _require_plan(actor, plan.scope_unit)
    if plan.status == PlanStatus.FASTSTALLD:
        raise OperationError("Planen är redan fastställd.")
    if not any(k.active for k in plan.kontroller):
        raise OperationError("Lägg till minst en kontroll innan planen fastställs.")
    with transaction():
        plan.status = PlanStatus.FASTSTALLD
        plan.adopted_on = on or clock.today()
        plan.adopted_by_id = actor.id
        audit.record(actor, "egk_plan_adopted", target=f"egk_plan:{plan.id}",
                     summary=f"Fastställde planen {plan.name}")  # fmt: skip
    return generate_occurrences(plans=[plan])


# --- controls ---------------------------------------------------------------------------


def _questions(lines: Iterable[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if len(text) > 500:
            raise OperationError("En fråga får ha högst 500 tecken.", field="questions")
        check_text(text, "questions")
        if text not in out:
            out.append(text)
    return out


def save_kontroll(
    actor: User,
    plan: EgenkontrollPlan,
    kontroll: Kontroll | None = None,
    *,
    title: str,
    rule: Rule,
    units: list[Unit],
    questions: list[str],
    description: str = "",
    method: str = Metod.CHECKLISTA,
    sample_size: int = 5,
    responsible_role: str = Role.ENHETSCHEF,
    due_working_days: int = 10,
    active: bool = True,
) -> Kontroll:
    """Create or update a control of `plan`. Removed questions are deactivated (answers keep
    them); units must lie within the plan's scope."""
    _require_plan(actor, plan.scope_unit)
    if kontroll is not None and kontroll.plan_id != plan.id:
        raise OperationError("Kontrollen hör inte till planen.")
    title = _text(title, "title", 300, "Ange vad som kontrolleras.")
    description = _text(description, "description", 5000)
    if method not in set(Metod):
        raise OperationError("Välj metod.", field="method")
    if not 1 <= int(sample_size) <= MAX_CASES:
        raise OperationError(f"Urvalet ska vara 1–{MAX_CASES} ärenden.", field="sample_size")
    if responsible_role not in {str(r) for r in RESPONSIBLE_ROLES}:
        raise OperationError("Välj ansvarig roll.", field="responsible_role")
    if not 0 <= int(due_working_days) <= 120:
        raise OperationError("Ange 0–120 arbetsdagar.", field="due_working_days")
    if not units:
        raise OperationError("Välj minst en enhet.", field="unit_ids")
    for unit in units:
        if not unit.is_within(plan.scope_unit) or not unit.active:
            raise OperationError(
                f"{unit.name} ligger utanför planens omfattning.", field="unit_ids"
            )
    texts = _questions(questions)
    if not texts:
        raise OperationError("Skriv minst en fråga i checklistan.", field="questions")
    with transaction():
        created = kontroll is None
        if kontroll is None:
            kontroll = Kontroll(plan_id=plan.id, plan=plan)
            db.session.add(kontroll)
        fields = ["title", "description", "method", "sample_size", "rule_data",
                  "responsible_role", "due_working_days", "active"]  # fmt: skip
        before = audit.snapshot(kontroll, fields) if not created else {}
        kontroll.title = title
        kontroll.description = description
        kontroll.method = str(method)
        kontroll.sample_size = int(sample_size)
        kontroll.rule_data = rule.to_dict()
        kontroll.responsible_role = str(responsible_role)
        kontroll.due_working_days = int(due_working_days)
        kontroll.active = bool(active)
        kontroll.units = list(units)
        existing = {f.text: f for f in kontroll.fragor}
        for order, text in enumerate(texts):
            fraga = existing.pop(text, None)
            if fraga is None:
                fraga = Fraga(text=text, kontroll=kontroll)
                db.session.add(fraga)
            fraga.sort_order = order
            fraga.active = True
        for fraga in existing.values():
            fraga.active = False
        db.session.flush()
        old, new = audit.changed(before, audit.snapshot(kontroll, fields))
        audit.record(
            actor,
            "egk_kontroll_created" if created else "egk_kontroll_edit",
            target=f"egk_kontroll:{kontroll.id}",
            summary=("Ny kontroll: " if created else "Ändrade kontroll: ") + title[:200],
            before=old or None,
            after={**new, "enheter": [u.name for u in units], "frågor": texts},
        )
    return kontroll


# --- generation (the scheduler job) -------------------------------------------------------


def responsible_for(kontroll: Kontroll, unit: Unit) -> User | None:
    """The holder of the control's responsible role at the unit (nearest above if none at the
    unit), else the unit's chef."""
    holders = holders_over(unit, [kontroll.responsible_role]) or chefs_of(unit)
    return holders[0] if holders else None


def _window(plan: EgenkontrollPlan, today: date, ahead: int) -> tuple[date, date]:
    year = quality_year(plan.year)
    start = max(year.start, plan.adopted_on or today)
    return start, min(year.end, today + timedelta(days=ahead))


def generate_occurrences(
    today: date | None = None,
    ahead: int | None = None,
    plans: Iterable[EgenkontrollPlan] | None = None,
) -> int:
    """Create the occurrences (EGK items) of every active control of adopted plans whose
    planned date falls between the plan's adoption (or quality-year start) and `ahead` days
    from today. Idempotent: an occurrence that exists (control, unit, planned date) is never
    created again, also when two processes run at once (unique constraint). Returns the count
    created."""
    today = today or clock.today()
    ahead = ahead_days() if ahead is None else ahead
    if plans is None:
        # The sweep: plans of this quality year and later. A plan of a year that has ended
        # (one brought in as history) gets no occurrences made after the fact, which would
        # only stand as missed work in someone's inbox; its adoption made what was due then.
        plans = db.session.scalars(
            select(EgenkontrollPlan).where(
                EgenkontrollPlan.status == PlanStatus.FASTSTALLD,
                EgenkontrollPlan.year >= quality_year_of(today).start.year,
            )
        ).all()
    created = 0
    for plan in plans:
        window_start, window_end = _window(plan, today, ahead)
        if window_end < window_start:
            continue
        for kontroll in plan.kontroller:
            if not kontroll.active:
                continue
            dates = occurrences(kontroll.rule, window_start, window_end)
            if not dates:
                continue
            existing = set(
                db.session.execute(
                    select(Egenkontroll.occurrence_unit_id, Egenkontroll.planned_date).where(
                        Egenkontroll.kontroll_id == kontroll.id,
                        Egenkontroll.planned_date >= dates[0],
                        Egenkontroll.planned_date <= dates[-1],
                    )
                ).all()
            )
            for unit in kontroll.units:
                if not unit.active:
                    continue
                for planned in dates:
                    if (unit.id, planned) in existing:
                        continue
                    if _create_occurrence(kontroll, unit, planned, notify_owner=planned >= today):
                        created += 1
    db.session.flush()
    return created


def covered_months(metod: str, start: date, end: date) -> set[tuple[int, int, int]]:
    """(unit id, year, month) in which an adopted plan's active control of `metod` has an
    occurrence at the unit, in the months from `start` to `end` (by its rule, within the
    window the plan generates for: from the quality-year start or adoption). The årshjul
    makes no task of its own there (kvalitet.arshjul.operations.generate_occurrences): the
    occurrence is the task. Computed from the rules, so it holds before the occurrence is
    generated."""
    found: set[tuple[int, int, int]] = set()
    # Whole months: the loggkontroll on the 15th covers the årshjul's last working day.
    start = start.replace(day=1)
    end = (end.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    plans = db.session.scalars(
        select(EgenkontrollPlan).where(
            EgenkontrollPlan.status == PlanStatus.FASTSTALLD,
            EgenkontrollPlan.year >= start.year - 1,
            EgenkontrollPlan.year <= end.year,
        )
    )
    for plan in plans:
        year = quality_year(plan.year)
        window_start = max(start, year.start, plan.adopted_on or year.start)
        window_end = min(end, year.end)
        if window_end < window_start:
            continue
        for kontroll in plan.kontroller:
            if not kontroll.active or kontroll.method != metod:
                continue
            days = occurrences(kontroll.rule, window_start, window_end)
            for unit in kontroll.units:
                if unit.active:
                    found.update((unit.id, day.year, day.month) for day in days)
    return found


def occurrence_counts(
    user: User, metod: str, unit_ids: Any, start: date, end: date
) -> list[dict[str, Any]]:
    """The occurrences of controls of `metod` at `unit_ids` planned between start and end
    that `user` may see, per planned date: total, done (performed), not done (written off),
    overdue (open past the due date) and the reference when there is one. For the årshjul's
    year view of an activity done as an egenkontroll."""
    today = clock.today()
    open_states = [str(s) for s in OPEN_STATES] + [str(EgkStatus.MISSAD)]
    rows = db.session.execute(
        select(
            Egenkontroll.planned_date,
            func.count(Egenkontroll.id),
            func.count(Egenkontroll.id).filter(Egenkontroll.status == EgkStatus.GENOMFORD),
            func.count(Egenkontroll.id).filter(Egenkontroll.status == EgkStatus.AVSKRIVEN),
            func.count(Egenkontroll.id).filter(
                Egenkontroll.status.in_(open_states), Egenkontroll.due_date < today
            ),
            func.min(Egenkontroll.ref),
        )
        .join(Kontroll, Kontroll.id == Egenkontroll.kontroll_id)
        .where(
            Kontroll.method == metod,
            Egenkontroll.planned_date >= start,
            Egenkontroll.planned_date <= end,
            Egenkontroll.unit_id.in_(unit_ids),
            Egenkontroll.cancelled_at.is_(None),
            visible_clause(user, [SPEC]),
        )
        .group_by(Egenkontroll.planned_date)
    ).all()
    return [
        {"date": day, "total": total, "done": done, "not_done": not_done,
         "overdue": overdue, "ref": ref if total == 1 else None}
        for day, total, done, not_done, overdue, ref in rows
    ]  # fmt: skip


def _create_occurrence(
    kontroll: Kontroll, unit: Unit, planned: date, notify_owner: bool = True
) -> bool:
    owner = responsible_for(kontroll, unit)
    try:
        with db.session.begin_nested():
            item = new_item(
                Egenkontroll,
                None,
                title=kontroll.title[:300],
                description=kontroll.description,
                unit_id=unit.id,
                unit=unit,
                owner_id=owner.id if owner else None,
                kontroll_id=kontroll.id,
                kontroll=kontroll,
                occurrence_unit_id=unit.id,
                planned_date=planned,
                due_date=add_working_days(planned, kontroll.due_working_days),
                case_count=kontroll.sample_size,
                ref_year=planned.year,
            )
            db.session.flush()
    except IntegrityError:
        return False
    # Catching up past dates (after downtime) does not flood the owner; mark_missed tells.
    if owner is not None and notify_owner:
        notify([owner], f"Egenkontroll {item.ref} är planerad till {planned:%Y-%m-%d}",
               item=item, purpose="egenkontroll")  # fmt: skip
    return True


# Occurrences marked missed per batch (a statement or two each, whatever the batch's size).
MISS_BATCH = 2000
MISSED_TITLE = "Egenkontroller som inte genomförts i tid"


def mark_missed(today: date | None = None) -> int:
    """Occurrences not performed by their due date become "Missad" (and stay visible as
    such); the owner is told. Returns the count.

    Set-based: the overdue occurrences are found in one query and taken through the
    workflow's system transition "missa" in batches of MISS_BATCH
    (kvalitet.core.workflow.run_system_transition_in_bulk: the source-state check, the
    UPDATE guarded against a concurrent change, the same audit entry as one by one), their
    missed_at set by one UPDATE and the owners' notifications written as batched inserts.
    A person told about more than NOTIFY_BULK_MAIL_AFTER occurrences gets one mail listing
    them (kvalitet.notify.operations.mail_in_bulk). Safe to repeat and to run twice at once:
    an occurrence taken by the other run is not taken again."""
    today = today or clock.today()
    size = int(current_app.config.get("EGENKONTROLL_MISS_BATCH", MISS_BATCH))
    db.session.flush()
    due = db.session.execute(
        select(Egenkontroll.id, Egenkontroll.ref, Egenkontroll.owner_id, User.active)
        .outerjoin(User, User.id == Egenkontroll.owner_id)
        .where(
            Egenkontroll.status.in_([str(s) for s in OPEN_STATES]),
            Egenkontroll.cancelled_at.is_(None),
            Egenkontroll.due_date < today,
        )
        .order_by(Egenkontroll.id)
    ).all()
    if not due:
        return 0
    told: Told = {}
    missed = 0
    with transaction():
        for start in range(0, len(due), size):
            batch = due[start : start + size]
            taken = run_system_transition_in_bulk(Egenkontroll, [r.id for r in batch], "missa")
            if not taken:
                continue
            db.session.execute(
                update(Egenkontroll.__table__)
                .where(Egenkontroll.__table__.c.id.in_(list(taken)))
                .values(missed_at=clock.now())
            )
            notices = [
                (r.owner_id, r.id, r.ref, f"Egenkontroll {r.ref} har inte genomförts i tid")
                for r in batch
                if r.id in taken and r.owner_id is not None and r.active
            ]
            for user_id, notes in notify_in_bulk(notices, "egenkontroll").items():
                told.setdefault(user_id, []).extend(notes)
            missed += len(taken)
        mail_in_bulk(told, "egenkontroll", MISSED_TITLE)
    return missed


def generate_due_occurrences() -> dict[str, int]:
    """The scheduler job: generate occurrences ahead of time, then mark missed ones."""
    return {"created": generate_occurrences(), "missed": mark_missed()}


# --- performing ---------------------------------------------------------------------------


def set_due_date(
    actor: User, item: Egenkontroll, due: date | None, *, expected_version: int | None = None
) -> Egenkontroll:
    """Move the due date (the planned date is fixed). A missed occurrence whose new due date
    lies ahead becomes planned/started again."""
    require(actor, "edit", item)
    if due is None:
        raise OperationError("Ange ett datum (ÅÅÅÅ-MM-DD).", field="due_date")
    if due < item.planned_date:
        raise OperationError("Sista datum kan inte vara före planerat datum.", field="due_date")
    if not item.is_open:
        raise OperationError("Egenkontrollen är avslutad.", field="due_date")
    with transaction():
        check_version(item, expected_version)
        before = {"due_date": item.due_date, "status": item.status}
        item.due_date = due
        if item.status == EgkStatus.MISSAD and due >= clock.today():
            run_system_transition(item, "ateruppta" if item.svar else "aterplanera", actor=actor)
            item.missed_at = None
        audit.record(actor, "edit", item=item, summary="Ändrade sista datum", before=before,
                     after={"due_date": due, "status": item.status})  # fmt: skip
    return item


def save_answers(
    actor: User,
    item: Egenkontroll,
    *,
    case_count: int,
    answers: dict[tuple[int, int], str | None],
    summary: str = "",
    complete: bool = False,
    expected_version: int | None = None,
) -> Egenkontroll:
    """Save the answers (fraga_id, case_no) → ja/nej/ej_aktuellt for cases 1..case_count and
    the summary. With complete=True every answer and the summary are required and the
    occurrence becomes Genomförd (also when it had been missed: it then shows as late)."""
    require(actor, "edit", item)
    if item.status in (EgkStatus.GENOMFORD, EgkStatus.AVSKRIVEN) or item.is_cancelled:
        raise OperationError("Egenkontrollen är avslutad och kan inte ändras.")
    if not 1 <= int(case_count) <= MAX_CASES:
        raise OperationError(f"Antal ärenden ska vara 1–{MAX_CASES}.", field="case_count")
    summary = _text(summary, "summary", 10000)
    questions = {f.id: f for f in item.kontroll.active_fragor}
    answered = {f.id for f in item.kontroll.fragor}
    for (fraga_id, case_no), value in answers.items():
        if fraga_id not in answered or case_no < 1:
            raise OperationError("Okänd fråga.", field="answers")
        if value not in (None, "") and value not in set(Svar):
            raise OperationError("Svara ja, nej eller ej aktuellt.", field="answers")
    if complete:
        missing = [
            (q, c)
            for q in questions
            for c in range(1, int(case_count) + 1)
            if not answers.get((q, c))
        ]
        if missing:
            raise OperationError(
                f"Besvara alla frågor för alla ärenden ({len(missing)} svar saknas).",
                field="answers",
            )
        if not summary:
            raise OperationError("Skriv en sammanfattning.", field="summary")
    with transaction():
        check_version(item, expected_version)
        rows = {(r.fraga_id, r.case_no): r for r in item.svar}
        for key, row in rows.items():
            if key[1] > int(case_count) or not answers.get(key):
                db.session.delete(row)
        for (fraga_id, case_no), value in answers.items():
            if not value or case_no > int(case_count):
                continue
            current = rows.get((fraga_id, case_no))
            if current is None:
                db.session.add(SvarRad(egenkontroll=item, fraga_id=fraga_id, case_no=case_no,
                                       answer=str(value)))  # fmt: skip
            else:
                current.answer = str(value)
        old_status = item.status
        item.case_count = int(case_count)
        item.summary = summary
        if complete:
            run_system_transition(item, "genomfor", actor=actor)
            item.performed_at = item.closed_at or clock.now()
            item.performed_on = clock.today()
            item.performed_by_id = actor.id
        elif item.status == EgkStatus.PLANERAD:
            run_system_transition(item, "paborja", actor=actor)
        db.session.flush()
        audit.record(
            actor,
            "transition" if item.status != old_status else "edit",
            item=item,
            summary="Genomförde egenkontrollen" if complete else "Sparade svar",
            before={"status": old_status},
            after={"status": item.status, "antal ärenden": item.case_count},
        )
    db.session.refresh(item)
    return item


def results(item: Egenkontroll) -> list[dict[str, Any]]:
    """Per question: n (ja), N (ja + nej; ej aktuellt does not count), ej aktuellt, share."""
    rows = db.session.execute(
        select(SvarRad.fraga_id, SvarRad.answer, func.count(SvarRad.id))
        .where(SvarRad.egenkontroll_id == item.id)
        .group_by(SvarRad.fraga_id, SvarRad.answer)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for fraga_id, answer, count in rows:
        counts.setdefault(fraga_id, {})[answer] = count
    used = set(counts)
    out = []
    for fraga in item.kontroll.fragor:
        if not fraga.active and fraga.id not in used:
            continue
        c = counts.get(fraga.id, {})
        n, nej = c.get(Svar.JA, 0), c.get(Svar.NEJ, 0)
        total = n + nej
        out.append({"fraga": fraga, "n": n, "N": total, "nej": nej,
                    "ej_aktuellt": c.get(Svar.EJ_AKTUELLT, 0),
                    "andel": round(100 * n / total) if total else None})  # fmt: skip
    return out


def add_finding(actor: User, item: Egenkontroll, text: str) -> Fynd:
    require(actor, "edit", item)
    if item.is_cancelled:
        raise OperationError("Egenkontrollen är makulerad.")
    text = _text(text, "text", 2000, "Beskriv fyndet.")
    with transaction():
        fynd = Fynd(egenkontroll=item, text=text, created_at=clock.now(),
                    created_by_id=actor.id)  # fmt: skip
        db.session.add(fynd)
        audit.record(actor, "egk_fynd", item=item, summary="Nytt fynd")
    return fynd


def _unused(fynd: Fynd) -> None:
    if fynd.result_item_id is not None:
        raise OperationError("Fyndet har redan gjorts om till ett ärende.")


def finding_to_atgard(actor: User, fynd: Fynd) -> Any:
    """One click: a förbättringsåtgärd from the finding, owned by the occurrence's owner and
    linked egenkontroll → åtgärd."""

    item = fynd.egenkontroll
    require(actor, "link", item)
    _unused(fynd)
    with transaction():
        atgard = new_item(
            Atgard,
            actor,
            title=f"Åtgärd efter egenkontroll {item.ref}",
            description=fynd.text,
            why=f"Fynd i egenkontroll {item.ref}: {item.title}"[:2000],
            source_text="Egenkontroll",
            atgard_typ=AtgardTyp.KORRIGERANDE,
            unit_id=item.unit_id,
            unit=item.unit,
            reporter_id=actor.id,
            owner_id=item.owner_id or actor.id,
        )
        db.session.flush()
        link_items(item, atgard, actor, LinkType.ATGARD)
        audit.record(actor, "link", item=atgard, summary=f"Skapad utifrån {item.ref}")
        fynd.result_item_id = atgard.id
        if atgard.owner_id and atgard.owner_id != actor.id:
            notify([atgard.owner_id], f"Du är ansvarig för förbättringsåtgärd {atgard.ref}",
                   item=atgard, purpose="action")  # fmt: skip
    return atgard


def finding_to_avvikelse(actor: User, fynd: Fynd, category_id: int | None = None) -> Any:
    """One click: an avvikelse reported from the finding (linked egenkontroll → avvikelse)."""

    item = fynd.egenkontroll
    require(actor, "link", item)
    _unused(fynd)
    if category_id is None:
        category_id = db.session.scalar(
            select(ListEntry.id)
            .where(ListEntry.list_key == avv.CATEGORY_LIST, ListEntry.active.is_(True))
            .order_by((ListEntry.label == "Dokumentation").desc(), ListEntry.sort_order)
            .limit(1)
        )
    with transaction():
        avvikelse = avv.report_avvikelse(
            actor,
            source=item,
            unit=item.unit,
            title=f"Fynd i egenkontroll {item.ref}",
            description=fynd.text,
            category_id=category_id,
            noticed_at=clock.now(),
        )
        db.session.flush()
        fynd.result_item_id = avvikelse.id
    return avvikelse


def copy_plan(actor: User, plan: EgenkontrollPlan, year: int | None = None) -> EgenkontrollPlan:
    """Copy a plan with its active controls, units and questions to another quality year
    (default the next) as an utkast; the rules' dates move by the same number of years."""
    from dateutil.relativedelta import relativedelta

    year = year or plan.year + 1
    shift = relativedelta(years=year - plan.year)
    with transaction():  # the plan and all its controls, or nothing
        return _copy_kontroller(actor, plan, year, shift)


def _copy_kontroller(
    actor: User, plan: EgenkontrollPlan, year: int, shift: Any
) -> EgenkontrollPlan:
    new_plan = create_plan(
        actor, year=year, name=plan.name, scope=plan.scope_unit, description=plan.description
    )
    for kontroll in plan.kontroller:
        if not kontroll.active:
            continue
        rule = kontroll.rule
        moved = Rule(
            freq=rule.freq,
            start=rule.start + shift,
            interval=rule.interval,
            day=rule.day,
            month=rule.month,
            until=rule.until + shift if rule.until else None,
        )
        save_kontroll(
            actor,
            new_plan,
            title=kontroll.title,
            description=kontroll.description,
            method=kontroll.method,
            sample_size=kontroll.sample_size,
            rule=moved,
            responsible_role=kontroll.responsible_role,
            due_working_days=kontroll.due_working_days,
            units=[u for u in kontroll.units if u.active],
            questions=[f.text for f in kontroll.active_fragor],
        )
    return new_plan


# --- history ----------------------------------------------------------------------------


def record_occurrence(
    actor: User, *, kontroll: str, unit: Unit, planned_date: date
) -> Egenkontroll:
    """The occurrence of a control on a date, for bringing in an earlier year's results
    (the import): the control of that name in the adopted plan of the date's quality year
    that covers `unit`. The occurrence is made (without a notice) if the plan's scheduling
    has not made it; one already performed or written off is refused."""
    _require_plan(actor, unit)
    period = quality_year_of(planned_date)
    wanted = fold(kontroll.strip())
    found = db.session.scalars(
        select(Kontroll)
        .join(EgenkontrollPlan, EgenkontrollPlan.id == Kontroll.plan_id)
        .join(kontroll_unit, kontroll_unit.c.kontroll_id == Kontroll.id)
        .where(
            EgenkontrollPlan.status == PlanStatus.FASTSTALLD,
            EgenkontrollPlan.year == period.start.year,
            kontroll_unit.c.unit_id == unit.id,
            folded(Kontroll.title) == wanted,
        )
        .order_by(Kontroll.id)
    ).first()
    if found is None:
        raise OperationError(
            f"Ingen kontroll ”{kontroll.strip()}” vid {unit.name} i en fastställd "
            f"egenkontrollplan för {period.label}. Lägg in och fastställ planen först.",
            field="kontroll",
        )
    existing = db.session.scalar(
        select(Egenkontroll).where(
            Egenkontroll.kontroll_id == found.id,
            Egenkontroll.occurrence_unit_id == unit.id,
            Egenkontroll.planned_date == planned_date,
        )
    )
    if existing is None:
        _create_occurrence(found, unit, planned_date, notify_owner=False)
        existing = db.session.scalar(
            select(Egenkontroll).where(
                Egenkontroll.kontroll_id == found.id,
                Egenkontroll.occurrence_unit_id == unit.id,
                Egenkontroll.planned_date == planned_date,
            )
        )
    assert existing is not None
    if existing.status in (EgkStatus.GENOMFORD, EgkStatus.AVSKRIVEN):
        raise OperationError(
            f"Egenkontrollen {existing.ref} den {planned_date:%Y-%m-%d} är redan avslutad.",
            field="planned_date",
        )
    return existing
