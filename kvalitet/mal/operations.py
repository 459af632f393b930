"""Operations of mål och indikatorer: the only code that changes plans, goals, indikatorer,
utfall, assessments, follow-up tasks and frozen reports. Each validates first (a Swedish
OperationError naming the field, nothing changed), then changes rows, writes the audit entry
and queues notifications inside one transaction."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kvalitet.atgarder import operations as atgarder_ops
from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.permissions import can, role_paths
from kvalitet.core.pii import check_text
from kvalitet.core.uow import transaction
from kvalitet.core.workflow import check_transition, run_transition
from kvalitet.egenkontroll.models import Kontroll
from kvalitet.extensions import db
from kvalitet.items.models import Item, QualityArea
from kvalitet.items.operations import new_item
from kvalitet.mal import measures, periods
from kvalitet.mal.kinds import WORKFLOW
from kvalitet.mal.models import (
    MAX_GOAL_LEVELS,
    Bedomning,
    Enhetstyp,
    Indikator,
    Internkontroll,
    Kon,
    Mal,
    MalBedomning,
    MalRapportVersion,
    Matmetod,
    Riktning,
    Uppfoljningsuppgift,
    UppfStatus,
    Utfall,
    Verksamhetsplan,
)
from kvalitet.mal.queries import (
    may_assess,
    may_edit_plan,
    may_report,
    may_view_plan,
    missing_for_task,
    plan_periods,
    propose,
    responsible_for,
)
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, User
from kvalitet.rapport.operations import canonical, checksum

if TYPE_CHECKING:
    from kvalitet.atgarder.models import Atgard


# --- parsing helpers (shared by web, API and import) -------------------------------------------


def parse_number(raw: Any, field: str, *, required: bool = False) -> float | None:
    """A number from a form, JSON or a spreadsheet cell: 72, 72.5, "72,5", "72 %"."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise OperationError("Ange ett värde.", field=field)
        return None
    if isinstance(raw, bool):
        raise OperationError("Ange ett tal, t.ex. 72 eller 72,5.", field=field)
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
        if not re.fullmatch(r"[-−]?\d+([.,]\d+)?", text):
            raise OperationError("Ange ett tal, t.ex. 72 eller 72,5.", field=field)
        value = float(text.replace(",", ".").replace("−", "-"))
    if math.isnan(value) or math.isinf(value):
        raise OperationError("Ange ett tal, t.ex. 72 eller 72,5.", field=field)
    return value


def parse_count(raw: Any, field: str) -> int | None:
    value = parse_number(raw, field)
    if value is None:
        return None
    if value < 0 or not float(value).is_integer():
        raise OperationError("Ange ett heltal, 0 eller mer.", field=field)
    return int(value)


def parse_value(
    raw: Any, unit_of_measure: str, field: str, *, scale_max: float | None = None
) -> float | None:
    """A value in the indikator's unit of measure; a Swedish message for the wrong type."""
    if unit_of_measure == Enhetstyp.JANEJ:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        text = str(raw).strip().lower()
        if text in ("ja", "j", "1", "true", "yes"):
            return 1.0
        if text in ("nej", "n", "0", "false", "no"):
            return 0.0
        raise OperationError("Ange ja eller nej.", field=field)
    value = parse_number(raw, field)
    if value is None:
        return None
    if unit_of_measure == Enhetstyp.PROCENT and not 0 <= value <= 100:
        raise OperationError("En andel anges i procent, 0–100.", field=field)
    if unit_of_measure in (Enhetstyp.ANTAL, Enhetstyp.DAGAR) and value < 0:
        raise OperationError("Värdet kan inte vara negativt.", field=field)
    if unit_of_measure == Enhetstyp.ANTAL and not value.is_integer():
        raise OperationError("Ett antal är ett heltal.", field=field)
    if unit_of_measure == Enhetstyp.SKALA and scale_max is not None and not 0 <= value <= scale_max:
        raise OperationError(f"Ange ett värde på skalan 0–{scale_max:g}.", field=field)
    return value


def _text(fields: dict[str, Any], name: str, limit: int, *, required: str | None = None) -> str:
    value = str(fields.get(name) or "").strip()
    if required and not value:
        raise OperationError(required, field=name)
    if len(value) > limit:
        raise OperationError(f"Högst {limit} tecken.", field=name)
    check_text(value, name)
    return value


def _user(value: Any, field: str) -> User | None:
    if value in (None, "", 0):
        return None
    if isinstance(value, User):
        return value
    user = db.session.get(User, int(value)) if str(value).isdigit() else None
    if user is None or not user.active:
        raise OperationError("Välj en person som finns.", field=field)
    return user


def _require_edit(actor: User | None, unit: Unit) -> None:
    if actor is not None and not may_edit_plan(actor, unit):
        raise Forbidden("Du har inte behörighet att ändra verksamhetsplanen.")


def _areas(ids: Any) -> list[QualityArea]:
    wanted = [int(i) for i in (ids or [])]
    if not wanted:
        return []
    found = list(db.session.scalars(select(QualityArea).where(QualityArea.id.in_(wanted))))
    if len(found) != len(set(wanted)):
        raise OperationError("Okänt kvalitetsområde.", field="area_ids")
    return found


def _units(ids: Any) -> list[Unit]:
    wanted = [int(i) for i in (ids or [])]
    if not wanted:
        return []
    found = list(db.session.scalars(select(Unit).where(Unit.id.in_(wanted))))
    if len(found) != len(set(wanted)):
        raise OperationError("Okänd enhet.", field="unit_ids")
    return found


# --- plans -----------------------------------------------------------------------------------


