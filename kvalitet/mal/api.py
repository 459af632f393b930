"""Mål och indikatorer in the JSON API (/api/v1/mal/...): plans with their goals,
indikatorer, utfall and assessments; the same operations as the web pages, declared as
`Route`s so that validation and the OpenAPI document come from the same declarations.

Imported by kvalitet.mal.views before the API blueprint is registered on the app (the module
"mal" is loaded before "api", see kvalitet/modules.py)."""

from __future__ import annotations

from typing import Any

from kvalitet.api.routes import add_route, component
from kvalitet.api.schema import Param, RequestInvalid, Route
from kvalitet.core.errors import NotFound
from kvalitet.extensions import db
from kvalitet.mal import importer, periods, queries, report
from kvalitet.mal import operations as ops
from kvalitet.mal.measures import MEASURES
from kvalitet.mal.models import (
    Bedomning,
    Enhetstyp,
    Indikator,
    Internkontroll,
    Kon,
    Mal,
    Matmetod,
    Riktning,
    Utfall,
    Verksamhetsplan,
)
from kvalitet.org.models import Unit, User

TAG = "Mål och indikatorer"
ID_PATTERN = {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}
PERIOD = {"type": "string", "enum": list(periods.ALL_CODES)}
VALUE = {
    "type": ["number", "string", "boolean", "null"],
    "description": 'I indikatorns enhet: tal (72 eller "72,5"), ja/nej för ja/nej',
}
NUMBER_OR_TEXT = {"type": ["number", "string", "null"]}
TEXT = {"type": "string", "maxLength": 20000}

UTFALL_SCHEMA = component(
    "MalUtfall",
    {
        "type": "object",
        "required": ["period", "value", "comment", "computed"],
        "properties": {
            "period": PERIOD,
            "value": {"type": ["number", "null"]},
            "value_k": {"type": ["number", "null"]},
            "value_m": {"type": ["number", "null"]},
            "n_k": {"type": ["integer", "null"]},
            "n_m": {"type": ["integer", "null"]},
            "comment": {"type": "string"},
            "computed": {"type": "boolean"},
            "reaches_target": {"type": ["boolean", "null"]},
        },
    },
)
INDIKATOR_SCHEMA = component(
    "MalIndikator",
    {
        "type": "object",
        "required": ["id", "nr", "name", "unit_of_measure", "periods"],
        "properties": {
            "id": {"type": "integer"},
            "nr": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "method": {"enum": list(Matmetod)},
            "source": {"type": "string"},
            "unit_of_measure": {"enum": list(Enhetstyp)},
            "scale_max": {"type": ["number", "null"]},
            "direction": {"enum": [*list(Riktning), None]},
            "target": {"type": ["number", "null"]},
            "target_high": {"type": ["number", "null"]},
            "target_text": {"type": "string"},
            "baseline": {"type": ["number", "null"]},
            "history": {"type": "object"},
            "periods": {"type": "array", "items": PERIOD},
            "responsible_id": {"type": ["integer", "null"]},
            "by_sex": {"type": "boolean"},
            "sex_labels": {"enum": list(Kon)},
            "measure": {"type": ["string", "null"]},
            "utfall": {"type": "array", "items": UTFALL_SCHEMA},
        },
    },
)
BEDOMNING_SCHEMA = component(
    "MalBedomning",
    {
        "type": "object",
        "required": ["period", "value", "proposed"],
        "properties": {
            "period": PERIOD,
            "value": {"enum": [*list(Bedomning), None]},
            "label": {"type": "string"},
            "proposed": {"enum": [*list(Bedomning), None]},
            "orsak": {"type": "string"},
            "analys": {"type": "string"},
            "atgarder_text": {"type": "string"},
            "atgarder": {"type": "array", "items": {"type": "string"}},
            "confirmed_by": {"type": ["string", "null"]},
        },
    },
)
MAL_SCHEMA = component(
    "MalMal",
    {
        "type": "object",
        "required": ["id", "nr", "name", "level", "parent_id"],
        "properties": {
            "id": {"type": "integer"},
            "nr": {"type": "string"},
            "name": {"type": "string"},
            "level": {"type": "integer"},
            "level_name": {"type": "string"},
            "parent_id": {"type": ["integer", "null"]},
            "description": {"type": "string"},
            "processes": {"type": "string"},
            "owner_id": {"type": ["integer", "null"]},
            "area_ids": {"type": "array", "items": {"type": "integer"}},
            "unit_ids": {"type": "array", "items": {"type": "integer"}},
            "adopted_from_id": {"type": ["integer", "null"]},
            "indikatorer": {"type": "array", "items": INDIKATOR_SCHEMA},
            "bedomningar": {"type": "array", "items": BEDOMNING_SCHEMA},
        },
    },
)
PLAN_SCHEMA = component(
    "MalPlan",
    {
        "type": "object",
        "required": ["id", "unit_id", "year", "name", "levels"],
        "properties": {
            "id": {"type": "integer"},
            "unit_id": {"type": "integer"},
            "unit": {"type": "string"},
            "year": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "levels": {"type": "array", "items": {"type": "string"}},
            "parent_plan_id": {"type": ["integer", "null"]},
            "copied_from_id": {"type": ["integer", "null"]},
            "periods": {"type": "array", "items": PERIOD},
            "mal": {"type": "array", "items": MAL_SCHEMA},
        },
    },
)

