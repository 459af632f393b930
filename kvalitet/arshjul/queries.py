"""Read side of the årshjul: the year view for a unit subtree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from kvalitet.arshjul.kinds import SPEC
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift, ArsStatus
from kvalitet.arshjul.operations import target_units
from kvalitet.core import clock
from kvalitet.core.permissions import role_paths, units_under, visible_clause
from kvalitet.core.recurrence import MONTH_NAMES, describe, occurrences
from kvalitet.core.roles import Role
from kvalitet.egenkontroll import operations as egenkontroll_operations
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit

if TYPE_CHECKING:
    from kvalitet.core.periods import Period
    from kvalitet.org.models import User

WIDE_ROLES = (Role.ADMIN, Role.KVALITETSUTVECKLARE, Role.SAS, Role.MAS, Role.LASARE)

# Deadlines that other modules show in the year view (mål och indikatorer: the follow-up
# deadlines). A source is called with (user, root, period) and gives entries with "title",
# "date", "url", "total", "done", "overdue" for what the user may see.
SOURCES: list[Callable[[User, Unit, Period], list[dict[str, Any]]]] = []
SCOPE_ROLES = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF)
EGK_ENDPOINT = "egenkontroll.detail"


def scope_units(user: User) -> list[Unit]:
    """Units the user may pick as the root of the year view."""
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.path)
    if not user.has_role(*WIDE_ROLES):
        paths = role_paths(user, SCOPE_ROLES)
        if paths:
            query = query.where(Unit.id.in_(units_under(paths)))
        elif user.home_unit_id:
            query = query.where(Unit.id == user.home_unit_id)
        else:
            return []
    return list(db.session.scalars(query))


def _months(period: Period) -> list[tuple[int, int]]:
    out = []
    year, month = period.start.year, period.start.month
    while date(year, month, 1) <= period.end:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def cell_status(cell: dict[str, Any]) -> tuple[str, str]:
    """(Swedish label, bootstrap colour) of an activity in a month."""
    closed = cell["done"] + cell["not_done"]
    if cell["total"] == 0:
        return "Kommande", "secondary"
    if closed == cell["total"]:
        return ("Genomförd", "success") if cell["not_done"] == 0 else ("Avslutad", "warning")
    if cell["overdue"]:
        return "Försenad", "danger"
    return "Planerad", "primary"


def year_view(user: User, root: Unit, period: Period) -> list[dict[str, Any]]:
    """Twelve months of the period, each with the activities due then in root's subtree:
    counts of tasks (only those the user may see) by status, and occurrences not yet
    created as tasks ("Kommande", computed from the rules)."""
    today = clock.today()
    subtree = units_under([root.path])
    cond = (
        ArshjulUppgift.planned_date >= period.start,
        ArshjulUppgift.planned_date <= period.end,
        Item.unit_id.in_(subtree),
        Item.cancelled_at.is_(None),
        visible_clause(user, [SPEC]),
    )
    open_states = SPEC.workflow.open_states
    rows = db.session.execute(
        select(
            ArshjulUppgift.aktivitet_id,
            ArshjulUppgift.planned_date,
            func.count(Item.id),
            func.count(Item.id).filter(Item.status == ArsStatus.GENOMFORD),
            func.count(Item.id).filter(Item.status == ArsStatus.EJ_GENOMFORD),
            func.count(Item.id).filter(Item.status.in_(open_states), Item.due_date < today),
            func.min(Item.ref),
        )
        .where(*cond)
        .group_by(ArshjulUppgift.aktivitet_id, ArshjulUppgift.planned_date)
    ).all()
    activities = {a.id: a for a in db.session.scalars(select(ArshjulAktivitet))}
    cells: dict[tuple[int, int, int], dict[str, Any]] = {}

    def cell(akt_id: int, day: date) -> dict[str, Any]:
        key = (day.year, day.month, akt_id)
        if key not in cells:
            cells[key] = {"aktivitet": activities[akt_id], "dates": set(), "total": 0,
                          "done": 0, "not_done": 0, "overdue": 0, "upcoming": 0,
                          "ref": None, "endpoint": None,
                          "egenkontroll": False}  # fmt: skip
        return cells[key]

    seen: set[tuple[int, date]] = set()
    for akt_id, day, total, done, not_done, overdue, ref in rows:
        c = cell(akt_id, day)
        c["dates"].add(day)
        c["total"] += total
        c["done"] += done
        c["not_done"] += not_done
        c["overdue"] += overdue
        c["ref"] = ref if c["total"] == 1 else None
        seen.add((akt_id, day))
    # Activities done as an egenkontroll: its occurrences are the tasks (their counts, and a
    # link to the occurrence when there is one).
    seen_months: set[tuple[int, int, int]] = set()
    for akt in activities.values():
        if not akt.egk_metod:
            continue
        for row in egenkontroll_operations.occurrence_counts(
            user, akt.egk_metod, subtree, period.start, period.end
        ):
            day = row["date"]
            c = cell(akt.id, day)
            c["dates"].add(day)
            for key in ("total", "done", "not_done", "overdue"):
                c[key] += row[key]
            single = c["total"] == 1
            c["ref"], c["endpoint"] = (row["ref"], EGK_ENDPOINT) if single else (None, None)
            c["egenkontroll"] = True
            seen_months.add((akt.id, day.year, day.month))
    root_units = {u.id for u in db.session.scalars(select(Unit).where(Unit.id.in_(subtree)))}
    for akt in activities.values():
        if not akt.active:
            continue
        here = [u for u in target_units(akt) if u.id in root_units]
        if not here:
            continue
        for day in occurrences(akt.rule, max(period.start, today), period.end):
            if (akt.id, day) in seen or (akt.id, day.year, day.month) in seen_months:
                continue
            c = cell(akt.id, day)
            c["dates"].add(day)
            c["upcoming"] += len(here)
    extra: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for source in SOURCES:
        for entry in source(user, root, period):
            day = entry["date"]
            extra.setdefault((day.year, day.month), []).append({
                "aktivitet": {"id": entry.get("key", ""), "title": entry["title"]},
                "dates": {day}, "total": entry.get("total", 0), "done": entry.get("done", 0),
                "not_done": 0, "overdue": entry.get("overdue", 0), "upcoming": 0,
                "ref": None, "url": entry.get("url"),
            })  # fmt: skip
    months = []
    for year, month in _months(period):
        entries = [c for (y, m, _), c in cells.items() if (y, m) == (year, month)]
        entries += extra.get((year, month), [])
        for c in entries:
            c["status"], c["colour"] = cell_status(c)
            c["dates"] = sorted(c["dates"])
            rule = getattr(c["aktivitet"], "rule", None)
            c["rule_text"] = describe(rule) if rule is not None else "Uppföljning av mål"
        entries.sort(key=lambda c: (c["dates"][0], _title(c)))
        months.append({
            "year": year, "month": month, "name": MONTH_NAMES[month - 1].capitalize(),
            "current": (year, month) == (today.year, today.month), "entries": entries,
        })  # fmt: skip
    return months


def _title(cell: dict[str, Any]) -> str:
    akt = cell["aktivitet"]
    return str(akt["title"] if isinstance(akt, dict) else akt.title)