def _levels(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [part.strip() for part in re.split(r"[\n;→>]+", raw)]
    levels = [str(x).strip() for x in (raw or []) if str(x).strip()]
    if not levels:
        raise OperationError("Ange minst en nivå, t.ex. Nämndmål.", field="levels")
    if len(levels) > MAX_GOAL_LEVELS:
        raise OperationError(
            f"Högst {MAX_GOAL_LEVELS} målnivåer (indikatorn är den fjärde).", field="levels"
        )
    if any(len(x) > 60 for x in levels):
        raise OperationError("Ett nivånamn får vara högst 60 tecken.", field="levels")
    return levels


def _year(raw: Any) -> int:
    if isinstance(raw, bool) or not str(raw or "").strip().isdigit():
        raise OperationError("Ange ett år, t.ex. 2026.", field="year")
    year = int(str(raw).strip())
    if not 2000 <= year <= 2100:
        raise OperationError("Ange ett år mellan 2000 och 2100.", field="year")
    return year


def _unique_plan(unit: Unit, year: int) -> None:
    exists = db.session.scalar(
        select(Verksamhetsplan.id).where(
            Verksamhetsplan.unit_id == unit.id, Verksamhetsplan.year == year
        )
    )
    if exists:
        raise OperationError(f"{unit.name} har redan en verksamhetsplan för {year}.", field="year")


def create_plan(actor: User | None, **fields: Any) -> Verksamhetsplan:
    """Fields: unit (Unit or id), year, name, description, levels (list or text)."""
    unit = fields.get("unit")
    unit = unit if isinstance(unit, Unit) else db.session.get(Unit, int(unit or 0))
    if unit is None:
        raise OperationError("Välj en enhet.", field="unit_id")
    _require_edit(actor, unit)
    year = _year(fields.get("year"))
    name = _text(fields, "name", 200) or f"Verksamhetsplan {year}"
    description = _text(fields, "description", 20000)
    levels = _levels(fields.get("levels") or ["Nämndmål", "Utvecklingsområde"])
    _unique_plan(unit, year)
    with transaction():
        plan = Verksamhetsplan(
            unit_id=unit.id,
            unit=unit,
            year=year,
            name=name,
            description=description,
            levels=levels,
            created_by_id=actor.id if actor else None,
        )
        db.session.add(plan)
        db.session.flush()
        audit.record(
            actor,
            "mal_plan",
            target=f"mal_plan:{plan.id}",
            summary=f"Ny verksamhetsplan {year}: {name} ({unit.name})",
            after={"levels": levels},
        )
    return plan


def update_plan(actor: User, plan: Verksamhetsplan, **fields: Any) -> Verksamhetsplan:
    _require_edit(actor, plan.unit)
    name = _text(fields, "name", 200, required="Ange planens namn.")
    description = _text(fields, "description", 20000)
    levels = _levels(fields.get("levels"))
    deepest = max((g.level for g in plan.goals), default=0)
    if deepest > len(levels):
        raise OperationError(
            f"Planen har mål på nivå {deepest}; behåll minst {deepest} nivåer.", field="levels"
        )
    with transaction():
        before = {"name": plan.name, "levels": list(plan.levels)}
        plan.name, plan.description, plan.levels = name, description, levels
        old, new = audit.changed(before, {"name": name, "levels": levels})
        audit.record(
            actor,
            "mal_plan",
            target=f"mal_plan:{plan.id}",
            summary=f"Ändrade verksamhetsplanen {plan.name}",
            before=old,
            after=new,
        )
    return plan


def _copy_goal(goal: Mal, plan: Verksamhetsplan, parent: Mal | None, *, adopt: bool) -> Mal:
    areas, units = list(goal.areas), list(goal.units)
    copy = Mal(
        plan_id=plan.id,
        plan=plan,
        parent=parent,
        level=goal.level,
        nr=goal.nr,
        name=goal.name,
        description=goal.description,
        processes=goal.processes,
        owner_id=goal.owner_id,
        sort_order=goal.sort_order,
        adopted_from_id=goal.id if adopt else goal.adopted_from_id,
    )
    db.session.add(copy)
    copy.areas, copy.units = areas, units
    return copy


def _copy_indikator(ind: Indikator, goal: Mal, history_year: int | None) -> Indikator:
    history = dict(ind.history or {})
    if history_year is not None:
        values = {u.period: u.value for u in ind.utfall if u.value is not None}
        last = values.get("AR")
        if last is None:
            for code in sorted(values, key=periods.sort_key, reverse=True):
                last = values[code]
                break
        if last is not None:
            history[str(history_year)] = last
    copy = Indikator(
        mal=goal,
        nr=ind.nr,
        name=ind.name,
        description=ind.description,
        method=ind.method,
        source=ind.source,
        unit_of_measure=ind.unit_of_measure,
        scale_max=ind.scale_max,
        direction=ind.direction,
        target=ind.target,
        target_high=ind.target_high,
        baseline=ind.baseline,
        baseline_year=ind.baseline_year,
        history=history,
        periods=list(ind.periods),
        responsible_id=ind.responsible_id,
        by_sex=ind.by_sex,
        sex_labels=ind.sex_labels,
        measure=ind.measure,
        sort_order=ind.sort_order,
    )
    db.session.add(copy)
    return copy


def copy_to_next_year(actor: User, plan: Verksamhetsplan) -> Verksamhetsplan:
    """The plan for the following year with the same structure, goals, indikatorer and
    målvärden; each indikator's last value of this year becomes its value for the year in
    the history. Utfall and assessments are not copied."""
    _require_edit(actor, plan.unit)
    year = plan.year + 1
    _unique_plan(plan.unit, year)
    with transaction():
        new = Verksamhetsplan(
            unit_id=plan.unit_id,
            unit=plan.unit,
            year=year,
            name=plan.name.replace(str(plan.year), str(year)),
            description=plan.description,
            levels=list(plan.levels),
            copied_from_id=plan.id,
            parent_plan_id=plan.parent_plan_id,
            created_by_id=actor.id,
        )
        db.session.add(new)
        db.session.flush()
        mapping: dict[int, Mal] = {}
        for goal in sorted(plan.goals, key=lambda g: g.level):
            inds = list(goal.indikatorer)
            copy = _copy_goal(goal, new, mapping.get(goal.parent_id or 0), adopt=False)
            mapping[goal.id] = copy
            for ind in inds:
                _copy_indikator(ind, copy, plan.year)
        db.session.flush()
        audit.record(
            actor,
            "mal_plan",
            target=f"mal_plan:{new.id}",
            summary=f"Kopierade verksamhetsplanen {plan.year} till {year}",
        )
    return new


def adopt_plan(actor: User, parent: Verksamhetsplan, unit: Unit) -> Verksamhetsplan:
    """A lower unit adopts the goals of a higher unit's plan (same year): its own plan gets
    a copy of each goal, marked as adopted, and adds its own goals and indikatorer beneath."""
    if not may_view_plan(actor, parent):
        raise NotFound()
    if not unit.is_within(parent.unit) or unit.id == parent.unit_id:
        raise OperationError("Välj en enhet under planens enhet.", field="unit_id")
    _require_edit(actor, unit)
    plan = db.session.scalar(
        select(Verksamhetsplan).where(
            Verksamhetsplan.unit_id == unit.id, Verksamhetsplan.year == parent.year
        )
    )
    with transaction():
        if plan is None:
            plan = Verksamhetsplan(
                unit_id=unit.id,
                unit=unit,
                year=parent.year,
                name=f"Verksamhetsplan {parent.year} – {unit.name}",
                levels=list(parent.levels),
                parent_plan_id=parent.id,
                created_by_id=actor.id,
            )
            db.session.add(plan)
            db.session.flush()
        plan.parent_plan_id = parent.id
        already = {g.adopted_from_id for g in plan.goals if g.adopted_from_id}
        mapping: dict[int, Mal] = {}
        made = 0
        for goal in sorted(list(parent.goals), key=lambda g: g.level):
            if goal.id in already:
                continue
            mapping[goal.id] = _copy_goal(goal, plan, mapping.get(goal.parent_id or 0), adopt=True)
            made += 1
        db.session.flush()
        audit.record(
            actor,
            "mal_plan",
            target=f"mal_plan:{plan.id}",
            summary=f"Antog {made} mål från {parent.unit.name}s plan {parent.year}",
        )
    return plan


# --- goals -----------------------------------------------------------------------------------


def _goal_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(fields, "name", 300, required="Ange målets namn."),
        "nr": _text(fields, "nr", 20),
        "description": _text(fields, "description", 20000),
        "processes": _text(fields, "processes", 500),
        "owner": _user(fields.get("owner_id"), "owner_id"),
        "areas": _areas(fields.get("area_ids")),
        "units": _units(fields.get("unit_ids")),
    }