PLAN_BODY = {
    "type": "object",
    "required": ["unit_id", "year"],
    "additionalProperties": False,
    "properties": {
        "unit_id": {"type": "integer"},
        "year": {"type": "integer"},
        "name": {"type": "string", "maxLength": 200},
        "description": TEXT,
        "levels": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
    },
}
MAL_BODY = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "parent_id": {"type": ["integer", "null"]},
        "nr": {"type": "string", "maxLength": 20},
        "name": {"type": "string", "maxLength": 300},
        "description": TEXT,
        "processes": {"type": "string", "maxLength": 500},
        "owner_id": {"type": ["integer", "null"]},
        "area_ids": {"type": "array", "items": {"type": "integer"}},
        "unit_ids": {"type": "array", "items": {"type": "integer"}},
    },
}
INDIKATOR_BODY = {
    "type": "object",
    "required": ["name", "periods"],
    "additionalProperties": False,
    "properties": {
        "nr": {"type": "string", "maxLength": 20},
        "name": {"type": "string", "maxLength": 300},
        "description": TEXT,
        "method": {"type": ["string", "null"]},
        "source": {"type": "string"},
        "unit_of_measure": {"type": ["string", "null"]},
        "scale_max": NUMBER_OR_TEXT,
        "direction": {"type": ["string", "null"]},
        "target": VALUE,
        "target_high": VALUE,
        "baseline": VALUE,
        "baseline_year": {"type": ["integer", "null"]},
        "history": {"type": "object"},
        "periods": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "responsible_id": {"type": ["integer", "null"]},
        "by_sex": {"type": "boolean"},
        "sex_labels": {"enum": list(Kon)},
        "measure": {
            "type": ["string", "null"],
            "description": "Mått i Kvalitet: " + ", ".join(MEASURES),
        },
    },
}
UTFALL_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "value": VALUE,
        "value_k": VALUE,
        "value_m": VALUE,
        "n_k": NUMBER_OR_TEXT,
        "n_m": NUMBER_OR_TEXT,
        "comment": {"type": "string", "maxLength": 5000},
    },
}
BEDOMNING_BODY = {
    "type": "object",
    "required": ["value"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string"},
        "orsak": TEXT,
        "analys": TEXT,
        "atgarder_text": TEXT,
        "atgard_refs": {"type": "array", "items": {"type": "string"}},
    },
}


# --- serialising ---------------------------------------------------------------------------


def utfall_json(ind: Indikator, u: Utfall, values: dict[tuple[int, str], Utfall]) -> dict[str, Any]:
    return {
        "period": u.period,
        "value": u.value,
        "value_k": u.value_k,
        "value_m": u.value_m,
        "n_k": u.n_k,
        "n_m": u.n_m,
        "comment": u.comment,
        "computed": u.computed,
        "reaches_target": queries.indicator_status(ind, u.period, values),
    }


