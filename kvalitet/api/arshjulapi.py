"""The årshjul through the API: its activities (with their recurrence, responsible role and
units), the typical year, and a task's "klart senast"; the same operations as the årshjul's
pages (kvalitet.arshjul.operations). Activities are edited by whom `may_edit_plan` allows
(403 otherwise, as on the pages); a task is an item (`/api/v1/arshjul/{ref}`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.api.adminapi import path_id
from kvalitet.api.kindapi import DATE, VERSION, ids, obj, text
from kvalitet.api.planapi import RULE, recurring_fields
from kvalitet.api.schema import Param, Route
from kvalitet.arshjul import operations as ops
from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift
from kvalitet.core.errors import Forbidden, NotFound
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import UnitKind, User

TAG = "Årshjul"


def _require(user: User) -> None:
    if not ops.may_edit_plan(user):
        raise Forbidden("Du har inte behörighet att ändra årshjulet.")


def activity_json(akt: ArshjulAktivitet) -> dict[str, Any]:
    return {
        "id": akt.id, "title": akt.title, "description": akt.description,
        "rule": akt.rule.to_dict(), "responsible_role": akt.responsible_role,
        "scope_kind": akt.scope_kind, "lead_days": akt.lead_days, "active": akt.active,
        "unit_ids": [u.id for u in akt.units],
    }  # fmt: skip


def list_activities(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(ArshjulAktivitet).order_by(
            ArshjulAktivitet.active.desc(), ArshjulAktivitet.sort_order, ArshjulAktivitet.title
        )
    )
    return [activity_json(a) for a in rows]  # fmt: skip


def _fields(body: dict[str, Any], akt: ArshjulAktivitet | None) -> dict[str, Any]:
    current = activity_json(akt) if akt is not None else {}
    rule, units, pick = recurring_fields(body, current, akt)
    return {"title": pick("title", ""), "description": pick("description", ""), "rule": rule,
            "responsible_role": pick("responsible_role", None), "units": units,
            "scope_kind": pick("scope_kind", None), "lead_days": pick("lead_days", 30),
            "active": pick("active", True)}  # fmt: skip


def create_activity(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    _require(user)
    return activity_json(ops.create_activity(user, **_fields(body, None)))


def update_activity(user: User, query: Any, body: dict[str, Any], akt_id: str) -> Any:
    _require(user)
    akt = db.session.get(ArshjulAktivitet, int(akt_id))
    if akt is None:
        raise NotFound()
    return activity_json(ops.update_activity(user, akt, **_fields(body, akt)))


def typical_year(user: User, query: Any, body: Any) -> dict[str, Any]:
    _require(user)
    return {"created": ops.seed_typical_year(user), "activities": list_activities(user, None, None)}


def task_due(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    task = load_item(ref, user, ArshjulUppgift)
    ops.set_due_date(user, task, body.get("due_date"), body.get("version"))
    return {"ref": task.ref, "due_date": task.due_date.isoformat() if task.due_date else None,
            "version": task.version}  # fmt: skip


FIELDS = {
    "title": text(200), "description": text(5000), "rule": RULE,
    "responsible_role": {"type": "string", "enum": [str(r) for r in ops.RESPONSIBLE_ROLES]},
    "unit_ids": ids(),
    "scope_kind": {"type": ["string", "null"],
                   "enum": [None, "", str(UnitKind.ENHET), str(UnitKind.AVDELNING)],
                   "description": "Uppgifter per enhet eller avdelning under de valda"},
    "lead_days": {"type": "integer"}, "active": {"type": "boolean"},
}  # fmt: skip
ACTIVITY_422 = ("422: titel saknas, för lång eller innehåller ett personnummer (title), ingen "
                "ansvarig roll (responsible_role), ingen enhet (units), dagar utanför 0–366 "
                "(lead_days), ogiltig återkomst (freq, start, until, month, day).")  # fmt: skip


def routes() -> list[Route]:
    base = "/arshjul-aktiviteter"
    akt_id = path_id("akt_id", "Aktivitetens id")
    ref = Param("ref", {"type": "string", "minLength": 1, "maxLength": 40},
                "Uppgiftens ärendenummer", location="path")  # fmt: skip
    return [
        Route("GET", base, "arshjul_activities", "Årshjulets aktiviteter", TAG, list_activities,
              errors=(), response={"type": "array", "items": {"type": "object"}}),
        Route("POST", base, "arshjul_activity_create", "Ny aktivitet i årshjulet", TAG,
              create_activity, status=201, errors=(403, 422), description=ACTIVITY_422,
              body=obj(FIELDS, ["title", "rule", "responsible_role", "unit_ids"])),
        Route("PATCH", f"{base}/{{akt_id}}", "arshjul_activity_update",
              "Ändra en aktivitet (skapade uppgifter behåller sina datum)", TAG,
              update_activity, params=[akt_id], body=obj(FIELDS), errors=(403, 404, 422),
              description=ACTIVITY_422),
        Route("POST", f"{base}/typiskt-ar", "arshjul_typical_year",
              "Lägg in ett typiskt årshjul (bara i ett tomt årshjul)", TAG, typical_year,
              status=201, errors=(403, 422),
              description="422 när årshjulet redan har aktiviteter."),
        Route("POST", "/arshjul/{ref}/klart-senast", "arshjul_task_due",
              "Flytta en uppgifts klart senast-datum", TAG, task_due, params=[ref],
              body=obj({"due_date": DATE, "version": VERSION}, ["due_date"]),
              errors=(403, 404, 409, 422), description="422 (due_date) när datum saknas."),
    ]  # fmt: skip
