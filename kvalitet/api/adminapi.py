"""Administration through the API: users and their roles, units (with their founding and
closing dates), the configurable lists and quality areas, lagrum, gallring and the mail
outbox. Each call runs the same operation as the admin pages (kvalitet.org.operations,
kvalitet.admin.operations, kvalitet.lagrum, kvalitet.gallring, kvalitet.notify) with the same
rule of who may: an administrator (lists also a kvalitetsutvecklare, gallring the
kvalitetsutvecklare), anyone else gets 403 as on the pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from kvalitet.admin import operations as admin_ops
from kvalitet.admin.views import LIST_TITLES
from kvalitet.api.kindapi import DATE, ID, obj, text
from kvalitet.api.schema import Param, Route
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.permissions import is_admin
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.gallring import operations as gallring_ops
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.lagrum import operations as lagrum_ops
from kvalitet.lagrum.models import Lagrum
from kvalitet.notify import operations as notify_ops
from kvalitet.notify.models import OutboxMail, UndeliverableNotice
from kvalitet.org import operations as org_ops
from kvalitet.org.models import RoleAssignment, Unit, UnitKind, User

TAG = "Administration"
ROW_ID = {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}


def path_id(name: str, label: str) -> Param:
    return Param(name, ROW_ID, label, location="path", required=True)


def require_admin(user: User) -> None:
    if not is_admin(user):
        raise Forbidden("Bara administratörer kan göra detta.")


def _get(model: Any, raw: str) -> Any:
    row = db.session.get(model, int(raw))
    if row is None:
        raise NotFound()
    return row


def _unit_or_error(unit_id: int | None, field: str) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise OperationError("Okänd enhet.", field=field)
    return unit


# --- users and roles -------------------------------------------------------------------------

USER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "email", "title", "active", "home_unit_id", "roles"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
        "title": {"type": "string"}, "active": {"type": "boolean"},
        "home_unit_id": {"type": ["integer", "null"]},
        "roles": {"type": "array", "items": {
            "type": "object", "required": ["id", "role", "unit_id"],
            "properties": {"id": {"type": "integer"}, "role": {"type": "string"},
                           "unit_id": {"type": "integer"}}}},
    },
}  # fmt: skip


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "email": user.email, "title": user.title or "",
        "active": user.active, "home_unit_id": user.home_unit_id,
        "roles": [{"id": ra.id, "role": str(ra.role), "unit_id": ra.unit_id}
                  for ra in user.roles],
    }  # fmt: skip


def list_users(user: User, query: dict[str, Any], body: Any) -> list[dict[str, Any]]:
    require_admin(user)
    stmt = select(User).order_by(User.name).limit(500)
    if query.get("q"):
        q = query["q"]
        stmt = stmt.where(or_(contains_folded(User.name, q), contains_folded(User.email, q)))
    return [user_json(u) for u in db.session.scalars(stmt)]


def create_user(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(user)
    if not body.get("password"):
        raise OperationError("Ange ett första lösenord.", field="password")
    created = org_ops.create_user(
        user, name=body["name"], email=body["email"], title=body.get("title") or "",
        password=body["password"],
        home_unit=_unit_or_error(body.get("home_unit_id"), "home_unit_id"),
    )  # fmt: skip
    return user_json(created)


def update_user(user: User, query: Any, body: dict[str, Any], user_id: str) -> dict[str, Any]:
    require_admin(user)
    target = _get(User, user_id)
    home = body.get("home_unit_id", target.home_unit_id)
    _unit_or_error(home, "home_unit_id")
    org_ops.update_user(
        user, target, name=body.get("name", target.name), email=body.get("email", target.email),
        title=body.get("title", target.title), active=body.get("active", target.active),
        home_unit_id=home, password=body.get("password") or None,
    )  # fmt: skip
    return user_json(target)


def add_role(user: User, query: Any, body: dict[str, Any], user_id: str) -> dict[str, Any]:
    require_admin(user)
    target = _get(User, user_id)
    unit = _unit_or_error(body["unit_id"], "unit_id")
    assert unit is not None
    org_ops.grant_role(user, target, body["role"], unit)
    db.session.refresh(target)
    return user_json(target)


def remove_role(user: User, query: Any, body: Any, assignment_id: str) -> dict[str, Any]:
    require_admin(user)
    assignment = _get(RoleAssignment, assignment_id)
    target = assignment.user
    org_ops.revoke_role(user, assignment)
    db.session.refresh(target)
    return user_json(target)


# --- units -----------------------------------------------------------------------------------

UNIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "kind", "parent_id", "path", "active", "public", "founded_on",
                 "closed_on"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
        "parent_id": {"type": ["integer", "null"]}, "path": {"type": "string"},
        "active": {"type": "boolean"}, "public": {"type": "boolean"},
        "founded_on": {"type": ["string", "null"], "format": "date"},
        "closed_on": {"type": ["string", "null"], "format": "date"},
    },
}  # fmt: skip
UNIT_FIELDS = {
    "name": text(200),
    "kind": {"type": "string", "enum": [str(k) for k in UnitKind]},
    "parent_id": {**ID, "type": ["integer", "null"]},
    "public": {"type": "boolean"},
    "founded_on": {**DATE, "description": "Startade (historik före detta vägras)"},
    "closed_on": {**DATE, "description": "Lades ned (historik efter detta vägras)"},
}


def unit_json(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id, "name": unit.name, "kind": str(unit.kind), "parent_id": unit.parent_id,
        "path": unit.path, "active": unit.active, "public": unit.public,
        "founded_on": unit.founded_on.isoformat() if unit.founded_on else None,
        "closed_on": unit.closed_on.isoformat() if unit.closed_on else None,
    }  # fmt: skip


def list_units(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    require_admin(user)
    return [unit_json(u) for u in db.session.scalars(select(Unit).order_by(Unit.path))]


def create_unit(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(user)
    parent = _unit_or_error(body.get("parent_id"), "parent_id")
    admin_ops.check_unit_life_dates(body.get("founded_on"), body.get("closed_on"))
    unit = org_ops.create_unit(user, body["name"], body["kind"], parent,
                               bool(body.get("public")))  # fmt: skip
    admin_ops.set_unit_life(user, unit, body.get("founded_on"), body.get("closed_on"))
    return unit_json(unit)


def update_unit(user: User, query: Any, body: dict[str, Any], unit_id: str) -> dict[str, Any]:
    require_admin(user)
    unit = _get(Unit, unit_id)
    parent = _unit_or_error(body.get("parent_id", unit.parent_id), "parent_id")
    founded, closed = body.get("founded_on", unit.founded_on), body.get("closed_on", unit.closed_on)
    admin_ops.check_unit_life_dates(founded, closed)
    org_ops.update_unit(
        user, unit, name=body.get("name", unit.name), kind=body.get("kind", str(unit.kind)),
        public=body.get("public", unit.public), parent=parent,
    )  # fmt: skip
    admin_ops.set_unit_life(user, unit, founded, closed)
    return unit_json(unit)


def set_active(user: User, query: Any, body: dict[str, Any], unit_id: str) -> dict[str, Any]:
    require_admin(user)
    unit = _get(Unit, unit_id)
    org_ops.set_unit_active(user, unit, body["active"])
    return unit_json(unit)


def delete_unit(user: User, query: Any, body: Any, unit_id: str) -> dict[str, Any]:
    require_admin(user)
    unit = _get(Unit, unit_id)
    org_ops.delete_unit(user, unit)
    return {"deleted": True, "id": int(unit_id)}


# --- lists and quality areas -----------------------------------------------------------------


def require_lists(user: User) -> None:
    if not user.has_role(Role.ADMIN, Role.KVALITETSUTVECKLARE):
        raise Forbidden("Bara administratörer och kvalitetsutvecklare ändrar listorna.")


def get_lists(user: User, query: Any, body: Any) -> dict[str, Any]:
    require_lists(user)
    out: dict[str, Any] = {key: {"title": title, "values": []} for key, title in
                           LIST_TITLES.items()}  # fmt: skip
    for entry in db.session.scalars(select(ListEntry).order_by(ListEntry.sort_order, ListEntry.id)):
        out.setdefault(entry.list_key, {"title": entry.list_key, "values": []})["values"].append(
            {"id": entry.id, "label": entry.label, "active": entry.active}
        )
    areas = db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order))
    out[admin_ops.QUALITY_AREA_KEY] = {
        "title": "Kvalitetsområden",
        "values": [{"id": a.id, "label": a.name, "active": a.active} for a in areas],
    }
    return out


def add_value(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_lists(user)
    admin_ops.add_list_value(user, body["list_key"], body["label"], set(LIST_TITLES))
    return get_lists(user, query, None)[body["list_key"]]


def toggle_value(user: User, query: Any, body: Any, list_key: str, entry_id: str) -> Any:
    require_lists(user)
    value = _get(QualityArea if list_key == admin_ops.QUALITY_AREA_KEY else ListEntry, entry_id)
    if isinstance(value, ListEntry) and value.list_key != list_key:
        raise NotFound()
    admin_ops.toggle_list_value(user, value)
    label = value.name if isinstance(value, QualityArea) else value.label
    return {"id": value.id, "label": label, "active": value.active}


# --- lagrum ----------------------------------------------------------------------------------

LAGRUM_SCHEMA = {"type": "object", "required": ["id", "key", "valid_from", "text"]}


def lagrum_json(row: Lagrum) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "valid_from": row.valid_from.isoformat(),
            "text": row.text, "description": row.description}  # fmt: skip


def list_lagrum(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    require_admin(user)
    rows = db.session.scalars(select(Lagrum).order_by(Lagrum.key, Lagrum.valid_from))
    return [lagrum_json(r) for r in rows]


def add_lagrum(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_admin(user)
    row = lagrum_ops.add_lagrum(
        user,
        key=body["key"],
        valid_from=body.get("valid_from"),
        text=body["text"],
        description=body.get("description") or "",
    )
    return lagrum_json(row)  # fmt: skip


def update_lagrum(user: User, query: Any, body: dict[str, Any], row_id: str) -> dict[str, Any]:
    require_admin(user)
    row = _get(Lagrum, row_id)
    lagrum_ops.update_lagrum(user, row, valid_from=body.get("valid_from", row.valid_from),
                             text=body.get("text", row.text))  # fmt: skip
    return lagrum_json(row)


# --- gallring --------------------------------------------------------------------------------


def require_gallring(user: User) -> None:
    if not gallring_ops.may_manage(user):
        raise Forbidden("Bara kvalitetsutvecklare ställer in och kör gallring.")


def gallring_state(user: User, query: Any, body: Any) -> dict[str, Any]:
    require_gallring(user)
    return {
        "rules": [{"kind": r.kind, "years": r.years, "active": r.active, "basis": r.basis}
                  for r in gallring_ops.rules()],
        "preview": [{"kind": p.rule.kind, "items": len(p.items), "skipped": len(p.skipped)}
                    for p in gallring_ops.preview()],
        "holds": [{"id": h.id, "ref": ref, "reason": h.reason}
                  for h, ref in gallring_ops.holds()],
    }  # fmt: skip


def save_rule(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_gallring(user)
    rule = gallring_ops.set_rule(user, body["kind"], body["years"], bool(body.get("active")),
                                 body.get("basis") or "")  # fmt: skip
    return {"kind": rule.kind, "years": rule.years, "active": rule.active, "basis": rule.basis}


def run_gallring(user: User, query: Any, body: Any) -> dict[str, Any]:
    require_gallring(user)
    logs = gallring_ops.run(user)
    return {
        "items": sum(log.item_count for log in logs),
        "logs": [{"id": log.id, "kind": log.kind, "items": log.item_count} for log in logs],
    }


def place_hold(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    require_gallring(user)
    hold = gallring_ops.place_hold(user, body["ref"], body["reason"])
    return {"id": hold.id, "item_id": hold.item_id, "reason": hold.reason}


def lift_hold(user: User, query: Any, body: Any, hold_id: str) -> dict[str, Any]:
    require_gallring(user)
    gallring_ops.lift_hold(user, int(hold_id))
    return {"id": int(hold_id), "lifted": True}


# --- the outbox ------------------------------------------------------------------------------


def retry_mail(user: User, query: Any, body: Any, mail_id: str) -> dict[str, Any]:
    require_admin(user)
    mail = _get(OutboxMail, mail_id)
    notify_ops.retry_mail(user, mail)
    return {"id": mail.id, "status": str(mail.status)}


def undeliverable_handled(user: User, query: Any, body: Any, notice_id: str) -> dict[str, Any]:
    require_admin(user)
    notice = _get(UndeliverableNotice, notice_id)
    notify_ops.mark_undeliverable_handled(user, notice)
    return {"id": notice.id, "handled": notice.handled_at is not None}


# --- declarations ----------------------------------------------------------------------------


def routes() -> list[Route]:
    user_id, unit_id = path_id("user_id", "Användarens id"), path_id("unit_id", "Enhetens id")
    user_body = {"name": text(200, minLength=1), "email": text(254, minLength=3),
                 "title": text(200), "password": text(200),
                 "home_unit_id": {**ID, "type": ["integer", "null"]}}  # fmt: skip
    return [
        Route("GET", "/admin/anvandare", "admin_users", "Användare (sök med q)", TAG, list_users,
              params=[Param("q", {"type": "string", "maxLength": 200}, "Namn eller e-post")],
              errors=(403,), response={"type": "array", "items": USER_SCHEMA}),
        Route("POST", "/admin/anvandare", "admin_user_create", "Ny användare", TAG, create_user,
              body=obj(user_body, ["name", "email", "password"]), response=USER_SCHEMA,
              status=201, errors=(403, 422),
              description="422: namn saknas, ogiltig eller upptagen e-postadress (email), "
              "lösenordet följer inte reglerna (password), okänd enhet (home_unit_id)."),
        Route("PATCH", "/admin/anvandare/{user_id}", "admin_user_update",
              "Ändra en användare (bara de fält som skickas)", TAG, update_user,
              params=[user_id], body=obj({**user_body, "active": {"type": "boolean"}}),
              response=USER_SCHEMA, errors=(403, 404, 422),
              description="Inaktivering avslutar personens inloggningar; ett nytt lösenord "
              "likaså. 422 som vid ny användare."),
        Route("POST", "/admin/anvandare/{user_id}/roller", "admin_role_add",
              "Ge en roll vid en enhet (gäller även underenheter)", TAG, add_role,
              params=[user_id], status=201, response=USER_SCHEMA, errors=(403, 404, 422),
              body=obj({"role": {"type": "string", "enum": [str(r) for r in Role]},
                        "unit_id": ID}, ["role", "unit_id"]),
              description="422 (role) om personen redan har rollen vid enheten."),
        Route("DELETE", "/admin/roller/{assignment_id}", "admin_role_remove", "Ta bort en roll",
              TAG, remove_role, params=[path_id("assignment_id", "Rolltilldelningens id")],
              response=USER_SCHEMA, errors=(403, 404)),
        Route("GET", "/admin/enheter", "admin_units",
              "Alla enheter, även inaktiva, med start- och nedläggningsdatum", TAG, list_units,
              errors=(403,), response={"type": "array", "items": UNIT_SCHEMA}),
        Route("POST", "/admin/enheter", "admin_unit_create", "Ny enhet", TAG, create_unit,
              body=obj(UNIT_FIELDS, ["name", "kind"]), response=UNIT_SCHEMA, status=201,
              errors=(403, 422),
              description="422: namn saknas (name), den överordnade enheten är inaktiverad "
              "(parent_id), nedlagd före start (closed_on)."),
        Route("PATCH", "/admin/enheter/{unit_id}", "admin_unit_update",
              "Ändra eller flytta en enhet, sätt start- och nedläggningsdatum", TAG,
              update_unit, params=[unit_id], body=obj(UNIT_FIELDS), response=UNIT_SCHEMA,
              errors=(403, 404, 422),
              description="422: flytt in under sig själv (parent_id), nedlagd före start "
              "(closed_on). Historik (?occurred_at=) utanför datumen vägras sedan."),
        Route("POST", "/admin/enheter/{unit_id}/aktiv", "admin_unit_active",
              "Aktivera eller inaktivera en enhet", TAG, set_active, params=[unit_id],
              body=obj({"active": {"type": "boolean"}}, ["active"]), response=UNIT_SCHEMA,
              errors=(403, 404, 422),
              description="422 när enheten har aktiva underenheter."),
        Route("DELETE", "/admin/enheter/{unit_id}", "admin_unit_delete",
              "Ta bort en tom enhet", TAG, delete_unit, params=[unit_id],
              errors=(403, 404, 422),
              description="422 när enheten har ärenden, underenheter, roller eller är någons "
              "arbetsplats (inaktivera den i stället)."),
        Route("GET", "/admin/listor", "admin_lists", "Valbara listor och kvalitetsområden",
              TAG, get_lists, errors=(403,)),
        Route("POST", "/admin/listor", "admin_list_add",
              "Nytt värde i en lista (eller ett kvalitetsområde: list_key quality_area)", TAG,
              add_value, status=201, errors=(403, 422),
              body=obj({"list_key": text(60, minLength=1), "label": text(200)},
                       ["list_key", "label"]),
              description="422: okänd lista (list_key), tomt, för långt eller finns redan "
              "(label). Värden tas aldrig bort, de stängs av."),
        Route("POST", "/admin/listor/{list_key}/{entry_id}/aktiv", "admin_list_toggle",
              "Slå på eller av ett värde", TAG, toggle_value,
              params=[Param("list_key", {"type": "string", "pattern": "^[a-z_]{1,60}$"},
                            "Listans nyckel (quality_area för kvalitetsområden)",
                            location="path", required=True),
                      path_id("entry_id", "Värdets id")],
              errors=(403, 404)),
        Route("GET", "/lagrum", "lagrum_list", "Lagrum och deras lydelser", "Lagrum",
              list_lagrum, errors=(403,), response={"type": "array", "items": LAGRUM_SCHEMA}),
        Route("POST", "/lagrum", "lagrum_create", "Ny lydelse (eller nytt lagrum)", "Lagrum",
              add_lagrum, status=201, response=LAGRUM_SCHEMA, errors=(403, 422),
              body=obj({"key": text(60, minLength=1), "valid_from": DATE, "text": text(500),
                        "description": text(300)}, ["key", "valid_from", "text"]),
              description="422: nyckeln har fel form (key), saknat datum eller en lydelse "
              "från samma datum finns (valid_from), tom text (text)."),
        Route("PATCH", "/lagrum/{row_id}", "lagrum_update", "Rätta en lydelse eller dess datum",
              "Lagrum", update_lagrum, params=[path_id("row_id", "Lydelsens id")],
              body=obj({"valid_from": DATE, "text": text(500)}), response=LAGRUM_SCHEMA,
              errors=(403, 404, 422), description="422 som vid ny lydelse."),
        Route("GET", "/gallring", "gallring_state", "Gallringsregler, förhandsvisning, spärrar",
              "Gallring", gallring_state, errors=(403,)),
        Route("POST", "/gallring/regler", "gallring_rule", "Spara gallringsregeln för en "
              "ärendetyp", "Gallring", save_rule, errors=(403, 422),
              body=obj({"kind": text(10, minLength=1), "years": {"type": "integer"},
                        "active": {"type": "boolean"}, "basis": text(200)}, ["kind", "years"]),
              description="422: okänd ärendetyp (kind), antal år utanför 1–100 (years)."),
        Route("POST", "/gallring/kor", "gallring_run", "Gallra nu enligt de aktiva reglerna",
              "Gallring", run_gallring, errors=(403,)),
        Route("POST", "/gallring/sparrar", "gallring_hold", "Spärra ett ärende från gallring",
              "Gallring", place_hold, status=201, errors=(403, 422),
              body=obj({"ref": text(40, minLength=1), "reason": text(500)}, ["ref", "reason"]),
              description="422: okänt ärendenummer (ref), skäl saknas (reason)."),
        Route("POST", "/gallring/sparrar/{hold_id}/hav", "gallring_lift", "Häv en spärr",
              "Gallring", lift_hold, params=[path_id("hold_id", "Spärrens id")],
              errors=(403, 404)),
        Route("POST", "/admin/utkorg/{mail_id}/skicka-igen", "outbox_retry",
              "Skicka ett e-postmeddelande igen", TAG, retry_mail,
              params=[path_id("mail_id", "Meddelandets id")], errors=(403, 404)),
        Route("POST", "/admin/ej-levererade/{notice_id}/hanterad", "undeliverable_handled",
              "Markera en notis utan mottagare som hanterad", TAG, undeliverable_handled,
              params=[path_id("notice_id", "Notisens id")], errors=(403, 404)),
    ]  # fmt: skip