def indikator_json(ind: Indikator, values: dict[tuple[int, str], Utfall]) -> dict[str, Any]:
    rows = sorted(
        (u for (iid, _), u in values.items() if iid == ind.id),
        key=lambda u: periods.sort_key(u.period),
    )
    return {
        "id": ind.id,
        "nr": ind.nr,
        "name": ind.name,
        "description": ind.description,
        "method": ind.method,
        "source": ind.source,
        "unit_of_measure": ind.unit_of_measure,
        "scale_max": ind.scale_max,
        "direction": ind.direction,
        "target": ind.target,
        "target_high": ind.target_high,
        "target_text": queries.target_text(ind),
        "baseline": ind.baseline,
        "history": ind.history or {},
        "periods": list(ind.periods),
        "responsible_id": ind.responsible_id,
        "by_sex": ind.by_sex,
        "sex_labels": ind.sex_labels,
        "measure": ind.measure,
        "utfall": [utfall_json(ind, u, values) for u in rows],
    }


def bedomning_json(row: Any) -> dict[str, Any]:
    return {
        "period": row.period,
        "value": row.value,
        "label": Bedomning(row.value).label if row.value in set(Bedomning) else "",
        "proposed": row.proposed,
        "orsak": row.orsak,
        "analys": row.analys,
        "atgarder_text": row.atgarder_text,
        "atgarder": [a.ref for a in row.atgarder],
        "confirmed_by": row.confirmed_by.name if row.confirmed_by else None,
    }


def mal_json(goal: Mal, values: dict[tuple[int, str], Utfall]) -> dict[str, Any]:
    assessments = [queries.bedomning_of(goal, c) for c in queries.plan_periods(goal.plan)]
    return {
        "id": goal.id,
        "nr": goal.nr,
        "name": goal.name,
        "level": goal.level,
        "level_name": goal.plan.level_name(goal.level),
        "parent_id": goal.parent_id,
        "description": goal.description,
        "processes": goal.processes,
        "owner_id": goal.owner_id,
        "area_ids": [a.id for a in goal.areas],
        "unit_ids": [u.id for u in goal.units],
        "adopted_from_id": goal.adopted_from_id,
        "indikatorer": [indikator_json(i, values) for i in goal.indikatorer],
        "bedomningar": [bedomning_json(b) for b in assessments if b is not None],
    }


def plan_json(plan: Verksamhetsplan, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": plan.id,
        "unit_id": plan.unit_id,
        "unit": plan.unit.name,
        "year": plan.year,
        "name": plan.name,
        "description": plan.description,
        "levels": list(plan.levels),
        "parent_plan_id": plan.parent_plan_id,
        "copied_from_id": plan.copied_from_id,
        "periods": queries.plan_periods(plan),
    }
    if full:
        tree = queries.goal_tree(plan)
        values = queries.utfall_map([i for g, _ in tree for i in g.indikatorer])
        out["mal"] = [mal_json(g, values) for g, _ in tree]
    return out


# --- handlers ------------------------------------------------------------------------------


def _plan(user: User, plan_id: str) -> Verksamhetsplan:
    return queries.load_plan(int(plan_id), user)


