"""Read side of mål och indikatorer: who may see and change a plan, target evaluation, the
proposed assessment, the follow-up board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context, url_for
from sqlalchemy import ColumnElement, false, or_, select

from kvalitet.arshjul import queries as arshjul_queries
from kvalitet.core import clock
from kvalitet.core.errors import NotFound
from kvalitet.core.permissions import may, right_paths, role_paths
from kvalitet.core.roles import Role
from kvalitet.egenkontroll.models import EgenkontrollPlan, Kontroll
from kvalitet.extensions import db
from kvalitet.mal import periods
from kvalitet.mal.models import (
    Bedomning,
    Enhetstyp,
    Indikator,
    Internkontroll,
    Mal,
    MalBedomning,
    Riktning,
    Uppfoljningsuppgift,
    Utfall,
    Verksamhetsplan,
)
from kvalitet.org.models import Unit

if TYPE_CHECKING:
    from kvalitet.core.periods import Period
    from kvalitet.org.models import User

EDITOR_ROLES = (Role.KVALITETSUTVECKLARE, Role.ADMIN, Role.AVDELNINGSCHEF, Role.ENHETSCHEF)
ANY_ROLE = tuple(Role)
# The right to build and change a unit's verksamhetsplan is "mal.manage" in the one policy's
# RIGHTS (kvalitet/core/permissions.py).


# --- permissions ----------------------------------------------------------------------------


def visible_plan_clause(user: User) -> ColumnElement[bool]:
    """Plans at a unit in a subtree where the user holds a role, or above such a unit (a
    lower unit reads the nämnd's plan to adopt its goals). Plans of other branches: none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    paths = role_paths(user, ANY_ROLE)
    if not paths:
        return false()
    ancestor_ids = {int(part) for p in paths for part in p.strip("/").split("/") if part}
    below = select(Unit.id).where(or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]))
    return or_(Verksamhetsplan.unit_id.in_(below), Verksamhetsplan.unit_id.in_(ancestor_ids))


def may_view_plan(user: User | None, plan: Verksamhetsplan) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(
        db.session.scalar(
            select(Verksamhetsplan.id).where(
                Verksamhetsplan.id == plan.id, visible_plan_clause(user)
            )
        )
    )


def may_edit_plan(user: User | None, plan_unit: Unit) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return may(user, "mal.manage", plan_unit)


def may_report(user: User | None, indikator: Indikator) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return indikator.responsible_id == user.id or may_edit_plan(user, indikator.mal.plan.unit)


def may_assess(user: User | None, mal: Mal) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if mal.owner_id == user.id:
        return True
    if any(i.responsible_id == user.id for i in mal.indikatorer):
        return True
    return may_edit_plan(user, mal.plan.unit)


def load_plan(plan_id: int, user: User) -> Verksamhetsplan:
    plan = db.session.get(Verksamhetsplan, plan_id)
    if plan is None or not may_view_plan(user, plan):
        raise NotFound()
    return plan


def load_mal(mal_id: int, user: User) -> Mal:
    mal = db.session.get(Mal, mal_id)
    if mal is None or not may_view_plan(user, mal.plan):
        raise NotFound()
    return mal


def load_indikator(indikator_id: int, user: User) -> Indikator:
    ind = db.session.get(Indikator, indikator_id)
    if ind is None or not may_view_plan(user, ind.mal.plan):
        raise NotFound()
    return ind


def visible_plans(user: User) -> list[Verksamhetsplan]:
    return list(
        db.session.scalars(
            select(Verksamhetsplan)
            .join(Unit, Unit.id == Verksamhetsplan.unit_id)
            .where(visible_plan_clause(user))
            .order_by(Verksamhetsplan.year.desc(), Unit.path)
        )
    )


def editable_units(user: User) -> list[Unit]:
    paths = right_paths(user, "mal.manage")
    if not paths:
        return []
    return list(
        db.session.scalars(
            select(Unit)
            .where(
                or_(*[Unit.path.startswith(p, autoescape=True) for p in paths]),
                Unit.active.is_(True),
            )
            .order_by(Unit.path)
        )
    )


# --- values and targets ----------------------------------------------------------------------