def create_goal(
    actor: User | None, plan: Verksamhetsplan, parent: Mal | None = None, **fields: Any
) -> Mal:
    _require_edit(actor, plan.unit)
    if parent is not None and parent.plan_id != plan.id:
        raise OperationError("Överordnat mål hör till en annan plan.", field="parent_id")
    level = parent.level + 1 if parent else 1
    if level > len(plan.levels):
        raise OperationError(
            f"Planen har {len(plan.levels)} målnivåer; lägg en indikator under målet i stället.",
            field="parent_id",
        )
    values = _goal_fields(fields)
    with transaction():
        order = db.session.scalar(select(func.count(Mal.id)).where(Mal.plan_id == plan.id)) or 0
        goal = Mal(
            plan_id=plan.id,
            plan=plan,
            parent=parent,
            level=level,
            name=values["name"],
            nr=values["nr"] or _next_nr(plan, parent),
            description=values["description"],
            processes=values["processes"],
            owner_id=values["owner"].id if values["owner"] else None,
            sort_order=int(order) + 1,
        )
        goal.areas, goal.units = values["areas"], values["units"]
        db.session.add(goal)
        db.session.flush()
        audit.record(
            actor,
            "mal_mal",
            target=f"mal_mal:{goal.id}",
            summary=f"Nytt {plan.level_name(level).lower()}: {goal.nr} {goal.name}",
        )
    return goal


def _next_nr(plan: Verksamhetsplan, parent: Mal | None) -> str:
    siblings = [g for g in plan.goals if g.parent_id == (parent.id if parent else None)]
    n = len(siblings) + 1
    return f"{parent.nr}.{n}" if parent and parent.nr else str(n)


def update_goal(actor: User, goal: Mal, **fields: Any) -> Mal:
    _require_edit(actor, goal.plan.unit)
    values = _goal_fields(fields)
    with transaction():
        before = {"name": goal.name, "nr": goal.nr, "owner": goal.owner_id}
        if goal.adopted_from_id is None:
            goal.name, goal.description = values["name"], values["description"]
        goal.nr, goal.processes = values["nr"] or goal.nr, values["processes"]
        goal.owner_id = values["owner"].id if values["owner"] else None
        goal.areas, goal.units = values["areas"], values["units"]
        old, new = audit.changed(before, {"name": goal.name, "nr": goal.nr, "owner": goal.owner_id})
        audit.record(
            actor,
            "mal_mal",
            target=f"mal_mal:{goal.id}",
            summary=f"Ändrade målet {goal.nr} {goal.name}",
            before=old,
            after=new,
        )
    return goal


# --- indikatorer -----------------------------------------------------------------------------


