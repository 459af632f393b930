"""The samlad analys in the JSON API (/api/v1/analys/...): the overview, flags and patterns for
a unit and a period, and conclusions (with the åtgärd decided) on an analysis: the same
functions and operations as the web pages, declared as `Route`s so that validation and the
OpenAPI document come from the same declarations. The analysis items themselves have the
generic item endpoints (/api/v1/analys, /api/v1/analys/{ref}, steps, comments, links).

Imported by kvalitet.analys.views before the API blueprint is registered (the module "analys"
is loaded after "mal" and before "api", see kvalitet/modules.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from kvalitet.analys import operations as ops
from kvalitet.analys.compile import overview
from kvalitet.analys.flags import find_flags
from kvalitet.analys.kinds import SPEC
from kvalitet.analys.models import Analys, AnalysPlan
from kvalitet.analys.operations import THEME_LISTS
from kvalitet.analys.patterns import find_patterns
from kvalitet.analys.signals import KIND_LABELS
from kvalitet.api.routes import (
    PERIOD_PARAMS,
    REF_PARAM,
    ROUTES,
    _kind_routes,
    add_route,
    period_from,
)
from kvalitet.api.schema import Param, RequestInvalid, Route
from kvalitet.arshjul.models import ArshjulAktivitet
from kvalitet.arshjul.operations import may_edit_plan
from kvalitet.core import clock
from kvalitet.core.errors import NotFound
from kvalitet.core.periods import Period, custom_period
from kvalitet.core.permissions import statistics_detail, statistics_paths
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit, User

TAG = "Samlad analys"
ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
UNIT = Param("unit", ID, "Enhet (delträd); standard: användarens högsta enhet med statistik")
PARAMS = [UNIT, *PERIOD_PARAMS[:2]]
FLAG = {"type": "object", "required": ["kind", "subject", "month", "direction", "text"],
        "properties": {"kind": {"type": "string"}, "unit_id": {"type": ["integer", "null"]},
                       "subject": {"type": "string"}, "month": {"type": "string"},
                       "direction": {"type": "string", "enum": ["hog", "tyst"]},
                       "text": {"type": "string"}, "count": {"type": "integer"},
                       "expected": {"type": "number"}, "p_value": {"type": "number"}}}  # fmt: skip
CONCLUSION_BODY = {
    "type": "object", "additionalProperties": False, "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1, "maxLength": 5000},
        "quality_area_id": {**ID, "type": ["integer", "null"]},
        "version": ID,
        "atgard": {"type": "object", "additionalProperties": False, "required": ["title"],
                   "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200},
                                  "owner_id": {**ID, "type": ["integer", "null"]},
                                  "due_date": {"type": ["string", "null"], "format": "date"}}},
    },
}  # fmt: skip


def _scope(user: User, query: dict[str, Any]) -> tuple[Unit, Period]:
    if "unit" in query:
        root = db.session.get(Unit, query["unit"])
        if root is None or not any(statistics_detail(user, k, root) for k in KIND_LABELS):
            raise RequestInvalid(403, "Du har inte behörighet att se analysen för enheten.")
    else:
        paths = sorted({p for k in KIND_LABELS for p in statistics_paths(user, k)})
        root = db.session.scalar(
            select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)
        ) if paths else None  # fmt: skip
        if root is None:
            raise RequestInvalid(403, "Du har inte behörighet att se någon analys.")
    period = period_from(query)
    if period is None:
        today = clock.today()
        period = custom_period(date(today.year, 1, 1), today)
    if (period.end - period.start).days > 731:
        raise RequestInvalid(400, "Perioden får vara högst två år.", {"from": ["För lång."]})
    return root, period


def get_overview(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
    root, period = _scope(user, query)
    return overview(user, root, period)


def get_flags(user: User, query: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    root, period = _scope(user, query)
    return [f.as_dict() for f in find_flags(user, root, period)]


def get_patterns(user: User, query: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    root, period = _scope(user, query)
    return [p.as_dict() for p in find_patterns(user, root, period)]


def post_conclusion(user: User, query: dict[str, Any], body: Any, ref: str) -> dict[str, Any]:
    analys = load_item(ref, user, Analys)
    atgard = None
    if body.get("atgard") is not None:
        raw = body["atgard"]
        atgard = {"title": raw["title"], "owner": raw.get("owner_id"),
                  "due_date": raw.get("due_date")}  # fmt: skip
    row = ops.add_conclusion(user, analys, body["text"],
                             quality_area_id=body.get("quality_area_id"), atgard=atgard,
                             expected_version=body.get("version"))  # fmt: skip
    return {
        "id": row.id,
        "text": row.text,
        "analys": analys.ref,
        "atgard": row.atgard.ref if row.atgard is not None else None,
    }


def start(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
    unit = db.session.get(Unit, body["unit_id"])
    if unit is None:
        raise NotFound()
    analys = ops.start_analysis(user, unit, body.get("start"), body.get("end"))
    return {"id": analys.id, "ref": analys.ref, "title": analys.title, "unit_id": unit.id,
            "period": {"start": analys.period_start.isoformat(),
                       "end": analys.period_end.isoformat()}}  # fmt: skip


def add_theme(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
    ops.add_theme(user, body["list_key"], body["label"])
    return {"list_key": body["list_key"], "label": body["label"].strip()}


def _settings_json() -> list[dict[str, Any]]:
    plans = {p.aktivitet_id: p.months for p in db.session.scalars(select(AnalysPlan))}
    rows = db.session.scalars(
        select(ArshjulAktivitet).order_by(ArshjulAktivitet.sort_order, ArshjulAktivitet.id)
    )
    return [{"aktivitet_id": a.id, "title": a.title, "months": plans.get(a.id)}
            for a in rows]  # fmt: skip


def get_settings(user: User, query: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    if not may_edit_plan(user):
        raise RequestInvalid(403, "Du har inte behörighet att ändra analysernas inställningar.")
    return _settings_json()


def put_setting(user: User, query: dict[str, Any], body: Any, akt_id: str) -> dict[str, Any]:
    aktivitet = db.session.get(ArshjulAktivitet, int(akt_id))
    if aktivitet is None:
        raise NotFound()
    ops.set_plan(user, aktivitet, body.get("months"))
    return {"aktivitet_id": aktivitet.id, "title": aktivitet.title, "months": body.get("months")}


def typical_settings(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
    made = ops.mark_typical_year_by(user)
    return {"marked": made, "settings": _settings_json()}


def register_steps() -> None:
    add_route(Route("POST", "/analys", "analys_create",
                    "Starta en samlad analys för en enhet och en period", TAG, start,
                    status=201, errors=(403, 404, 422),
                    body={"type": "object", "additionalProperties": False,
                          "required": ["unit_id", "start", "end"],
                          "properties": {"unit_id": ID,
                                         "start": {"type": "string", "format": "date"},
                                         "end": {"type": "string", "format": "date"}}},
                    description="403 utan rätt att starta en analys för enheten. 422: slut före "
                    "början eller längre än två år (end)."))  # fmt: skip
    add_route(Route("POST", "/analys/teman", "analys_theme",
                    "Lägg till ett tema i en kategorilista (från temaförslagen)", TAG,
                    add_theme, status=201, errors=(403, 422),
                    body={"type": "object", "additionalProperties": False,
                          "required": ["list_key", "label"],
                          "properties": {"list_key": {"type": "string", "enum": list(THEME_LISTS)},
                                         "label": {"type": "string", "minLength": 1,
                                                   "maxLength": 200}}},
                    description="Bara kvalitetsutvecklare och administratörer (403). 422 (label) "
                    "när värdet redan finns eller innehåller ett personnummer."))  # fmt: skip
    add_route(Route("GET", "/analys/installningar", "analys_settings",
                    "Vilka årshjulsaktiviteter som är analyser, och hur långt bakåt", TAG,
                    get_settings, errors=(403,),
                    response={"type": "array", "items": {"type": "object"}}))  # fmt: skip
    add_route(Route("PUT", "/analys/installningar/{akt_id}", "analys_setting_put",
                    "Gör en årshjulsaktivitet till en analys (months) eller inte (null)", TAG,
                    put_setting, errors=(403, 404, 422),
                    params=[Param("akt_id", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                                  "Aktivitetens id", location="path", required=True)],
                    body={"type": "object", "additionalProperties": False, "required": ["months"],
                          "properties": {"months": {"type": ["integer", "null"]}}},
                    description="422 (months) för annat än 1, 3, 6 eller 12."))  # fmt: skip
    add_route(Route("POST", "/analys/installningar/typiskt-ar", "analys_settings_typical",
                    "Markera det typiska årshjulets analyser", TAG, typical_settings,
                    errors=(403,)))  # fmt: skip


def register() -> None:
    # The generic item routes of the kind (list, get, steps, comments, links): the API builds
    # them for the kinds registered when kvalitet.api.routes is first imported (by
    # kvalitet.mal, loaded before this module), so the analysis kind adds its own once.
    if not any(r.path == "/analys/{ref}" for r in ROUTES):
        _kind_routes(SPEC)
    add_route(Route("GET", "/analys/oversikt", "analys_overview",
                    "Alla signaler, flaggor och mönster för en enhet och en period", TAG,
                    get_overview, params=PARAMS, errors=(400, 403),
                    description="Samma urval och samma behörighet som sidan Samlad analys: "
                    "ärendetyper utan statistikbehörighet utelämnas, läsare får aggregat med "
                    "små grupper som \"<5\"."))  # fmt: skip
    add_route(Route("GET", "/analys/flaggor", "analys_flags",
                    "Ovanliga utfall (kontrollgrafer per enhet och månad)", TAG, get_flags,
                    params=PARAMS, errors=(400, 403),
                    response={"type": "array", "items": FLAG}))  # fmt: skip
    add_route(Route("GET", "/analys/monster", "analys_patterns",
                    "Återkommande orsaker i flera ärendetyper", TAG, get_patterns,
                    params=PARAMS, errors=(400, 403),
                    response={"type": "array", "items": {"type": "object"}}))  # fmt: skip
    add_route(Route("POST", "/analys/{ref}/slutsatser", "analys_conclusion",
                    "Ny slutsats, och i samma steg den förbättringsåtgärd som beslutas", TAG,
                    post_conclusion, params=[REF_PARAM], body=CONCLUSION_BODY, status=201,
                    response={"type": "object"}))  # fmt: skip


register()
register_steps()