def fmt_value(value: float | None, unit_of_measure: str) -> str:
    if value is None:
        return "–"
    if unit_of_measure == Enhetstyp.JANEJ:
        return "Ja" if value >= 0.5 else "Nej"
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    if unit_of_measure == Enhetstyp.PROCENT:
        return f"{text} %"
    if unit_of_measure == Enhetstyp.DAGAR:
        return f"{text} dagar"
    return text


def target_text(ind: Indikator) -> str:
    u = ind.unit_of_measure
    if ind.direction == Riktning.INTERVALL and ind.target is not None:
        return f"{fmt_value(ind.target, u)} – {fmt_value(ind.target_high, u)}"
    if ind.target is None:
        if ind.direction == Riktning.HOGRE:
            return "Ska öka"
        if ind.direction == Riktning.LAGRE:
            return "Ska minska"
        return "–"
    if u == Enhetstyp.JANEJ:
        return fmt_value(ind.target, u)
    prefix = {Riktning.HOGRE: "minst ", Riktning.LAGRE: "högst ", Riktning.EXAKT: ""}.get(
        Riktning(ind.direction) if ind.direction else Riktning.EXAKT, ""
    )
    return prefix + fmt_value(ind.target, u)


def reaches_target(ind: Indikator, value: float | None, earlier: float | None) -> bool | None:
    """Does `value` meet the indikator's målvärde? None when it cannot be judged (no value,
    or "ska öka" without an earlier value to compare with)."""
    if value is None or ind.direction is None:
        return None
    direction = Riktning(ind.direction)
    if ind.target is None:
        if earlier is None:
            return None
        return value > earlier if direction == Riktning.HOGRE else value < earlier
    if direction == Riktning.HOGRE:
        return value >= ind.target
    if direction == Riktning.LAGRE:
        return value <= ind.target
    if direction == Riktning.EXAKT:
        return abs(value - ind.target) < 1e-9
    high = ind.target_high if ind.target_high is not None else ind.target
    return ind.target <= value <= high


def utfall_map(indikatorer: list[Indikator]) -> dict[tuple[int, str], Utfall]:
    ids = [i.id for i in indikatorer]
    if not ids:
        return {}
    rows = db.session.scalars(select(Utfall).where(Utfall.indikator_id.in_(ids)))
    return {(u.indikator_id, u.period): u for u in rows}


def earlier_value(ind: Indikator, code: str, values: dict[tuple[int, str], Utfall]) -> float | None:
    """The value to compare a "ska öka/minska" indikator with: the previous measured period
    of the year, else the baseline, else last year's value."""
    before = [c for c in periods.previous_codes(code, ind.periods) if c != code]
    for c in reversed(before):
        u = values.get((ind.id, c))
        if u is not None and u.value is not None:
            return u.value
    if ind.baseline is not None:
        return ind.baseline
    last = (ind.history or {}).get(str(ind.mal.plan.year - 1))
    return float(last) if isinstance(last, int | float) else None


def indicator_status(
    ind: Indikator, code: str, values: dict[tuple[int, str], Utfall]
) -> bool | None:
    u = values.get((ind.id, code))
    return reaches_target(ind, u.value if u else None, earlier_value(ind, code, values))


def rule_thresholds() -> tuple[float, float]:
    """MAL_BEDOMNING_REGEL: {"uppnatt": share of indikatorer reaching the target for
    "uppnått", "delvis": share for "delvis uppnått"}."""
    rule = {"uppnatt": 1.0, "delvis": 0.5}
    if has_app_context():
        rule.update(current_app.config.get("MAL_BEDOMNING_REGEL") or {})
    return float(rule["uppnatt"]), float(rule["delvis"])


def goal_indikatorer(mal: Mal) -> list[Indikator]:
    """The goal's own indikatorer and those of the goals beneath it."""
    found = list(mal.indikatorer)
    children = db.session.scalars(select(Mal).where(Mal.parent_id == mal.id)).all()
    for child in children:
        found.extend(goal_indikatorer(child))
    return found