def _indikator_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": _text(fields, "name", 300, required="Ange vad indikatorn mäter."),
        "nr": _text(fields, "nr", 20),
        "description": _text(fields, "description", 20000),
        "source": _text(fields, "source", 300),
    }
    measure = str(fields.get("measure") or "").strip() or None
    if measure is not None and measure not in measures.MEASURES:
        raise OperationError("Okänt mått i Kvalitet.", field="measure")
    out["measure"] = measure
    method = str(fields.get("method") or (Matmetod.KVALITET if measure else Matmetod.MANUELL))
    if method not in set(Matmetod):
        raise OperationError("Välj hur indikatorn mäts.", field="method")
    if measure:
        method = Matmetod.KVALITET
    elif method == Matmetod.KVALITET:
        raise OperationError("Välj vilket mått i Kvalitet som används.", field="measure")
    out["method"] = method
    uom = str(fields.get("unit_of_measure") or "")
    if measure and not uom:
        uom = measures.MEASURES[measure].unit_of_measure
    if uom not in set(Enhetstyp):
        raise OperationError(
            "Välj enhet: procent, antal, dagar, ja/nej eller skala.", field="unit_of_measure"
        )
    out["unit_of_measure"] = uom
    out["scale_max"] = parse_number(fields.get("scale_max"), "scale_max")
    if uom == Enhetstyp.SKALA and (out["scale_max"] is None or out["scale_max"] <= 0):
        raise OperationError("Ange skalans högsta värde, t.ex. 5.", field="scale_max")
    direction = str(fields.get("direction") or "").strip() or None
    if direction is not None and direction not in set(Riktning):
        raise OperationError("Okänd riktning.", field="direction")
    target = parse_value(fields.get("target"), uom, "target", scale_max=out["scale_max"])
    high = parse_value(fields.get("target_high"), uom, "target_high", scale_max=out["scale_max"])
    if target is not None and direction is None:
        raise OperationError(
            "Ange riktning för målvärdet: högre, lägre, exakt eller inom intervall.",
            field="direction",
        )
    if direction == Riktning.INTERVALL:
        if target is None or high is None:
            raise OperationError(
                "Ange både lägsta och högsta värde för intervallet.", field="target_high"
            )
        if high < target:
            raise OperationError(
                "Högsta värdet kan inte vara lägre än lägsta.", field="target_high"
            )
    elif high is not None:
        raise OperationError(
            "Ett högsta värde anges bara för riktningen inom intervall.", field="target_high"
        )
    if direction in (Riktning.EXAKT,) and target is None:
        raise OperationError("Ange målvärdet.", field="target")
    out.update(direction=direction, target=target, target_high=high)
    out["baseline"] = parse_value(
        fields.get("baseline"), uom, "baseline", scale_max=out["scale_max"]
    )
    baseline_year = fields.get("baseline_year")
    out["baseline_year"] = _year(baseline_year) if baseline_year not in (None, "") else None
    history = fields.get("history") or {}
    if isinstance(history, str):
        history = _parse_history(history)
    if not isinstance(history, dict):
        raise OperationError("Ange tidigare års värden som år: värde.", field="history")
    clean: dict[str, float] = {}
    for year, value in history.items():
        number = parse_value(value, uom, "history", scale_max=out["scale_max"])
        if number is not None:
            clean[str(_year_in("history", year))] = number
    out["history"] = clean
    raw_periods = fields.get("periods") or []
    if isinstance(raw_periods, str):
        raw_periods = [p.strip().upper() for p in re.split(r"[,; ]+", raw_periods) if p.strip()]
    unknown = [p for p in raw_periods if p != "M" and p not in periods.ALL_CODES]
    if unknown:
        raise OperationError(
            f"Okänd period: {', '.join(unknown)}. Använd T1, T2, T3, H1, H2, M01–M12 eller AR.",
            field="periods",
        )
    codes = periods.expand(list(raw_periods))
    if not codes:
        raise OperationError("Välj minst en period då indikatorn mäts.", field="periods")
    out["periods"] = codes
    out["responsible"] = _user(fields.get("responsible_id"), "responsible_id")
    out["by_sex"] = bool(fields.get("by_sex"))
    sex_labels = str(fields.get("sex_labels") or Kon.KVINNOR_MAN)
    if sex_labels not in set(Kon):
        raise OperationError("Välj kvinnor/män eller flickor/pojkar.", field="sex_labels")
    out["sex_labels"] = sex_labels
    return out


def _year_in(field: str, raw: Any) -> int:
    try:
        return _year(raw)
    except OperationError as error:
        raise OperationError(error.message, field=field)


