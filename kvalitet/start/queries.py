"""The start page's figures. Every count is one SQL query over the items the user may see
(the one policy's `visible_clause`), never a filter in Python after loading."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, select, union_all

from kvalitet.core import clock
from kvalitet.core.permissions import kind_branches, role_paths, visible_clause
from kvalitet.core.registry import all_kinds, kind_spec
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import inbox_counts, unit_overview
from kvalitet.lexsarah.kinds import SPEC as LXS
from kvalitet.lexsarah.kinds import late_clause

if TYPE_CHECKING:
    from kvalitet.org.models import User

# The year's work of the kvalitetsutvecklare: egenkontroller (from the plans), the
# kvalitetsberättelse's texts, and the förbättringsåtgärder followed up.
PROGRESS_KINDS = (("EGK", "Egenkontroller"), ("KBN", "Texter till kvalitetsberättelsen"),
                  ("ATG", "Förbättringsåtgärder"))  # fmt: skip


def mine(user: User) -> dict[str, Any]:
    """Due, late and new in the user's inbox (what they own or must act on)."""
    counts = inbox_counts(user)  # with "nya", in the same query as the inbox's tabs
    return {"late": counts["forsenade"], "soon": counts["snart"], "all": counts["alla"],
            "new": counts["nya"]}  # fmt: skip


def chef(user: User) -> dict[str, Any] | None:
    """For chefs: open and late work of their units (only items they may see)."""
    paths = role_paths(user, CHEF_ROLES)
    if not paths:
        return None
    rows = [r for r in unit_overview(user, paths) if r["open"]]
    return {
        "rows": rows,
        "open": sum(r["open"] for r in rows),
        "late": sum(r["overdue"] for r in rows),
    }


def sas(user: User) -> dict[str, Any] | None:
    """For SAS: the lex Sarah board's headline (open cases, late, per step)."""
    if not role_paths(user, [Role.SAS]):
        return None
    # On item alone (every case has its lexsarah_arende row): the permission clause and the
    # open states are then one index range, read without the table.
    rows = db.session.execute(
        select(Item.status, func.count(Item.id), func.count(Item.id).filter(late_clause()))
        .where(
            visible_clause(user, [LXS]),
            Item.cancelled_at.is_(None),
            Item.status.in_(LXS.workflow.open_states),
        )
        .group_by(Item.status)
    ).all()
    per_step: dict[str, int] = {status: n for status, n, _ in rows}
    return {
        "open": sum(per_step.values()),
        "late": sum(n_late for _, _, n_late in rows),
        "steps": [
            (LXS.workflow.state_label(state), per_step[state])
            for state in LXS.workflow.states
            if per_step.get(state)
        ],
    }


def year_progress(user: User, year: int | None = None) -> list[dict[str, Any]] | None:
    """For the kvalitetsutvecklare: this year's egenkontroller, report texts and
    åtgärder, done of all (items due this year that the user may see)."""
    if not role_paths(user, [Role.KVALITETSUTVECKLARE]):
        return None
    year = year or clock.today().year
    codes = [code for code, _ in PROGRESS_KINDS if _registered(code)]
    if not codes:
        return []
    # One count per kind, added up (UNION ALL; the kinds are disjoint), each with its own
    # permission branches: an index-only range of ix_item_kind_due_visible, where one
    # statement with the policy's OR over the three kinds read the heap of every item due
    # in the year (27 ms for the kvalitetsutvecklare at 1,000,000 items).
    parts = []
    for code in codes:
        spec = kind_spec(code)
        branches = kind_branches(user, spec)
        if branches is None:
            continue
        parts.append(
            select(
                literal(code).label("kind"),
                func.count().label("total"),
                func.count().filter(Item.status.in_(spec.workflow.closed_states)).label("done"),
            ).where(
                Item.kind == code,
                Item.due_date >= date(year, 1, 1),
                Item.due_date <= date(year, 12, 31),
                Item.cancelled_at.is_(None),
                branches,
            )
        )
    rows = db.session.execute(union_all(*parts)).all() if parts else []
    found = {kind: (total, done) for kind, total, done in rows}
    result = []
    for code, label in PROGRESS_KINDS:
        if code not in codes:
            continue
        total, done = found.get(code, (0, 0))
        percent = round(100 * done / total) if total else 0
        result.append({"kind": code, "label": label, "total": total, "done": done,
                       "percent": percent})  # fmt: skip
    return result


def _registered(code: str) -> bool:
    return any(spec.code == code for spec in all_kinds())


def overview(user: User) -> dict[str, Any]:
    return {
        "mine": mine(user),
        "chef": chef(user),
        "sas": sas(user),
        "progress": year_progress(user),
        "year": clock.today().year,
    }
