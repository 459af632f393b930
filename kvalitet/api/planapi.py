"""Egenkontroll plans through the API: plans with their controls, fastställa, copying to the
next year, an occurrence's due date and a finding made into an åtgärd or an avvikelse; the
same operations as the plan pages (kvalitet.egenkontroll.operations). A plan is seen by the
plan roles, SAS and MAS inside or above its scope (404 otherwise, as on the pages), and
changed by whom `may_manage_plan` allows (403). Performing an occurrence is
`POST /egenkontroll/{ref}/svar` (kvalitet.api.kindapi)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import false, or_, select, true

from kvalitet.api.adminapi import path_id
from kvalitet.api.kindapi import DATE, ID, VERSION, ids, obj, text
from kvalitet.api.schema import Param, Route
from kvalitet.arshjul import operations as arshjul_ops
from kvalitet.core.errors import Forbidden, NotFound
from kvalitet.core.periods import quality_year
from kvalitet.core.permissions import is_admin, role_paths
from kvalitet.core.roles import Role
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Egenkontroll, EgenkontrollPlan, Fynd, Kontroll, Metod
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit, User

TAG = "Egenkontrollplaner"
PLAN_VIEW_ROLES = (*ops.PLAN_ROLES, Role.SAS, Role.MAS)


def visible_plans_clause(user: User) -> Any:
    """Plans whose scope lies inside one of the user's subtrees or above one of them (the
    rule of the plan pages)."""
    if is_admin(user):
        return true()
    paths = role_paths(user, PLAN_VIEW_ROLES)
    if not paths:
        return false()
    ancestors = {p[: i + 1] for p in paths for i, ch in enumerate(p) if ch == "/" and i > 0}
    return or_(*[Unit.path.startswith(p) for p in paths], Unit.path.in_(ancestors))


def load_plan(user: User, plan_id: int | str) -> EgenkontrollPlan:
    plan = db.session.scalar(
        select(EgenkontrollPlan)
        .join(Unit, Unit.id == EgenkontrollPlan.scope_unit_id)
        .where(EgenkontrollPlan.id == int(plan_id), visible_plans_clause(user))
    )
    if plan is None:
        raise NotFound()
    return plan


def _require_manage(user: User, plan: EgenkontrollPlan) -> None:
    if not ops.may_manage_plan(user, plan.scope_unit):
        raise Forbidden("Du har inte behörighet att ändra egenkontrollplaner för enheten.")


def kontroll_json(k: Kontroll) -> dict[str, Any]:
    return {
        "id": k.id, "title": k.title, "description": k.description, "method": k.method,
        "sample_size": k.sample_size, "rule": k.rule.to_dict(),
        "responsible_role": k.responsible_role, "due_working_days": k.due_working_days,
        "active": k.active, "unit_ids": [u.id for u in k.units],
        "questions": [f.text for f in k.active_fragor],
    }  # fmt: skip


def plan_json(plan: EgenkontrollPlan) -> dict[str, Any]:
    return {
        "id": plan.id, "year": plan.year, "year_label": quality_year(plan.year).label,
        "name": plan.name, "description": plan.description, "status": str(plan.status),
        "scope_unit_id": plan.scope_unit_id,
        "adopted_on": plan.adopted_on.isoformat() if plan.adopted_on else None,
        "kontroller": [kontroll_json(k) for k in plan.kontroller],
    }  # fmt: skip


PLAN_SCHEMA = {"type": "object", "required": ["id", "year", "name", "status", "scope_unit_id",
                                              "kontroller"]}  # fmt: skip


def list_plans(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(EgenkontrollPlan).join(Unit, Unit.id == EgenkontrollPlan.scope_unit_id)
        .where(visible_plans_clause(user))
        .order_by(EgenkontrollPlan.year.desc(), Unit.path, EgenkontrollPlan.name)
    )  # fmt: skip
    return [plan_json(p) for p in rows]


def get_plan(user: User, query: Any, body: Any, plan_id: str) -> dict[str, Any]:
    return plan_json(load_plan(user, plan_id))


def create_plan(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    scope = db.session.get(Unit, body["scope_unit_id"])
    if scope is None or not scope.active:
        raise NotFound()
    plan = ops.create_plan(user, year=body["year"], name=body["name"], scope=scope,
                           description=body.get("description") or "")  # fmt: skip
    return plan_json(plan)


def update_plan(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    plan = load_plan(user, plan_id)
    _require_manage(user, plan)
    ops.update_plan(user, plan, name=body.get("name", plan.name),
                    description=body.get("description", plan.description))  # fmt: skip
    return plan_json(plan)


def adopt_plan(user: User, query: Any, body: Any, plan_id: str) -> dict[str, Any]:
    plan = load_plan(user, plan_id)
    created = ops.adopt_plan(user, plan)
    return {**plan_json(plan), "created_occurrences": created}


def copy_plan(user: User, query: Any, body: Any, plan_id: str) -> dict[str, Any]:
    return plan_json(ops.copy_plan(user, load_plan(user, plan_id)))


def recurring_fields(
    body: dict[str, Any], current: dict[str, Any], existing: Any
) -> tuple[Any, list[Unit], Callable[[str, Any], Any]]:
    """What a recurring thing's body says (an egenkontroll's control, an årshjul activity):
    its rule (the existing one unless a new is sent; dates are date objects already, the
    route converts them), its units, and `pick(key, default)` for the other fields (the
    body's value, else the current one, else the default)."""
    raw = body.get("rule")
    if raw is not None:
        rule = arshjul_ops.make_rule(
            raw["freq"], raw.get("start"), raw.get("interval") or 1, raw.get("day"),
            raw.get("month"), raw.get("until"),
        )  # fmt: skip
    else:
        assert existing is not None  # a new one requires its rule (the schema says so)
        rule = existing.rule
    unit_ids = body.get("unit_ids", current.get("unit_ids", []))
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))) if unit_ids \
        else []  # fmt: skip

    def pick(key: str, default: Any) -> Any:
        return body.get(key, current.get(key, default))

    return rule, units, pick