def _parse_history(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in re.split(r"[\n;]+", text):
        if not part.strip():
            continue
        match = re.fullmatch(r"\s*(\d{4})\s*[:=]\s*(.+?)\s*", part)
        if not match:
            raise OperationError("Skriv ett år per rad: 2024: 71", field="history")
        out[match.group(1)] = match.group(2)
    return out


def _apply_indikator(ind: Indikator, values: dict[str, Any]) -> None:
    for key in (
        "name",
        "nr",
        "description",
        "source",
        "measure",
        "method",
        "unit_of_measure",
        "scale_max",
        "direction",
        "target",
        "target_high",
        "baseline",
        "baseline_year",
        "history",
        "periods",
        "by_sex",
        "sex_labels",
    ):
        setattr(ind, key, values[key])
    ind.responsible_id = values["responsible"].id if values["responsible"] else None


def _snapshot(ind: Indikator) -> dict[str, Any]:
    return {
        "name": ind.name,
        "target": ind.target,
        "direction": ind.direction,
        "periods": list(ind.periods or []),
        "measure": ind.measure,
        "responsible": ind.responsible_id,
    }


def create_indikator(actor: User | None, goal: Mal, **fields: Any) -> Indikator:
    _require_edit(actor, goal.plan.unit)
    values = _indikator_fields(fields)
    with transaction():
        ind = Indikator(mal=goal, sort_order=len(goal.indikatorer) + 1)
        _apply_indikator(ind, values)
        if not ind.nr:
            ind.nr = f"{goal.nr}.{len(goal.indikatorer)}" if goal.nr else ""
        db.session.add(ind)
        db.session.flush()
        audit.record(
            actor,
            "mal_indikator",
            target=f"mal_indikator:{ind.id}",
            summary=f"Ny indikator {ind.nr} {ind.name}",
            after=_snapshot(ind),
        )
    return ind


def update_indikator(actor: User, ind: Indikator, **fields: Any) -> Indikator:
    _require_edit(actor, ind.mal.plan.unit)
    values = _indikator_fields(fields)
    dropped = {u.period for u in ind.utfall} - set(values["periods"])
    if dropped:
        raise OperationError(
            "Det finns utfall för "
            + ", ".join(sorted(dropped, key=periods.sort_key))
            + "; de perioderna kan inte tas bort.",
            field="periods",
        )
    with transaction():
        before = _snapshot(ind)
        _apply_indikator(ind, values)
        old, new = audit.changed(before, _snapshot(ind))
        audit.record(
            actor,
            "mal_indikator",
            target=f"mal_indikator:{ind.id}",
            summary=f"Ändrade indikatorn {ind.nr} {ind.name}",
            before=old,
            after=new,
        )
    return ind


def delete_indikator(actor: User, ind: Indikator) -> None:
    """Remove an indikator that nothing hangs on: refused (in Swedish, nothing changed) once
    it has utfall."""
    _require_edit(actor, ind.mal.plan.unit)
    if ind.utfall:
        raise OperationError(
            f"Indikatorn har utfall för {len(ind.utfall)} "
            f"{'period' if len(ind.utfall) == 1 else 'perioder'} och kan inte tas bort. "
            "Ta bort utfallen först, eller låt indikatorn vara kvar."
        )
    with transaction():
        audit.record(
            actor,
            "mal_indikator_delete",
            target=f"mal_indikator:{ind.id}",
            summary=f"Tog bort indikatorn {ind.nr} {ind.name}",
            before=_snapshot(ind),
        )
        db.session.delete(ind)


def _goal_dependents(goal: Mal) -> list[str]:
    """What hangs on a goal, as Swedish phrases (empty: it may be removed)."""
    found = []
    children = db.session.scalar(select(func.count(Mal.id)).where(Mal.parent_id == goal.id))
    if children:
        found.append(f"{children} mål under sig")
    if goal.indikatorer:
        found.append(f"{len(goal.indikatorer)} indikatorer")
    assessed = db.session.scalar(
        select(func.count(MalBedomning.id)).where(MalBedomning.mal_id == goal.id)
    )
    if assessed:
        found.append(f"{assessed} bedömningar")
    adopted = db.session.scalar(select(func.count(Mal.id)).where(Mal.adopted_from_id == goal.id))
    if adopted:
        found.append(f"{adopted} enheter som har antagit målet")
    return found


def delete_goal(actor: User, goal: Mal) -> None:
    """Remove a goal that nothing hangs on: no goals beneath it, no indikatorer, no
    assessments, no lower unit that adopted it."""
    _require_edit(actor, goal.plan.unit)
    found = _goal_dependents(goal)
    if found:
        raise OperationError(
            f"Målet har {', '.join(found)} och kan inte tas bort. Ta bort eller flytta det "
            "som hör till målet först."
        )
    with transaction():
        audit.record(
            actor,
            "mal_mal_delete",
            target=f"mal_mal:{goal.id}",
            summary=f"Tog bort målet {goal.nr} {goal.name}",
            before={"nr": goal.nr, "name": goal.name, "plan": goal.plan_id},
        )
        goal.areas, goal.units = [], []
        db.session.flush()
        db.session.delete(goal)


# --- utfall ----------------------------------------------------------------------------------


def _check_period(ind: Indikator, code: Any) -> str:
    code = str(code or "").strip().upper()
    if code not in ind.periods:
        measured = ", ".join(periods.label(c) for c in ind.periods)
        shown = periods.label(code) if code in periods.ALL_CODES else (code or "(ingen)")
        raise OperationError(
            f"Indikatorn mäts inte för {shown}. Den mäts: {measured}.", field="period"
        )
    return code


def save_utfall(actor: User, ind: Indikator, code: str, **fields: Any) -> Utfall:
    """Fields: value, value_k, value_m, n_k, n_m, comment. The value is read in the
    indikator's unit of measure ("72,5", "ja"); the per-sex values only when it is reported
    by sex. A follow-up task whose indikatorer are now all reported is marked reported."""
    if not may_view_plan(actor, ind.mal.plan):
        raise NotFound()
    if not may_report(actor, ind):
        raise Forbidden("Du är inte ansvarig för mätningen av den här indikatorn.")
    code = _check_period(ind, code)
    uom, top = ind.unit_of_measure, ind.scale_max
    value = parse_value(fields.get("value"), uom, "value", scale_max=top)
    value_k = parse_value(fields.get("value_k"), uom, "value_k", scale_max=top)
    value_m = parse_value(fields.get("value_m"), uom, "value_m", scale_max=top)
    n_k, n_m = parse_count(fields.get("n_k"), "n_k"), parse_count(fields.get("n_m"), "n_m")
    if not ind.by_sex and any(v is not None for v in (value_k, value_m, n_k, n_m)):
        raise OperationError("Indikatorn redovisas inte per kön.", field="value_k")
    comment = _text(fields, "comment", 5000)
    if value is None and not comment:
        raise OperationError(
            "Ange ett värde, eller skriv i kommentaren varför det saknas.", field="value"
        )
    with transaction():
        utfall = db.session.scalar(
            select(Utfall).where(Utfall.indikator_id == ind.id, Utfall.period == code)
        )
        before = None
        if utfall is None:
            utfall = Utfall(indikator=ind, period=code)
            db.session.add(utfall)
        else:
            before = {"value": utfall.value, "value_k": utfall.value_k, "value_m": utfall.value_m}
        utfall.value, utfall.value_k, utfall.value_m = value, value_k, value_m
        utfall.n_k, utfall.n_m, utfall.comment = n_k, n_m, comment
        utfall.computed = bool(fields.get("computed", False))
        utfall.reported_by_id, utfall.reported_at = actor.id, clock.now()
        db.session.flush()
        audit.record(
            actor,
            "mal_utfall",
            target=f"mal_indikator:{ind.id}",
            summary=f"Utfall {periods.label(code, ind.mal.plan.year)} för {ind.nr} {ind.name}",
            before=before,
            after={"value": value, "value_k": value_k, "value_m": value_m},
        )
        _close_task_if_done(actor, ind, code)
    return utfall


def _close_task_if_done(actor: User | None, ind: Indikator, code: str) -> None:
    person = responsible_for(ind)
    if person is None:
        return
    task = db.session.scalar(
        select(Uppfoljningsuppgift).where(
            Uppfoljningsuppgift.plan_id == ind.mal.plan_id,
            Uppfoljningsuppgift.period == code,
            Uppfoljningsuppgift.person_id == person,
            Uppfoljningsuppgift.status == UppfStatus.ATT_RAPPORTERA,
            Uppfoljningsuppgift.cancelled_at.is_(None),
        )
    )
    if task is None or missing_for_task(task):
        return
    transition = WORKFLOW.transition("rapportera")
    assert transition is not None
    who = actor if actor is not None and not check_transition(actor, task, transition) else None
    if who is None:
        owner = task.owner
        if owner is None or check_transition(owner, task, transition):
            return
        who = owner
    run_transition(task, "rapportera", who)


def refresh_measure(actor: User | None, ind: Indikator, code: str) -> Utfall:
    """Compute the indikator's Kvalitet measure for the period and the plan's unit subtree
    and store it as the utfall (the comment is kept)."""
    if ind.measure is None:
        raise OperationError(
            "Indikatorn är inte kopplad till ett mått i Kvalitet.", field="measure"
        )
    if actor is not None and not may_report(actor, ind):
        raise Forbidden()
    code = _check_period(ind, code)
    plan = ind.mal.plan
    result = measures.compute(ind.measure, plan.unit, periods.period_of(plan.year, code))
    per_sex = ind.by_sex and measures.MEASURES[ind.measure].per_sex
    with transaction():
        utfall = db.session.scalar(
            select(Utfall).where(Utfall.indikator_id == ind.id, Utfall.period == code)
        )
        if utfall is None:
            utfall = Utfall(indikator=ind, period=code, comment="")
            db.session.add(utfall)
        utfall.value = result.value
        utfall.value_k = result.value_k if per_sex else None
        utfall.value_m = result.value_m if per_sex else None
        utfall.n_k = result.n_k if per_sex else None
        utfall.n_m = result.n_m if per_sex else None
        if not utfall.comment:
            utfall.comment = f"Beräknat av Kvalitet ({result.basis})." if result.basis else ""
        utfall.computed = True
        utfall.reported_by_id = actor.id if actor else None
        utfall.reported_at = clock.now()
        db.session.flush()
        audit.record(
            actor,
            "mal_utfall",
            target=f"mal_indikator:{ind.id}",
            summary=f"Kvalitet beräknade utfall {periods.label(code, plan.year)} för "
            f"{ind.nr} {ind.name}: {result.value}",
        )
        _close_task_if_done(actor, ind, code)
    return utfall


def fill_closed_periods() -> int:
    """Scheduler job: for every indikator bound to a Kvalitet measure, store the utfall of
    each measured period that has ended and has none yet. Safe to repeat."""
    today = clock.today()
    made = 0
    rows = db.session.scalars(
        select(Indikator)
        .join(Mal, Mal.id == Indikator.mal_id)
        .join(Verksamhetsplan, Verksamhetsplan.id == Mal.plan_id)
        .where(Indikator.measure.is_not(None), Verksamhetsplan.year >= today.year - 1)
    ).all()
    for ind in rows:
        have = {u.period for u in ind.utfall}
        for code in ind.periods:
            if code in have or periods.period_of(ind.mal.plan.year, code).end >= today:
                continue
            refresh_measure(None, ind, code)
            made += 1
    return made


# --- assessment ------------------------------------------------------------------------------


def save_bedomning(actor: User, goal: Mal, code: str, **fields: Any) -> MalBedomning:
    """The samlad bedömning of a goal for a period, confirmed by `actor`. Fields: value
    (uppnatt, delvis, ej_uppnatt, gar_ej), orsak, analys, atgarder_text, atgard_refs (refs
    of existing förbättringsåtgärder to link)."""
    if not may_view_plan(actor, goal.plan):
        raise NotFound()
    if not may_assess(actor, goal):
        raise Forbidden("Du har inte behörighet att bedöma målet.")
    code = str(code or "").strip().upper()
    if code not in plan_periods(goal.plan):
        raise OperationError(
            f"Planen följs inte upp för {code or '(ingen period)'}.", field="period"
        )
    value = str(fields.get("value") or "")
    if value not in set(Bedomning):
        raise OperationError(
            "Välj bedömning: uppnått, delvis uppnått, ej uppnått eller går ej att bedöma.",
            field="value",
        )
    orsak = _text(fields, "orsak", 10000)
    analys = _text(fields, "analys", 10000)
    atgarder_text = _text(fields, "atgarder_text", 10000)
    if value != Bedomning.UPPNATT and not (orsak or analys):
        raise OperationError("Skriv orsak eller analys när målet inte är uppnått.", field="orsak")
    linked = _atgard_items(actor, fields.get("atgard_refs") or [])
    with transaction():
        row = db.session.scalar(
            select(MalBedomning).where(MalBedomning.mal_id == goal.id, MalBedomning.period == code)
        )
        before = None
        if row is None:
            row = MalBedomning(mal=goal, period=code)
            db.session.add(row)
        else:
            before = {"value": row.value}
        row.proposed = propose(goal, code)
        row.value, row.orsak, row.analys, row.atgarder_text = value, orsak, analys, atgarder_text
        for item in linked:
            if item not in row.atgarder:
                row.atgarder.append(item)
        row.confirmed_by_id, row.confirmed_at = actor.id, clock.now()
        db.session.flush()
        audit.record(
            actor,
            "mal_bedomning",
            target=f"mal_mal:{goal.id}",
            summary=f"Bedömning {periods.label(code, goal.plan.year)} av {goal.nr} "
            f"{goal.name}: {Bedomning(value).label}",
            before=before,
            after={"value": value, "proposed": row.proposed},
        )
    return row


def _atgard_items(actor: User, refs: Any) -> list[Item]:
    if isinstance(refs, str):
        refs = [r for r in re.split(r"[\s,;]+", refs) if r]
    out = []
    for ref in refs:
        item = db.session.scalar(select(Item).where(Item.ref == str(ref).strip().upper()))
        if item is None or item.kind != "ATG" or not can(actor, "view", item):
            raise OperationError(f"Förbättringsåtgärden {ref} finns inte.", field="atgard_refs")
        out.append(item)
    return out


def _atgard_unit(actor: User, plan_unit: Unit) -> Unit:
    """The plan's unit if the actor may create actions there, else the highest unit under
    it where they may (an avdelningschef assessing a goal of the förvaltning's plan)."""
    if atgarder_ops.may_create_for(actor, plan_unit):
        return plan_unit
    paths = [p for p in role_paths(actor, atgarder_ops.CREATORS) if p.startswith(plan_unit.path)]
    unit = db.session.scalar(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.depth))
    return unit or plan_unit