def propose(mal: Mal, code: str) -> Bedomning:
    """The assessment the rule proposes from the indikatorer measured in `code`."""
    inds = [i for i in goal_indikatorer(mal) if code in i.periods]
    values = utfall_map(inds)
    verdicts = [v for i in inds if (v := indicator_status(i, code, values)) is not None]
    if not verdicts:
        return Bedomning.GAR_EJ
    share = sum(1 for v in verdicts if v) / len(verdicts)
    full, partly = rule_thresholds()
    if share >= full:
        return Bedomning.UPPNATT
    if share >= partly:
        return Bedomning.DELVIS
    return Bedomning.EJ_UPPNATT


def bedomning_of(mal: Mal, code: str) -> MalBedomning | None:
    return db.session.scalar(
        select(MalBedomning).where(MalBedomning.mal_id == mal.id, MalBedomning.period == code)
    )


def plan_periods(plan: Verksamhetsplan) -> list[str]:
    codes: set[str] = set()
    for goal in plan.goals:
        for ind in goal.indikatorer:
            codes.update(ind.periods)
    return sorted(codes, key=periods.sort_key)


def all_indikatorer(plan: Verksamhetsplan) -> list[Indikator]:
    return list(
        db.session.scalars(
            select(Indikator)
            .join(Mal, Mal.id == Indikator.mal_id)
            .where(Mal.plan_id == plan.id)
            .order_by(Mal.level, Mal.sort_order, Mal.id, Indikator.sort_order, Indikator.id)
        )
    )