def list_plans(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    return [plan_json(p, full=False) for p in queries.visible_plans(user)]


def create_plan(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    unit = db.session.get(Unit, body["unit_id"])
    if unit is None:
        raise RequestInvalid(422, "Uppgifterna kunde inte sparas.", {"unit_id": ["Okänd enhet."]})
    fields = {k: v for k, v in body.items() if k != "unit_id"}
    return plan_json(ops.create_plan(user, unit=unit, **fields))


def get_plan(user: User, query: Any, body: Any, plan_id: str) -> dict[str, Any]:
    return plan_json(_plan(user, plan_id))


def copy_plan(user: User, query: Any, body: Any, plan_id: str) -> dict[str, Any]:
    return plan_json(ops.copy_to_next_year(user, _plan(user, plan_id)))


def create_goal(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    parent = None
    if body.get("parent_id"):
        parent = db.session.get(Mal, body["parent_id"])
        if parent is None or parent.plan_id != plan.id:
            raise RequestInvalid(
                422, "Uppgifterna kunde inte sparas.", {"parent_id": ["Okänt överordnat mål."]}
            )
    fields = {k: v for k, v in body.items() if k != "parent_id"}
    goal = ops.create_goal(user, plan, parent, **fields)
    return mal_json(goal, {})


def create_indikator(user: User, query: Any, body: dict[str, Any], mal_id: str) -> dict[str, Any]:
    goal = queries.load_mal(int(mal_id), user)
    return indikator_json(ops.create_indikator(user, goal, **body), {})


def put_goal(user: User, query: Any, body: dict[str, Any], mal_id: str) -> dict[str, Any]:
    goal = queries.load_mal(int(mal_id), user)
    fields = {k: v for k, v in body.items() if k != "parent_id"}
    ops.update_goal(user, goal, **fields)
    return mal_json(goal, queries.utfall_map(list(goal.indikatorer)))


def delete_goal(user: User, query: Any, body: Any, mal_id: str) -> dict[str, Any]:
    ops.delete_goal(user, queries.load_mal(int(mal_id), user))
    return {"deleted": True}


def put_indikator(user: User, query: Any, body: dict[str, Any], ind_id: str) -> dict[str, Any]:
    ind = queries.load_indikator(int(ind_id), user)
    ops.update_indikator(user, ind, **body)
    return indikator_json(ind, queries.utfall_map([ind]))


def delete_indikator(user: User, query: Any, body: Any, ind_id: str) -> dict[str, Any]:
    ops.delete_indikator(user, queries.load_indikator(int(ind_id), user))
    return {"deleted": True}


def put_utfall(
    user: User, query: Any, body: dict[str, Any], ind_id: str, period: str
) -> dict[str, Any]:
    ind = queries.load_indikator(int(ind_id), user)
    u = ops.save_utfall(user, ind, period, **body)
    return utfall_json(ind, u, queries.utfall_map([ind]))


def put_bedomning(
    user: User, query: Any, body: dict[str, Any], mal_id: str, period: str
) -> dict[str, Any]:
    goal = queries.load_mal(int(mal_id), user)
    return bedomning_json(ops.save_bedomning(user, goal, period, **body))


def get_board(user: User, query: dict[str, Any], body: Any, plan_id: str) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    code = str(query.get("period") or "")
    if code not in queries.plan_periods(plan):
        raise RequestInvalid(400, "Ogiltig period.", {"period": ["Planen följs inte upp då."]})
    rows = queries.board(plan, code)
    return {
        "period": code,
        "deadline": periods.deadline(plan.year, code).isoformat(),
        "counts": queries.board_counts(rows),
        "rows": [
            {
                "indikator_id": r.indikator.id,
                "nr": r.indikator.nr,
                "name": r.indikator.name,
                "state": r.state,
                "responsible_id": queries.responsible_for(r.indikator),
            }
            for r in rows
        ],
    }


def import_file(
    user: User, query: dict[str, Any], body: dict[str, Any], plan_id: str
) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    if not queries.may_edit_plan(user, plan.unit):
        raise (
            NotFound()
            if not queries.may_view_plan(user, plan)
            else RequestInvalid(403, "Du har inte behörighet att ändra verksamhetsplanen.")
        )
    upload = body["file"]
    try:
        result = importer.run(
            user, plan, str(query.get("what") or "utfall"), upload.filename, upload.read()
        )
    except importer.MalImportFailed as error:
        fields: dict[str, list[str]] = {}
        for e in error.row_errors:
            fields.setdefault(f"rad {e.row}", []).append(f"{e.column}: {e.message}")
        raise RequestInvalid(422, error.message, fields) from None
    return {"created": result.created}


PLAN_ID = Param("plan_id", ID_PATTERN, "Planens id", location="path", required=True)
MAL_ID = Param("mal_id", ID_PATTERN, "Målets id", location="path", required=True)
IND_ID = Param("ind_id", ID_PATTERN, "Indikatorns id", location="path", required=True)
PERIOD_PATH = Param(
    "period",
    {"type": "string", "pattern": "^[A-Za-z0-9]{1,5}$"},
    "Period: T1, T2, T3, H1, H2, M01–M12 eller AR",
    location="path",
    required=True,
)


# --- plan edits, adoption, intern kontroll, the follow-up report, computed utfall -----------


def patch_plan(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    ops.update_plan(user, plan, name=body.get("name", plan.name),
                    description=body.get("description", plan.description),
                    levels=body.get("levels", list(plan.levels)))  # fmt: skip
    return plan_json(plan)


def adopt(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    unit = db.session.get(Unit, body["unit_id"])
    if unit is None:
        raise RequestInvalid(422, "Uppgifterna kunde inte sparas.", {"unit_id": ["Okänd enhet."]})
    return plan_json(ops.adopt_plan(user, plan, unit))


def internkontroll_json(row: Internkontroll) -> dict[str, Any]:
    return {"id": row.id, "plan_id": row.plan_id, "kontroll_id": row.kontroll_id,
            "kontroll": row.kontroll.title, "process": row.process,
            "sannolikhet": row.sannolikhet, "konsekvens": row.konsekvens,
            "risk": row.sannolikhet * row.konsekvens,
            "rapporteras_till": row.rapporteras_till}  # fmt: skip


def _internkontroll(user: User, row_id: str) -> Internkontroll:
    row = db.session.get(Internkontroll, int(row_id))
    if row is None:
        raise NotFound()
    queries.load_plan(row.plan_id, user)  # 404 for a plan the user may not see
    return row


def list_internkontroll(user: User, query: Any, body: Any, plan_id: str) -> list[dict[str, Any]]:
    return [internkontroll_json(row) for row, _ in queries.internkontroller(_plan(user, plan_id))]


def add_internkontroll(user: User, query: Any, body: dict[str, Any], plan_id: str) -> Any:
    row = ops.add_internkontroll(user, _plan(user, plan_id), **body)
    return internkontroll_json(row)


def put_internkontroll(user: User, query: Any, body: dict[str, Any], row_id: str) -> Any:
    row = _internkontroll(user, row_id)
    return internkontroll_json(ops.update_internkontroll(user, row, **body))


def delete_internkontroll(user: User, query: Any, body: Any, row_id: str) -> dict[str, Any]:
    ops.delete_internkontroll(user, _internkontroll(user, row_id))
    return {"deleted": True}


def freeze_report(user: User, query: Any, body: dict[str, Any], plan_id: str) -> dict[str, Any]:
    plan = _plan(user, plan_id)
    key = body.get("period") or ""
    if body.get("from") and body.get("to"):
        key = f"{body['from'].isoformat()}_{body['to'].isoformat()}"
    rp = report.report_period(plan, key)
    if rp is None:
        raise RequestInvalid(422, "Uppgifterna kunde inte sparas.",
                             {"period": ["Välj en period som planen följs upp för."]})  # fmt: skip
    document = report.compile_report(plan, rp, user)
    version = ops.freeze_report(user, plan, rp.key, document, body.get("comment") or "")
    return {"id": version.id, "number": version.number, "period": version.period,
            "sha256": version.sha256, "plan_id": plan.id}  # fmt: skip


def refresh_utfall(user: User, query: Any, body: Any, ind_id: str, period: str) -> Any:
    ind = queries.load_indikator(int(ind_id), user)
    u = ops.refresh_measure(user, ind, period)
    return utfall_json(ind, u, queries.utfall_map([ind]))


INTERNKONTROLL_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kontroll_id": {"type": "integer", "description": "Kontrollen i en egenkontrollplan"},
        "process": {"type": "string", "maxLength": 300},
        "sannolikhet": {"type": "integer", "minimum": 1, "maximum": 4},
        "konsekvens": {"type": "integer", "minimum": 1, "maximum": 4},
        "rapporteras_till": {"type": "string", "maxLength": 200},
    },
}
PLAN_PATCH_BODY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "description": TEXT,
        "levels": {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 3},
    },
}
IK_ID = Param("row_id", ID_PATTERN, "Kontrollmomentets id", location="path", required=True)


def register_steps() -> None:
    add_route(Route(
        "PATCH", "/mal/planer/{plan_id}", "mal_plan_update",
        "Ändra planens namn, beskrivning och målnivåer", TAG, patch_plan, params=[PLAN_ID],
        body=PLAN_PATCH_BODY,
        response=PLAN_SCHEMA, errors=(403, 404, 422),
        description="422: namn saknas (name), färre nivåer än planens djupaste mål (levels).",
    ))  # fmt: skip
    add_route(Route(
        "POST", "/mal/planer/{plan_id}/anta", "mal_plan_adopt",
        "En lägre enhet antar planens mål (samma år)", TAG, adopt, params=[PLAN_ID],
        body={"type": "object", "additionalProperties": False, "required": ["unit_id"],
              "properties": {"unit_id": {"type": "integer"}}},
        response=PLAN_SCHEMA, status=201, errors=(403, 404, 422),
        description="422 (unit_id) när enheten inte ligger under planens enhet; 403 utan "
        "rätt att ändra enhetens plan.",
    ))  # fmt: skip
    add_route(Route(
        "GET", "/mal/planer/{plan_id}/internkontroll", "mal_internkontroll_list",
        "Planens internkontrollplan", TAG, list_internkontroll, params=[PLAN_ID],
        errors=(404,), response={"type": "array", "items": {"type": "object"}},
    ))  # fmt: skip
    add_route(Route(
        "POST", "/mal/planer/{plan_id}/internkontroll", "mal_internkontroll_create",
        "Lägg ett kontrollmoment i internkontrollplanen", TAG, add_internkontroll,
        params=[PLAN_ID], status=201, errors=(403, 404, 422),
        body={**INTERNKONTROLL_BODY, "required": ["kontroll_id", "sannolikhet", "konsekvens",
                                                  "rapporteras_till"]},
        description="422: kontrollen hör inte till en egenkontrollplan inom eller över "
        "planens enhet (kontroll_id), risk utanför 1–4 (sannolikhet, konsekvens), "
        "mottagare saknas (rapporteras_till).",
    ))  # fmt: skip
    add_route(Route(
        "PUT", "/mal/internkontroll/{row_id}", "mal_internkontroll_put",
        "Ändra ett kontrollmoments process, risk och mottagare", TAG, put_internkontroll,
        params=[IK_ID], errors=(403, 404, 422),
        body={**INTERNKONTROLL_BODY, "required": ["sannolikhet", "konsekvens",
                                                  "rapporteras_till"]},
        description="422 som när momentet läggs till.",
    ))  # fmt: skip
    add_route(Route(
        "DELETE", "/mal/internkontroll/{row_id}", "mal_internkontroll_delete",
        "Ta bort ett kontrollmoment ur internkontrollplanen", TAG, delete_internkontroll,
        params=[IK_ID], errors=(403, 404),
    ))  # fmt: skip
    add_route(Route(
        "POST", "/mal/planer/{plan_id}/rapport/frys", "mal_rapport_freeze",
        "Frys uppföljningsrapporten för en period (med kontrollsumma)", TAG, freeze_report,
        params=[PLAN_ID], status=201, errors=(403, 404, 422),
        body={"type": "object", "additionalProperties": False,
              "properties": {"period": {"type": "string", "maxLength": 25},
                             "from": {"type": "string", "format": "date"},
                             "to": {"type": "string", "format": "date"},
                             "comment": {"type": "string", "maxLength": 500}}},
        description="Period som i webben: en periodkod (T1, H1, AR …) eller from/to. 422: "
        "ogiltig period (period), för lång kommentar (comment).",
    ))  # fmt: skip
    add_route(Route(
        "POST", "/mal/indikatorer/{ind_id}/utfall/{period}/berakna", "mal_utfall_refresh",
        "Beräkna utfallet ur Kvalitets egna uppgifter (indikatorns mått)", TAG,
        refresh_utfall, params=[IND_ID, PERIOD_PATH], errors=(403, 404, 422),
        response=UTFALL_SCHEMA,
        description="422 (measure) när indikatorn inte är kopplad till ett mått; (period) "
        "när indikatorn inte mäts i perioden.",
    ))  # fmt: skip


def register() -> None:
    add_route(
        Route(
            "GET",
            "/mal/planer",
            "mal_plans",
            "Verksamhetsplaner jag kan se",
            TAG,
            list_plans,
            errors=(),
            response={"type": "array", "items": PLAN_SCHEMA},
        )
    )
    add_route(
        Route(
            "POST",
            "/mal/planer",
            "mal_plan_create",
            "Ny verksamhetsplan",
            TAG,
            create_plan,
            body=PLAN_BODY,
            response=PLAN_SCHEMA,
            status=201,
            errors=(403, 422),
        )
    )
    add_route(
        Route(
            "GET",
            "/mal/planer/{plan_id}",
            "mal_plan",
            "En plan med mål, indikatorer, utfall och bedömningar",
            TAG,
            get_plan,
            params=[PLAN_ID],
            response=PLAN_SCHEMA,
            errors=(404,),
        )
    )
    add_route(
        Route(
            "POST",
            "/mal/planer/{plan_id}/kopiera",
            "mal_plan_copy",
            "Kopiera planen till nästa år (struktur och målvärden)",
            TAG,
            copy_plan,
            params=[PLAN_ID],
            response=PLAN_SCHEMA,
            status=201,
            errors=(403, 404, 422),
        )
    )
    add_route(
        Route(
            "POST",
            "/mal/planer/{plan_id}/mal",
            "mal_goal_create",
            "Nytt mål i planen",
            TAG,
            create_goal,
            params=[PLAN_ID],
            body=MAL_BODY,
            response=MAL_SCHEMA,
            status=201,
            errors=(403, 404, 422),
        )
    )
    add_route(
        Route(
            "POST",
            "/mal/mal/{mal_id}/indikatorer",
            "mal_indikator_create",
            "Ny indikator under ett mål",
            TAG,
            create_indikator,
            params=[MAL_ID],
            body=INDIKATOR_BODY,
            response=INDIKATOR_SCHEMA,
            status=201,
            errors=(403, 404, 422),
            description="Ett målvärde kräver en riktning (hogre, lagre, exakt, intervall).",
        )
    )
    deleted = {"type": "object", "properties": {"deleted": {"type": "boolean"}}}
    add_route(
        Route(
            "PUT",
            "/mal/mal/{mal_id}",
            "mal_goal_put",
            "Ändra ett mål",
            TAG,
            put_goal,
            params=[MAL_ID],
            body=MAL_BODY,
            response=MAL_SCHEMA,
            errors=(403, 404, 422),
        )
    )
    add_route(
        Route(
            "DELETE",
            "/mal/mal/{mal_id}",
            "mal_goal_delete",
            "Ta bort ett mål som inget hänger på",
            TAG,
            delete_goal,
            params=[MAL_ID],
            response=deleted,
            errors=(403, 404, 422),
            description="Vägras (422) när målet har mål under sig, indikatorer, bedömningar "
            "eller har antagits av en lägre enhet.",
        )
    )
    add_route(
        Route(
            "PUT",
            "/mal/indikatorer/{ind_id}",
            "mal_indikator_put",
            "Ändra en indikator",
            TAG,
            put_indikator,
            params=[IND_ID],
            body=INDIKATOR_BODY,
            response=INDIKATOR_SCHEMA,
            errors=(403, 404, 422),
        )
    )
    add_route(
        Route(
            "DELETE",
            "/mal/indikatorer/{ind_id}",
            "mal_indikator_delete",
            "Ta bort en indikator utan utfall",
            TAG,
            delete_indikator,
            params=[IND_ID],
            response=deleted,
            errors=(403, 404, 422),
            description="Vägras (422) när indikatorn har utfall.",
        )
    )
    add_route(
        Route(
            "PUT",
            "/mal/indikatorer/{ind_id}/utfall/{period}",
            "mal_utfall_put",
            "Spara utfall för en period",
            TAG,
            put_utfall,
            params=[IND_ID, PERIOD_PATH],
            body=UTFALL_BODY,
            response=UTFALL_SCHEMA,
            errors=(403, 404, 422),
            description="Värdet tolkas i indikatorns enhet. En period som indikatorn "
            "inte mäts i, eller ett värde av fel slag, ger 422 och ändrar "
            "ingenting.",
        )
    )
    add_route(
        Route(
            "PUT",
            "/mal/mal/{mal_id}/bedomning/{period}",
            "mal_bedomning_put",
            "Samlad bedömning av ett mål för en period",
            TAG,
            put_bedomning,
            params=[MAL_ID, PERIOD_PATH],
            body=BEDOMNING_BODY,
            response=BEDOMNING_SCHEMA,
            errors=(403, 404, 422),
        )
    )
    add_route(
        Route(
            "GET",
            "/mal/planer/{plan_id}/uppfoljning",
            "mal_board",
            "Uppföljningstavla: rapporterat, saknas, försenat",
            TAG,
            get_board,
            params=[PLAN_ID, Param("period", PERIOD, "Period", required=True)],
            errors=(400, 404),
        )
    )
    add_route(
        Route(
            "POST",
            "/mal/planer/{plan_id}/import",
            "mal_import",
            "Importera mål och indikatorer eller utfall (CSV/Excel), allt eller inget",
            TAG,
            import_file,
            upload=True,
            params=[
                PLAN_ID,
                Param(
                    "what",
                    {"type": "string", "enum": ["utfall", "struktur"]},
                    "Vad filen innehåller (standard utfall)",
                ),
            ],
            errors=(403, 404, 422),
        )
    )


register()
register_steps()