def new_atgard_for_goal(actor: User, goal: Mal, code: str, **fields: Any) -> Atgard:
    """Create a förbättringsåtgärd through the åtgärd module's own operation and link it to
    the goal's assessment for the period."""
    row = db.session.scalar(
        select(MalBedomning).where(MalBedomning.mal_id == goal.id, MalBedomning.period == code)
    )
    if row is None:
        raise OperationError("Spara bedömningen först.", field="title")
    if not may_assess(actor, goal):
        raise Forbidden()
    fields.setdefault("unit", _atgard_unit(actor, goal.plan.unit))
    fields.setdefault("source_text", f"Måluppföljning {goal.nr} {goal.name}"[:200])
    fields.setdefault("quality_area_ids", [a.id for a in goal.areas])
    atgard = atgarder_ops.create_atgard(actor, **fields)
    with transaction():
        row.atgarder.append(atgard)
        audit.record(
            actor,
            "mal_bedomning",
            target=f"mal_mal:{goal.id}",
            summary=f"Kopplade förbättringsåtgärd {atgard.ref} till {goal.nr}",
        )
    return atgard


# --- follow-up tasks -------------------------------------------------------------------------


def lead_days() -> int:
    return int(current_app.config.get("MAL_TASK_LEAD_DAYS", 21)) if has_app_context() else 21


