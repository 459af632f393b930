"""The /api/v1 blueprint. Every route is a `Route` declaration (kvalitet.api.schema); the
Flask rule, the request validation and the OpenAPI document are all built from it.

Authentication is by personal API token only (`Authorization: Bearer kv_...`). The session
cookie is never read: the logged-in user of an API request is the token's user, set before
anything else runs, so a browser session cannot be used against the API without CSRF.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import AnonymousUserMixin
from sqlalchemy import or_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import selectinload

from kvalitet.api import (
    adminapi,
    arshjulapi,
    lexmariaapi,
    planapi,
    reportapi,
    serialize,
    tokens,
)
from kvalitet.api.kindapi import ID, VERSION, KindAction, actions_for, obj, text
from kvalitet.api.schema import (
    Param,
    RequestInvalid,
    Route,
    coerce_query,
    openapi_document,
    parse_date,
    parse_datetime,
    validate,
)
from kvalitet.core import clock
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.core.periods import (
    Period,
    current_quality_year,
    custom_period,
    parse_quality_year,
)
from kvalitet.core.permissions import (
    Detail,
    can,
    shown_statistics,
    statistics_detail,
    statistics_paths,
    visible_clause,
)
from kvalitet.core.registry import KindSpec, all_kinds, kind_spec
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.core.web import ERROR_TEXTS
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import csrf, db
from kvalitet.items import history
from kvalitet.items.models import Item, LinkType
from kvalitet.items.operations import add_attachment, add_comment, cancel_item, link_items
from kvalitet.items.queries import COUNT_CAP, load_item, log_read_if_needed, paginate
from kvalitet.lexsarah import operations as lexsarah_ops
from kvalitet.lexsarah.models import Spridning
from kvalitet.lexsarah.operations import pending_confirmations
from kvalitet.org.models import Unit, User

api = Blueprint("v1", __name__, url_prefix="/api/v1")
csrf.exempt(api)

ROUTES: list[Route] = []
COMPONENTS: dict[str, Any] = {}

# --- plumbing -------------------------------------------------------------------------------


def error_response(
    status: int, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    title = ERROR_TEXTS.get(status, ERROR_TEXTS[400])[0]
    error: dict[str, Any] = {"status": status, "title": title, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify({"error": error})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kvalitet"'
    return response


@api.before_request
def _no_session_user() -> None:
    # Flask-Login reads g._login_user before the session: an API request is anonymous until
    # its bearer token is checked, whatever cookie the client sends.
    g._login_user = AnonymousUserMixin()


@api.after_app_request
def _allow_header(response: Response) -> Response:
    """A 405 from the API names the methods the path supports (RFC 9110)."""
    if response.status_code == 405 and request.path.startswith("/api/") and \
            "Allow" not in response.headers:  # fmt: skip
        from werkzeug.exceptions import HTTPException

        try:
            methods = current_app.url_map.bind_to_environ(request.environ).allowed_methods()
        except HTTPException:
            methods = []
        response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def bearer_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestInvalid(401, "Ange en API-nyckel: Authorization: Bearer <nyckel>.")
    user = tokens.authenticate(token.strip())
    if user is None:
        raise RequestInvalid(401, "API-nyckeln är ogiltig, utgången eller återkallad.")
    g._login_user = user
    return user


def _convert(value: Any, schema: dict[str, Any]) -> Any:
    """Turn validated JSON into Python values: date and date-time strings to objects."""
    if isinstance(value, str):
        if schema.get("format") == "date":
            return parse_date(value)
        if schema.get("format") == "date-time":
            return parse_datetime(value)
    if isinstance(value, dict) and "properties" in schema:
        return {k: _convert(v, schema["properties"].get(k, {})) for k, v in value.items()}
    return value


def _dispatch(route: Route, path_args: dict[str, Any]) -> Any:
    try:
        user = bearer_user() if route.auth else None
        query: dict[str, Any] = {}
        query_errors: dict[str, list[str]] = {}
        for param in route.params:
            if param.location == "path":
                problems = validate(path_args.get(param.name), param.schema, param.name)
                if problems:
                    raise RequestInvalid(404, ERROR_TEXTS[404][1], problems)
                continue
            raw = request.args.get(param.name)
            if raw is None:
                if param.required:
                    raise RequestInvalid(400, "Parameter saknas.", {param.name: ["Krävs."]})
                continue
            try:
                query[param.name] = coerce_query(param, raw)
            except RequestInvalid as error:
                query_errors.update(error.fields)
        if query_errors:
            raise RequestInvalid(400, "Ogiltiga parametrar.", query_errors)
        body = None
        if route.upload:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise RequestInvalid(400, "Skicka filen som multipart/form-data i fältet file.",
                                     {"file": ["Välj en fil."]})  # fmt: skip
            body = {"file": upload}
        if route.body is not None:
            body = request.get_json(silent=True)
            if body is None and not request.is_json:
                raise RequestInvalid(
                    400, "Skicka ett JSON-objekt (Content-Type: application/json)."
                )
            if body is None:
                raise RequestInvalid(400, "Ogiltig JSON.")
            problems = validate(body, route.body)
            if problems:
                raise RequestInvalid(422, "Uppgifterna kunde inte sparas.", problems)
            body = _convert(body, route.body)
        if user is not None and query.get("occurred_at"):
            result = _as_history(route, user, query, body, path_args)
        else:
            result = route.handler(user=user, query=query, body=body, **path_args)
    except RequestInvalid as error:
        db.session.rollback()
        return error_response(error.status, error.message, error.fields)
    except OperationError as error:
        db.session.rollback()
        fields = {k: list(v) for k, v in (error.errors or {}).items()}
        return error_response(error.status_code, error.message, fields)
    except IntegrityError:
        db.session.rollback()
        current_app.logger.exception("API integrity error")
        return error_response(409, "Uppgifterna krockar med något som redan finns. Inget sparades.")
    except DataError:
        db.session.rollback()
        current_app.logger.exception("API data error")
        return error_response(
            422, "Något värde passar inte databasen (för långt?). Inget sparades."
        )
    response = jsonify(result)
    response.status_code = route.status
    return response


HISTORY_PARAMS = [
    Param("occurred_at", {"type": "string", "minLength": 10, "maxLength": 40},
          "Historik: när det hände (ÅÅÅÅ-MM-DD, då kl. 12, eller ISO 8601 med tidszon). "
          "Anropet körs som om det vore då: datum, tidsfrister och ärendenummer följer den "
          "tidpunkten. Bara kvalitetsutvecklare och administratörer över enheten; inte i "
          "framtiden, inte före det ärendet redan har (403/422)."),
    Param("source", {"type": "string", "maxLength": 150},
          "Historik: varifrån uppgiften kommer (t.ex. ”Treserva, dnr 2021/44”), skrivs i "
          "granskningsloggen"),
    Param("source_ref", {"type": "string", "minLength": 1, "maxLength": 40},
          "Historik, när ett ärende skapas: behåll källans nummer (t.ex. AVV-2021-0007 eller "
          "källsystemets eget); 422 om numret redan finns"),
]  # fmt: skip


def _as_history(route: Route, user: User, query: dict[str, Any], body: Any,
                path_args: dict[str, Any]) -> Any:  # fmt: skip
    """Run a write call as history at `occurred_at` (kvalitet.items.history)."""
    raw = query["occurred_at"].strip()
    when = parse_datetime(raw) if len(raw) > 10 else parse_date(raw)
    if when is None:
        raise RequestInvalid(400, "Ogiltig parameter.", {"occurred_at": [
            "Ange datum ÅÅÅÅ-MM-DD eller tid ÅÅÅÅ-MM-DDTTT:MM med tidszon."]})  # fmt: skip
    item = load_item(path_args["ref"], user) if "ref" in path_args else None
    call = f"API {route.method} /api/v1{route.path}"
    source = f"{call}: {query['source']}" if query.get("source") else call
    with history.recording(user, when, source=source, item=item,
                           source_ref=query.get("source_ref")):  # fmt: skip
        result = route.handler(user=user, query=query, body=body, **path_args)
    return result


def add_route(route: Route) -> Route:
    if route.auth and route.method in ("POST", "PATCH") and route.path != "/imports":
        route.params = [*route.params, *HISTORY_PARAMS]

    def view(**path_args: Any) -> Any:
        return _dispatch(route, path_args)

    view.__name__ = route.endpoint
    api.add_url_rule(route.flask_path, route.endpoint, view, methods=[route.method])
    ROUTES.append(route)
    return route


def component(name: str, schema: dict[str, Any]) -> dict[str, str]:
    COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


# --- shared schemas -------------------------------------------------------------------------

REF_PARAM = Param("ref", {"type": "string", "minLength": 1, "maxLength": 40}, "Ärendenummer, "
                  "t.ex. AVV-2026-0042 (eller id)", location="path")  # fmt: skip
PAGE_PARAMS = [
    Param("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "Sida (från 1)"),
    Param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "Antal per sida"),
]
UNIT_PARAM = Param("unit", ID, "Enhet: ärenden i dess hela "
                   "delträd")  # fmt: skip
PERIOD_PARAMS = [
    Param("from", {"type": "string", "format": "date"}, "Skapade från och med (ÅÅÅÅ-MM-DD)"),
    Param("to", {"type": "string", "format": "date"}, "Skapade till och med (ÅÅÅÅ-MM-DD)"),
    Param(
        "year",
        {"type": "string", "pattern": "^[0-9]{4}(/[0-9]{2,4})?$", "maxLength": 9},
        "Kvalitetsår, t.ex. 2025/26",
    ),
]
SUMMARY = component("ItemSummary", serialize.SUMMARY_SCHEMA)
REF_OBJ = serialize.REF_SCHEMA
RECEIPT_NOTE = (
    "Svaret är ärendet, eller ett kvitto (visible: false) om användaren inte längre får läsa "
    "det (t.ex. en lex Sarah-rapport, eller ett ärende flyttat till en annan enhet)."
)
RECEIPT = component("Receipt", {
    "type": "object", "required": ["id", "ref", "kind", "visible", "message"],
    "properties": {"id": {"type": "integer"}, "ref": {"type": "string"},
                   "kind": {"type": "string"}, "visible": {"const": False},
                   "message": {"type": "string"}},
})  # fmt: skip


def page_of(items_schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "total_capped", "pages"],
        "properties": {
            "items": {"type": "array", "items": items_schema},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer", "description": f"Antal träffar, högst {COUNT_CAP}"},
            "total_capped": {
                "type": "boolean",
                "description": f"Sant när träffarna är fler än {COUNT_CAP} (räknas inte längre)",
            },
            "pages": {"type": "integer"},
            "next": {
                "type": ["string", "null"],
                "description": "Skicka som after för nästa sida (null på sista sidan)",
            },
        },
    }


def period_from(query: dict[str, Any]) -> Period | None:
    raw_start, raw_end = query.get("from"), query.get("to")
    if raw_start or raw_end:
        start = parse_date(raw_start) if raw_start else None
        end = parse_date(raw_end) if raw_end else None
        if start and end and end < start:
            raise RequestInvalid(400, "Ogiltig period.", {"to": ["Slutdatum före startdatum."]})
        return custom_period(start or date(1900, 1, 1), end or clock.today())
    if query.get("year"):
        period = parse_quality_year(query["year"])
        if period is None:
            raise RequestInvalid(400, "Ogiltig period.", {"year": ["Ange ett kvalitetsår."]})
        return period
    return None


# --- generic item routes --------------------------------------------------------------------


def _load(spec: KindSpec, ref: str, user: User) -> Item:
    return load_item(ref, user, spec.model)


def _kind_routes(spec: KindSpec) -> None:
    slug = serialize.slug(spec)
    code = spec.code
    tag = spec.label_plural
    detail = component(f"{code}Detail", serialize.detail_schema(spec))
    states = list(spec.workflow.states)

    generic = {"status", "unit", "from", "to", "year", "q", "overdue", "open",
               "include_cancelled", "page", "per_page"}  # fmt: skip
    kind_filters = [(c, sch) for c, sch in serialize.filter_columns(spec) if c.name not in generic]

    def list_items(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
        stmt = select(spec.model).where(visible_clause(user, [spec]))
        if "status" in query:
            stmt = stmt.where(Item.status == query["status"])
        if not query.get("include_cancelled"):
            stmt = stmt.where(Item.cancelled_at.is_(None))
        if "unit" in query:
            root = db.session.get(Unit, query["unit"])
            path = root.path if root is not None else "/-/"
            stmt = stmt.where(
                Item.unit_id.in_(select(Unit.id).where(Unit.path.startswith(path, autoescape=True)))
            )
        period = period_from(query)
        if period is not None:
            stmt = stmt.where(
                Item.created_at >= period.start_utc(), Item.created_at < period.end_utc()
            )
        if query.get("q"):
            stmt = stmt.where(
                or_(*(contains_folded(c, query["q"]) for c in (Item.ref, Item.title,
                                                               Item.description)))
            )  # fmt: skip
        if query.get("open"):
            stmt = stmt.where(
                Item.status.in_(spec.workflow.open_states), Item.cancelled_at.is_(None)
            )
        for column, _schema in kind_filters:
            if column.name in query:
                stmt = stmt.where(column == query[column.name])
        if "overdue" in query:
            overdue = Item.due_date < clock.today()
            open_ = Item.status.in_(spec.workflow.open_states)
            if query["overdue"]:
                stmt = stmt.where(overdue, open_, Item.cancelled_at.is_(None))
            else:
                stmt = stmt.where(or_(Item.due_date.is_(None), ~overdue, ~open_))
        per_page = query.get("per_page", 50)
        # As the web lists: counted up to COUNT_CAP, and `after` (the `next` of the page
        # before) goes on by keyset cursor, as fast deep in the list as at its start.
        after = query.get("after") or None
        found = paginate(
            stmt.options(selectinload(Item.owner)).order_by(  # one query for the owners
                Item.created_at.desc(), Item.id.desc()
            ),
            per_page,
            page=None if after else query.get("page", 1),
            after=after,
        )
        return {
            "items": [serialize.summary(i) for i in found.items],
            "page": found.page,
            "per_page": per_page,
            "total": found.total,
            "total_capped": found.capped,
            "pages": found.pages,
            "next": found.next_cursor if found.has_next else None,
        }

    add_route(Route(
        "GET", f"/{slug}", f"{slug}_list", f"Lista {spec.label_plural.lower()}", tag, list_items,
        params=[
            Param("status", {"type": "string", "enum": states}, "Status"),
            UNIT_PARAM, *PERIOD_PARAMS,
            Param("q", {"type": "string", "maxLength": 200}, "Sök i nummer, rubrik, beskrivning"),
            Param("overdue", {"type": "boolean"}, "Bara försenade (true) / inte försenade"),
            Param("open", {"type": "boolean"}, "Bara öppna (true)"),
            Param("include_cancelled", {"type": "boolean"}, "Ta med makulerade"),
            *[Param(c.name, sch, f"Filter på fältet {c.name}") for c, sch in kind_filters],
            *PAGE_PARAMS,
            Param("after", {"type": "string", "maxLength": 400},
                  "Fortsätt efter förra sidan: dess värde i next (går före page)"),
        ],
        response=page_of(SUMMARY), errors=(400,),
        description="Samma urval som i webbgränssnittet: bara ärenden användaren får se.",
    ))  # fmt: skip

    def get_item(user: User, ref: str, query: Any, body: Any) -> dict[str, Any]:
        item = _load(spec, ref, user)
        log_read_if_needed(user, item)
        return serialize.detail(item, user)

    add_route(
        Route(
            "GET",
            f"/{slug}/{{ref}}",
            f"{slug}_get",
            f"Hämta {spec.label.lower()}",
            tag,
            get_item,
            params=[REF_PARAM],
            response=detail,
            errors=(404,),
        )
    )

    transition_names = [t.name for t in spec.workflow.transitions]

    def transition(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = _load(spec, ref, user)
        run_transition(item, body["transition"], user, reason=body.get("reason"),
                       expected_version=body.get("expected_version"))  # fmt: skip
        return serialize.detail(item, user)

    add_route(Route(
        "POST", f"/{slug}/{{ref}}/transitions", f"{slug}_transition",
        "Ta ett steg i arbetsflödet", tag, transition, params=[REF_PARAM],
        body=obj({"transition": {"type": "string", "enum": transition_names},
                  "reason": text(2000, nullable=True),
                  "expected_version": VERSION}, ["transition"]),
        response=detail,
        description="409 om steget inte kan tas nu (meddelandet säger varför) eller om "
        "expected_version inte är ärendets aktuella version.",
    ))  # fmt: skip

    def comment(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = _load(spec, ref, user)
        row = add_comment(item, user, body["body"])
        return {"id": row.id, "author": {"id": user.id, "name": user.name}, "body": row.body,
                "created_at": serialize.plain(row.created_at)}  # fmt: skip

    add_route(Route(
        "POST", f"/{slug}/{{ref}}/comments", f"{slug}_comment", "Kommentera", tag, comment,
        params=[REF_PARAM], body=obj({"body": text(10000)}, ["body"]), status=201,
        response={"type": "object", "required": ["id", "author", "body", "created_at"],
                  "properties": {"id": {"type": "integer"}, "author": REF_OBJ,
                                 "body": {"type": "string"},
                                 "created_at": {"type": "string", "format": "date-time"}}},
    ))  # fmt: skip

    def link(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = _load(spec, ref, user)
        try:
            target: Item = load_item(body["target"].strip(), user)
        except NotFound:
            raise OperationError("Hittar inget ärende med det numret som du har tillgång till.",
                                 field="target") from None  # fmt: skip
        link_items(item, target, user, body.get("link_type") or LinkType.RELATERAD)
        return serialize.detail(item, user)

    add_route(Route(
        "POST", f"/{slug}/{{ref}}/links", f"{slug}_link", "Koppla till ett annat ärende", tag,
        link, params=[REF_PARAM], status=201, response=detail,
        body=obj({"target": text(40, minLength=1),
                  "link_type": {"type": "string", "enum": [str(t) for t in LinkType]}},
                 ["target"]),
    ))  # fmt: skip

    def attach(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = _load(spec, ref, user)
        upload = body["file"]
        row = add_attachment(item, user, upload.filename or "", upload.stream)
        return serialize.attachment(row)

    add_route(Route(
        "POST", f"/{slug}/{{ref}}/attachments", f"{slug}_attach", "Bifoga en fil", tag, attach,
        params=[REF_PARAM], upload=True, status=201, response=serialize.ATTACHMENT_SCHEMA,
        description="Samma regler som i webben: tillåtna filtyper (ATTACHMENT_EXTENSIONS) "
        "och största storlek (ATTACHMENT_MAX_BYTES); annars 422 med fältet file.",
    ))  # fmt: skip

    def cancel(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = _load(spec, ref, user)
        cancel_item(item, user, body["reason"], body.get("expected_version"))
        return serialize.detail(item, user)

    add_route(Route(
        "POST", f"/{slug}/{{ref}}/cancel", f"{slug}_cancel", "Makulera (med skäl)", tag,
        cancel, params=[REF_PARAM], response=detail,
        body=obj({"reason": text(2000), "expected_version": VERSION},
                 ["reason"]),
    ))  # fmt: skip

    for action in actions_for(code):
        _action_route(spec, slug, tag, detail, action)


def _action_route(
    spec: KindSpec, slug: str, tag: str, detail: dict[str, str], action: KindAction
) -> None:

    result_detail = detail
    if action.result_kind:
        result_detail = {"$ref": f"#/components/schemas/{action.result_kind}Detail"}

    def present(user: User, item: Item) -> dict[str, Any]:
        db.session.refresh(item)
        if not can(user, "view", item):
            # E.g. a lex Sarah report: the reporter may report but not read the case.
            message = f"{item.ref} är sparat. Du har inte behörighet att läsa ärendet."
            return {"id": item.id, "ref": item.ref, "kind": item.kind, "visible": False,
                    "message": message}  # fmt: skip
        return serialize.detail(item, user)

    if action.name == "create":

        def create(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
            return present(user, action.run(user, None, body))

        add_route(Route("POST", f"/{slug}", f"{slug}_create", action.summary, tag, create,
                        body=action.body, response={"anyOf": [detail, RECEIPT]}, status=201,
                        description=RECEIPT_NOTE))  # fmt: skip
        return

    def run(user: User, ref: str, query: Any, body: dict[str, Any]) -> dict[str, Any]:
        item = load_item(ref, user, spec.model)
        return present(user, action.run(user, item, body))

    if action.name == "update":
        add_route(Route("PATCH", f"/{slug}/{{ref}}", f"{slug}_update", action.summary, tag, run,
                        params=[REF_PARAM], body=action.body, description=RECEIPT_NOTE,
                        response={"anyOf": [detail, RECEIPT]}))  # fmt: skip
        return
    created = action.result_kind is not None and action.result_kind != spec.code
    if action.result_kind is not None:
        kind_spec(action.result_kind)  # must exist
    add_route(Route(
        "POST", f"/{slug}/{{ref}}/{action.name}", f"{slug}_{action.name}", action.summary, tag,
        run, params=[REF_PARAM], body=action.body, response={"anyOf": [result_detail, RECEIPT]},
        description=RECEIPT_NOTE,
        status=201 if created else 200,
    ))  # fmt: skip


# --- units, user, kinds, statistics ---------------------------------------------------------

UNIT_SCHEMA = component("Unit", {
    "type": "object", "required": ["id", "name", "kind", "parent_id", "path", "depth"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "kind": {"type": "string"}, "parent_id": {"type": ["integer", "null"]},
                   "path": {"type": "string"}, "depth": {"type": "integer"}},
})  # fmt: skip


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "name": unit.name, "kind": str(unit.kind), "parent_id": unit.parent_id,
            "path": unit.path, "depth": unit.depth}  # fmt: skip


def list_units(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.path))
    return [_unit_json(u) for u in units]


def me(user: User, query: Any, body: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "title": user.title or "",
        "home_unit": None if user.home_unit is None else _unit_json(user.home_unit),
        "roles": [
            {"role": str(ra.role), "label": ROLE_LABELS.get(Role(ra.role), str(ra.role)),
             "unit": {"id": ra.unit.id, "name": ra.unit.name}}
            for ra in user.roles
        ],
    }  # fmt: skip


def kinds(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    return [
        {
            "code": spec.code,
            "path": "/api/v1/" + serialize.slug(spec),
            "label": spec.label,
            "label_plural": spec.label_plural,
            "states": [{"value": k, "label": v, "closed": k in spec.workflow.closed_states}
                       for k, v in spec.workflow.states.items()],
            "transitions": [{"name": t.name, "label": t.label, "from": list(t.source),
                             "to": t.target, "needs_reason": t.needs_reason}
                            for t in spec.workflow.transitions],
        }
        for spec in all_kinds()
    ]  # fmt: skip


def _stats_module(spec: KindSpec) -> Any:
    module_name = spec.model.__module__.rsplit(".", 1)[0] + ".stats"
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    return getattr(module, "statistics", None)


def _stats_handler(spec: KindSpec, statistics: Any) -> Any:
    def handler(user: User, query: dict[str, Any], body: Any) -> dict[str, Any]:
        if "unit" in query:
            root = db.session.get(Unit, query["unit"])
            if root is None or statistics_detail(user, spec.code, root) is None:
                raise RequestInvalid(403, "Du har inte behörighet att se statistik för enheten.")
        else:
            paths = statistics_paths(user, spec.code)
            root = db.session.scalar(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)) \
                if paths else None  # fmt: skip
            if root is None:
                raise RequestInvalid(403, "Du har inte behörighet att se statistik.")
        detail = statistics_detail(user, spec.code, root)
        assert detail is not None
        period = period_from(query) or current_quality_year()
        current = shown_statistics(detail, serialize.plain(statistics(root, period)))
        previous = shown_statistics(
            detail, serialize.plain(statistics(root, period.previous_year()))
        )
        return {
            "kind": spec.code,
            "unit": {"id": root.id, "name": root.name},
            "period": {"label": period.label, "start": period.start.isoformat(),
                       "end": period.end.isoformat()},
            "previous_period": {"label": period.previous_year().label,
                                "start": period.previous_year().start.isoformat(),
                                "end": period.previous_year().end.isoformat()},
            "suppressed": detail == Detail.AGGREGATE,
            "current": current,
            "previous": previous,
        }  # fmt: skip

    return handler


PERIOD_OBJ = {
    "type": "object",
    "required": ["label", "start", "end"],
    "properties": {"label": {"type": "string"}, "start": {"type": "string", "format": "date"},
                   "end": {"type": "string", "format": "date"}},
}  # fmt: skip
STATS_SCHEMA = component("Statistics", {
    "type": "object",
    "required": ["kind", "unit", "period", "previous_period", "suppressed", "current",
                 "previous"],
    "properties": {
        "kind": {"type": "string"}, "unit": REF_OBJ, "period": PERIOD_OBJ,
        "previous_period": PERIOD_OBJ, "suppressed": {"type": "boolean"},
        "current": {"type": "object", "description": "Nycklar enligt modulens statistics()"},
        "previous": {"type": "object"},
    },
})  # fmt: skip


def openapi(user: Any, query: Any, body: Any) -> dict[str, Any]:
    return openapi_document(ROUTES, COMPONENTS)


# --- lex Sarah spreading: the chef's part, without access to the case itself ------------------

SPREADING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "case_ref", "unit", "lessons", "confirmed_at"],
    "properties": {
        "id": {"type": "integer"},
        "case_ref": {"type": "string"},
        "unit": UNIT_SCHEMA,
        "lessons": {"type": "string"},
        "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _spreading_json(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "case_ref": row.arende.ref,
        "unit": _unit_json(row.unit),
        "lessons": row.arende.spread_text or "",
        "confirmed_at": row.confirmed_at.isoformat() if row.confirmed_at else None,
    }


def list_spreading(user: User, query: Any, body: Any) -> list[dict[str, Any]]:

    return [_spreading_json(row) for row in pending_confirmations(user)]


def confirm_spreading(user: User, query: Any, body: Any, row_id: str) -> dict[str, Any]:

    row = db.session.get(Spridning, int(row_id))
    if row is None:
        raise NotFound()
    # The operation answers 404 to a chef without a role over the row's unit.
    lexsarah_ops.confirm_spreading(row, user, (body or {}).get("note", ""))
    return _spreading_json(row)


def _spreading_routes() -> None:
    add_route(Route(
        "GET", "/lexsarah-spridning", "lexsarah_spreading_list",
        "Lex Sarah-spridning att bekräfta för mina enheter", "Lex Sarah", list_spreading,
        errors=(), response={"type": "array", "items": SPREADING_SCHEMA},
        description="Chefen ser lärdomarna och bekräftar att åtgärderna är kända och "
        "tillämpade, utan tillgång till själva ärendet.",
    ))  # fmt: skip
    add_route(Route(
        "POST", "/lexsarah-spridning/{row_id}/confirm", "lexsarah_spreading_confirm",
        "Bekräfta att åtgärderna är kända och tillämpade vid enheten", "Lex Sarah",
        confirm_spreading,
        params=[Param("row_id", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                      "Spridningsradens id", location="path", required=True)],
        body={"type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}},
              "additionalProperties": False},
        response=SPREADING_SCHEMA, errors=(404, 409, 422),
    ))  # fmt: skip


def build() -> None:
    """Declare every route (once per process; the blueprint is registered on every app)."""
    add_route(Route("GET", "/openapi.json", "openapi", "Det här OpenAPI-dokumentet", "API",
                    openapi, auth=False, errors=()))  # fmt: skip
    add_route(Route(
        "GET", "/me", "me", "Den inloggade användaren (nyckelns ägare) och roller", "Användare",
        me, errors=(), response={"type": "object",
                                 "required": ["id", "name", "email", "title", "home_unit", "roles"],
                                 "properties": {"id": {"type": "integer"},
                                                "name": {"type": "string"},
                                                "email": {"type": "string"},
                                                "title": {"type": "string"},
                                                "home_unit": {"oneOf": [UNIT_SCHEMA,
                                                                        {"type": "null"}]},
                                                "roles": {"type": "array"}}},
    ))  # fmt: skip
    add_route(Route("GET", "/units", "units", "Organisationens aktiva enheter", "Organisation",
                    list_units, errors=(),
                    response={"type": "array", "items": UNIT_SCHEMA}))  # fmt: skip
    add_route(
        Route(
            "GET",
            "/kinds",
            "kinds",
            "Ärendetyper, statusar och steg",
            "API",
            kinds,
            errors=(),
            response={"type": "array", "items": {"type": "object"}},
        )
    )
    _spreading_routes()
    for route in reportapi.routes():
        add_route(route)
    for module in (adminapi, planapi, arshjulapi, lexmariaapi):
        for route in module.routes():
            add_route(route)
    for spec in all_kinds():
        _kind_routes(spec)
        statistics = _stats_module(spec)
        if statistics is not None:
            add_route(Route(
                "GET", f"/statistics/{serialize.slug(spec)}",
                f"{serialize.slug(spec)}_statistics", f"Statistik: {spec.label_plural.lower()}",
                "Statistik", _stats_handler(spec, statistics),
                params=[Param("unit", ID,
                              "Enhet (delträd); standard: användarens högsta enhet"),
                        *PERIOD_PARAMS],
                response=STATS_SCHEMA, errors=(400, 403),
                description="Aggregat för enhetens delträd, perioden och samma period året "
                "före. För läsare visas grupper under 5 som \"<5\".",
            ))  # fmt: skip


build()