def _save_kontroll(user: User, plan: EgenkontrollPlan, kontroll: Kontroll | None,
                   body: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    _require_manage(user, plan)
    current = kontroll_json(kontroll) if kontroll is not None else {}
    rule, units, pick = recurring_fields(body, current, kontroll)
    saved = ops.save_kontroll(
        user, plan, kontroll, title=pick("title", ""), description=pick("description", ""),
        method=pick("method", Metod.CHECKLISTA), sample_size=pick("sample_size", 5),
        rule=rule, responsible_role=pick("responsible_role", Role.ENHETSCHEF),
        due_working_days=pick("due_working_days", 10), units=units,
        questions=pick("questions", []), active=pick("active", True),
    )  # fmt: skip
    return kontroll_json(saved)


def new_kontroll(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    return _save_kontroll(user, load_plan(user, plan_id), None, body)


def edit_kontroll(user: User, query: Any, body: dict[str, Any], kontroll_id: str) -> Any:
    kontroll = db.session.get(Kontroll, int(kontroll_id))
    if kontroll is None:
        raise NotFound()
    return _save_kontroll(user, load_plan(user, kontroll.plan_id), kontroll, body)


def due_date(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = load_item(ref, user, Egenkontroll)
    ops.set_due_date(user, item, body.get("due_date"), expected_version=body.get("version"))
    return {"ref": item.ref, "due_date": item.due_date.isoformat() if item.due_date else None,
            "status": item.status, "version": item.version}  # fmt: skip


def finding_to(user: User, query: Any, body: Any, ref: str, fynd_id: str,
               target: str) -> dict[str, Any]:  # fmt: skip
    item = load_item(ref, user, Egenkontroll)
    fynd = db.session.get(Fynd, int(fynd_id))
    if fynd is None or fynd.egenkontroll_id != item.id:
        raise NotFound()
    if target == "atgard":
        created = ops.finding_to_atgard(user, fynd)
    else:
        created = ops.finding_to_avvikelse(user, fynd, (body or {}).get("category_id"))
    return {"id": created.id, "ref": created.ref, "kind": created.kind, "from": item.ref}


RULE = {
    "type": "object", "additionalProperties": False, "required": ["freq", "start"],
    "properties": {
        "freq": {"type": "string", "enum": ["once", "monthly", "quarterly", "yearly", "weeks",
                                            "last_working_day"]},
        "start": {"type": "string", "format": "date"},
        "interval": {"type": "integer", "minimum": 1, "maximum": 52},
        "day": {"type": ["integer", "null"]}, "month": {"type": ["integer", "null"]},
        "until": DATE,
    },
}  # fmt: skip
KONTROLL_FIELDS = {
    "title": text(300), "description": text(5000),
    "method": {"type": "string", "enum": [str(m) for m in Metod]},
    "sample_size": {"type": "integer"}, "rule": RULE,
    "responsible_role": {"type": "string"}, "due_working_days": {"type": "integer"},
    "unit_ids": ids(), "questions": {"type": "array", "items": text(500), "maxItems": 100},
    "active": {"type": "boolean"},
}  # fmt: skip
KONTROLL_422 = ("422: titel saknas (title), urval utanför 1–50 (sample_size), ingen enhet "
                "eller en enhet utanför planens omfattning (unit_ids), ingen fråga (questions), "
                "ogiltig återkomst (freq, start, until, month, day).")  # fmt: skip


def routes() -> list[Route]:
    plan_id = path_id("plan_id", "Planens id")
    ref = Param("ref", {"type": "string", "minLength": 1, "maxLength": 40},
                "Egenkontrollens ärendenummer", location="path")  # fmt: skip
    base = "/egenkontroll-planer"
    return [
        Route("GET", base, "egenkontroll_plans", "Egenkontrollplaner jag kan se", TAG,
              list_plans, errors=(), response={"type": "array", "items": PLAN_SCHEMA}),
        Route("POST", base, "egenkontroll_plan_create", "Ny egenkontrollplan (utkast)", TAG,
              create_plan, status=201, response=PLAN_SCHEMA, errors=(403, 404, 422),
              body=obj({"year": {"type": "integer", "description": "Kvalitetsårets första år"},
                        "name": text(200), "scope_unit_id": ID, "description": text(5000)},
                       ["year", "name", "scope_unit_id"]),
              description="403 utan planroll över enheten. 422: namn saknas eller finns "
              "redan för året (name), ogiltigt år (year)."),
        Route("GET", f"{base}/{{plan_id}}", "egenkontroll_plan", "En plan med kontrollerna",
              TAG, get_plan, params=[plan_id], response=PLAN_SCHEMA, errors=(404,)),
        Route("PATCH", f"{base}/{{plan_id}}", "egenkontroll_plan_update",
              "Ändra planens namn och beskrivning", TAG, update_plan, params=[plan_id],
              body=obj({"name": text(200), "description": text(5000)}), response=PLAN_SCHEMA,
              errors=(403, 404, 422), description="422: namn saknas (name)."),
        Route("POST", f"{base}/{{plan_id}}/faststall", "egenkontroll_plan_adopt",
              "Fastställ planen (tillfällena skapas)", TAG, adopt_plan, params=[plan_id],
              response=PLAN_SCHEMA, errors=(403, 404, 422),
              description="422 när planen redan är fastställd eller saknar aktiva kontroller."),
        Route("POST", f"{base}/{{plan_id}}/kopiera", "egenkontroll_plan_copy",
              "Kopiera planen till nästa kvalitetsår (utkast)", TAG, copy_plan,
              params=[plan_id], status=201, response=PLAN_SCHEMA, errors=(403, 404, 422),
              description="422 när en plan med samma namn redan finns för nästa år."),
        Route("POST", f"{base}/{{plan_id}}/kontroller", "egenkontroll_kontroll_create",
              "Ny kontroll i planen", TAG, new_kontroll, params=[plan_id], status=201,
              body=obj(KONTROLL_FIELDS, ["title", "rule", "unit_ids", "questions"]),
              errors=(403, 404, 422), description=KONTROLL_422),
        Route("PATCH", "/egenkontroll-kontroller/{kontroll_id}", "egenkontroll_kontroll_update",
              "Ändra en kontroll (borttagna frågor stängs av, svaren behålls)", TAG,
              edit_kontroll, params=[path_id("kontroll_id", "Kontrollens id")],
              body=obj(KONTROLL_FIELDS), errors=(403, 404, 422), description=KONTROLL_422),
        Route("POST", "/egenkontroll/{ref}/sista-datum", "egenkontroll_due_date",
              "Flytta ett tillfälles sista datum", TAG, due_date, params=[ref],
              body=obj({"due_date": DATE, "version": VERSION}, ["due_date"]),
              errors=(403, 404, 409, 422),
              description="422 (due_date): före planerat datum, saknas, eller tillfället är "
              "avslutat. En missad egenkontroll med nytt datum framåt planeras igen."),
        Route("POST", "/egenkontroll/{ref}/fynd/{fynd_id}/{target}", "egenkontroll_fynd_till",
              "Gör ett fynd till en förbättringsåtgärd eller en avvikelse", TAG, finding_to,
              params=[ref, path_id("fynd_id", "Fyndets id"),
                      Param("target", {"type": "string", "enum": ["atgard", "avvikelse"]},
                            "atgard eller avvikelse", location="path", required=True)],
              body=obj({"category_id": ID}), status=201, errors=(403, 404, 422),
              description="422 när fyndet redan har blivit ett ärende."),
    ]  # fmt: skip