def generate_tasks(plan: Verksamhetsplan | None = None, code: str | None = None) -> int:
    """Scheduler job (and "Skapa uppgifter" on the board): for each plan and measured period
    that has its deadline within MAL_TASK_LEAD_DAYS and has not been reported, a task for
    each person responsible for an indikator of the period, due on the deadline (årshjul
    MAL_DEADLINES). Unique per plan, period and person, so it never makes one twice. With
    `plan` (and `code`) the tasks of that plan (and period) are made now, whatever the date."""
    today = clock.today()
    query = select(Verksamhetsplan).where(Verksamhetsplan.year >= today.year - 1)
    if plan is not None:
        query = select(Verksamhetsplan).where(Verksamhetsplan.id == plan.id)
    made = 0
    for p in list(db.session.scalars(query)):
        for code_ in plan_periods(p):
            if code is not None and code_ != code:
                continue
            made += _tasks_for(p, code_, only_due=plan is None)
    return made


def _tasks_for(p: Verksamhetsplan, code: str, *, only_due: bool) -> int:
    today = clock.today()
    due = periods.deadline(p.year, code)
    start = periods.period_of(p.year, code).start
    if only_due and not (today >= due - timedelta(days=lead_days()) and today >= start):
        return 0
    people: list[int] = []
    for goal in p.goals:
        for ind in goal.indikatorer:
            person = responsible_for(ind)
            if code in ind.periods and person is not None and person not in people:
                people.append(person)
    existing = set(
        db.session.scalars(
            select(Uppfoljningsuppgift.person_id).where(
                Uppfoljningsuppgift.plan_id == p.id, Uppfoljningsuppgift.period == code
            )
        )
    )
    made = 0
    for person_id in people:
        if person_id in existing:
            continue
        try:
            with db.session.begin_nested():
                task = new_item(
                    Uppfoljningsuppgift,
                    None,
                    title=f"Måluppföljning {periods.label(code, p.year)}: {p.name}"[:300],
                    description="Rapportera utfall, analys och bedömning för dina "
                    f"indikatorer i {p.name} ({p.unit.name}).",
                    unit_id=p.unit_id,
                    owner_id=person_id,
                    plan_id=p.id,
                    period=code,
                    person_id=person_id,
                    deadline=due,
                    due_date=due,
                )
                db.session.flush()
        except IntegrityError:
            continue
        notify(
            [person_id],
            f"Ny måluppföljning {task.ref}, klar senast {due:%Y-%m-%d}",
            item=task,
            purpose="task",
        )
        made += 1
    return made