def goal_tree(plan: Verksamhetsplan) -> list[tuple[Mal, int]]:
    """Goals depth first with their depth (0 = top)."""
    by_parent: dict[int | None, list[Mal]] = {}
    for goal in plan.goals:
        by_parent.setdefault(goal.parent_id, []).append(goal)
    for goals in by_parent.values():
        goals.sort(key=lambda g: (g.sort_order, g.nr, g.id))
    out: list[tuple[Mal, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for goal in by_parent.get(parent, []):
            out.append((goal, depth))
            walk(goal.id, depth + 1)

    walk(None, 0)
    return out


# --- the follow-up board ---------------------------------------------------------------------


@dataclass
class BoardRow:
    indikator: Indikator
    utfall: Utfall | None
    state: str  # "rapporterad", "saknas", "forsenad"
    deadline: date

    @property
    def state_label(self) -> str:
        return {"rapporterad": "Rapporterad", "saknas": "Saknas", "forsenad": "Försenad"}[
            self.state
        ]

    @property
    def symbol(self) -> str:
        return {"rapporterad": "✔", "saknas": "…", "forsenad": "!"}[self.state]


def board(plan: Verksamhetsplan, code: str) -> list[BoardRow]:
    inds = [i for i in all_indikatorer(plan) if code in i.periods]
    values = utfall_map(inds)
    due = periods.deadline(plan.year, code)
    today = clock.today()
    rows = []
    for ind in inds:
        u = values.get((ind.id, code))
        reported = u is not None and (u.value is not None or bool(u.comment.strip()))
        state = "rapporterad" if reported else ("forsenad" if today > due else "saknas")
        rows.append(BoardRow(ind, u, state, due))
    return rows


def board_counts(rows: list[BoardRow]) -> dict[str, int]:
    counts = {"rapporterad": 0, "saknas": 0, "forsenad": 0}
    for row in rows:
        counts[row.state] += 1
    return counts


def responsible_for(ind: Indikator) -> int | None:
    return ind.responsible_id or ind.mal.owner_id


def missing_for_task(task: Uppfoljningsuppgift) -> list[Indikator]:
    rows = board(task.plan, task.period)
    return [
        r.indikator
        for r in rows
        if r.state != "rapporterad" and responsible_for(r.indikator) == task.person_id
    ]


def task_rows(task: Uppfoljningsuppgift) -> list[BoardRow]:
    return [
        r for r in board(task.plan, task.period) if responsible_for(r.indikator) == task.person_id
    ]


def history_rows(ind: Indikator) -> list[dict[str, Any]]:
    """Every value of the indikator across years, oldest first: the utfall of this plan and
    of the plans it was copied from (same nr and name), and earlier years' values entered on
    the indikator for years before those plans. Each row says whether it met the målvärde."""
    chain: list[Indikator] = []
    plan: Verksamhetsplan | None = ind.mal.plan
    current: Indikator | None = ind
    while current is not None and plan is not None:
        chain.append(current)
        if plan.copied_from_id is None:
            break
        plan = db.session.get(Verksamhetsplan, plan.copied_from_id)
        current = None
        if plan is not None:
            current = db.session.scalar(
                select(Indikator)
                .join(Mal, Mal.id == Indikator.mal_id)
                .where(Mal.plan_id == plan.id, Indikator.nr == ind.nr, Indikator.name == ind.name)
            )
    covered = {item.mal.plan.year for item in chain}
    out: list[dict[str, Any]] = []
    for year_text, value in sorted((ind.history or {}).items()):
        if isinstance(value, int | float) and int(year_text) not in covered:
            out.append(
                {
                    "label": f"Helår {year_text}",
                    "year": int(year_text),
                    "code": "AR",
                    "value": float(value),
                    "utfall": None,
                    "verdict": None,
                    "current": False,
                }
            )
    for item in reversed(chain):
        year = item.mal.plan.year
        values = utfall_map([item])
        for code in sorted(item.periods, key=periods.sort_key):
            u = values.get((item.id, code))
            out.append(
                {
                    "label": periods.label(code, year),
                    "year": year,
                    "code": code,
                    "value": u.value if u else None,
                    "utfall": u,
                    "verdict": indicator_status(item, code, values),
                    "current": item.id == ind.id,
                }
            )
    return out


def kontroll_choices(plan: Verksamhetsplan) -> list[tuple[int, str]]:
    """Egenkontroll controls of plans whose scope is the plan's unit, above or below it."""
    ancestors = plan.unit.ancestor_ids()
    rows = db.session.execute(
        select(Kontroll.id, Kontroll.title, EgenkontrollPlan.name)
        .join(EgenkontrollPlan, EgenkontrollPlan.id == Kontroll.plan_id)
        .join(Unit, Unit.id == EgenkontrollPlan.scope_unit_id)
        .where(
            or_(Unit.path.startswith(plan.unit.path, autoescape=True), Unit.id.in_(ancestors)),
            Kontroll.active.is_(True),
        )
        .order_by(EgenkontrollPlan.name, Kontroll.title)
    ).all()
    return [(kid, f"{title} ({name})") for kid, title, name in rows]


def internkontroller(plan: Verksamhetsplan) -> list[tuple[Internkontroll, Kontroll]]:
    rows = db.session.execute(
        select(Internkontroll, Kontroll)
        .join(Kontroll, Kontroll.id == Internkontroll.kontroll_id)
        .where(Internkontroll.plan_id == plan.id)
    ).all()
    return sorted(((r, k) for r, k in rows), key=lambda rk: -rk[0].risk_value)


# --- the årshjul shows the follow-up deadlines ----------------------------------------------


def arshjul_deadlines(user: User, root: Unit, period: Period) -> list[dict[str, Any]]:
    """Per plan in root's subtree that the user may see and per period it measures: the
    follow-up deadline, if it falls in the årshjul's year, with how many indikatorer are
    reported (and how many are late) and a link to the follow-up board."""
    below = select(Unit.id).where(Unit.path.startswith(root.path, autoescape=True))
    plans = db.session.scalars(
        select(Verksamhetsplan)
        .where(
            Verksamhetsplan.unit_id.in_(below),
            Verksamhetsplan.year.between(period.start.year - 1, period.end.year),
            visible_plan_clause(user),
        )
        .order_by(Verksamhetsplan.year, Verksamhetsplan.id)
    )
    entries = []
    for plan in plans:
        for code in plan_periods(plan):
            due = periods.deadline(plan.year, code)
            if not period.start <= due <= period.end:
                continue
            counts = board_counts(board(plan, code))
            entries.append({
                "key": f"mal-{plan.id}-{code}",
                "title": f"Måluppföljning {periods.label(code, plan.year)}: {plan.name}",
                "date": due,
                "url": url_for("mal.board", plan_id=plan.id, period=code),
                "total": sum(counts.values()),
                "done": counts["rapporterad"],
                "overdue": counts["forsenad"],
            })  # fmt: skip
    return entries


if arshjul_deadlines not in arshjul_queries.SOURCES:
    arshjul_queries.SOURCES.append(arshjul_deadlines)