# --- intern kontroll ------------------------------------------------------------------------


def add_internkontroll(actor: User, plan: Verksamhetsplan, **fields: Any) -> Internkontroll:
    """Put an egenkontroll control into the plan's internkontrollplan with its process, risk
    (sannolikhet and konsekvens 1–4) and "rapporteras till". Fields: kontroll_id, process,
    sannolikhet, konsekvens, rapporteras_till."""
    _require_edit(actor, plan.unit)
    raw = fields.get("kontroll_id")
    kontroll = db.session.get(Kontroll, int(str(raw))) if str(raw or "").isdigit() else None
    if kontroll is None or not (
        kontroll.plan.scope_unit.is_within(plan.unit)
        or plan.unit.is_within(kontroll.plan.scope_unit)
    ):
        raise OperationError("Välj ett kontrollmoment ur en egenkontrollplan.", field="kontroll_id")
    risk = {}
    for name, label in (("sannolikhet", "Sannolikhet"), ("konsekvens", "Konsekvens")):
        value = fields.get(name)
        if isinstance(value, bool) or str(value or "") not in ("1", "2", "3", "4"):
            raise OperationError(f"{label} anges 1–4.", field=name)
        risk[name] = int(str(value))
    process = _text(fields, "process", 300)
    reported_to = _text(
        fields,
        "rapporteras_till",
        200,
        required="Ange till vem resultatet rapporteras, t.ex. socialnämnden.",
    )
    exists = db.session.scalar(
        select(Internkontroll.id).where(
            Internkontroll.plan_id == plan.id, Internkontroll.kontroll_id == kontroll.id
        )
    )
    if exists:
        raise OperationError("Kontrollmomentet finns redan i planen.", field="kontroll_id")
    with transaction():
        row = Internkontroll(
            plan=plan,
            kontroll_id=kontroll.id,
            process=process,
            rapporteras_till=reported_to,
            **risk,
        )
        db.session.add(row)
        db.session.flush()
        audit.record(
            actor,
            "mal_internkontroll",
            target=f"mal_plan:{plan.id}",
            summary=f"Internkontroll: {kontroll.title} (risk {row.risk_value})",
        )
    return row


def _risk_fields(fields: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, label in (("sannolikhet", "Sannolikhet"), ("konsekvens", "Konsekvens")):
        value = fields.get(name)
        if isinstance(value, bool) or str(value or "") not in ("1", "2", "3", "4"):
            raise OperationError(f"{label} anges 1–4.", field=name)
        values[name] = int(str(value))
    values["process"] = _text(fields, "process", 300)
    values["rapporteras_till"] = _text(
        fields,
        "rapporteras_till",
        200,
        required="Ange till vem resultatet rapporteras, t.ex. socialnämnden.",
    )
    return values


def update_internkontroll(actor: User, row: Internkontroll, **fields: Any) -> Internkontroll:
    """Change a kontrollmoment's process, risk and "rapporteras till" (the control itself is
    changed in its egenkontrollplan)."""
    _require_edit(actor, row.plan.unit)
    values = _risk_fields(fields)
    with transaction():
        before = {k: getattr(row, k) for k in values}
        for key, value in values.items():
            setattr(row, key, value)
        old, new = audit.changed(before, {k: getattr(row, k) for k in values})
        audit.record(
            actor,
            "mal_internkontroll",
            target=f"mal_plan:{row.plan_id}",
            summary=f"Ändrade internkontroll: {row.kontroll.title} (risk {row.risk_value})",
            before=old,
            after=new,
        )
    return row


def delete_internkontroll(actor: User, row: Internkontroll) -> None:
    """Take a kontrollmoment out of the internkontrollplan. Nothing hangs on the row itself:
    the control, its occurrences and their results stay in the egenkontroll."""
    _require_edit(actor, row.plan.unit)
    with transaction():
        audit.record(
            actor,
            "mal_internkontroll_delete",
            target=f"mal_plan:{row.plan_id}",
            summary=f"Tog bort {row.kontroll.title} ur internkontrollplanen",
            before={"kontroll": row.kontroll_id, "risk": row.risk_value},
        )
        db.session.delete(row)


# --- frozen reports --------------------------------------------------------------------------


def freeze_report(
    actor: User, plan: Verksamhetsplan, period_key: str, content: dict[str, Any], comment: str = ""
) -> MalRapportVersion:
    """Store the compiled follow-up report as an immutable version with its checksum (the
    same canonical JSON and SHA-256 as the kvalitetsberättelse)."""
    _require_edit(actor, plan.unit)
    comment = _text({"comment": comment}, "comment", 500)
    with transaction():
        number = (
            db.session.scalar(
                select(func.max(MalRapportVersion.number)).where(
                    MalRapportVersion.plan_id == plan.id, MalRapportVersion.period == period_key
                )
            )
            or 0
        ) + 1
        content = dict(content, version=number)
        text = canonical(content)
        version = MalRapportVersion(
            plan_id=plan.id,
            period=period_key,
            unit_id=plan.unit_id,
            number=number,
            content=text,
            sha256=checksum(text),
            comment=comment,
            frozen_at=clock.now(),
            frozen_by_id=actor.id,
        )
        db.session.add(version)
        db.session.flush()
        audit.record(
            actor,
            "mal_rapport_fryst",
            target=f"mal_plan:{plan.id}",
            summary=f"Frös {content.get('title', 'rapporten')} version {number} "
            f"({version.sha256[:12]})",
        )
    return version
