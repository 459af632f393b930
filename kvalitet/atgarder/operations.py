"""Operations on förbättringsåtgärder (DOMAIN.md §5.5): create standalone or from any item
(linked), edit, follow up the effect, consciously defer. Status changes go through the
workflow (kvalitet.atgarder.kinds.WORKFLOW, run_transition)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard, AtgardStatus, AtgardTyp
from kvalitet.core import audit, clock, uow
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import can, holds_role_over, require
from kvalitet.core.pii import check_text
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX, Item, ItemLink, LinkType
from kvalitet.items.operations import new_item, set_quality_areas
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, User

# Who may create a standalone action for a unit (role held at or above it).
CREATORS = (
    Role.ENHETSCHEF,
    Role.AVDELNINGSCHEF,
    Role.KVALITETSUTVECKLARE,
    Role.SAS,
    Role.MAS,
)
TEXT_FIELDS = ("title", "description", "why", "done_text", "effect_text", "source_text")
TEXT_LIMITS = {"title": TITLE_MAX, "source_text": 200}
FIELDS = (
    *TEXT_FIELDS,
    "unit",
    "unit_id",
    "owner",
    "owner_id",
    "atgard_typ",
    "units_concerned",
    "start_date",
    "due_date",
    "effect_date",
    "carry_over",
    "quality_area_ids",
)


def _user(value: User | int | None, field: str = "owner_id") -> User | None:
    if value in (None, "", 0):
        return None
    user = db.session.get(User, int(value)) if not isinstance(value, User) else value  # type: ignore[arg-type]
    if user is None or not user.active:
        raise OperationError("Välj en aktiv användare.", field=field)
    return user


def _unit(value: Unit | int | None, field: str = "unit_id") -> Unit:
    unit = db.session.get(Unit, int(value)) if isinstance(value, int | str) and value else value
    if not isinstance(unit, Unit) or not unit.active:
        raise OperationError("Välj en enhet.", field=field)
    return unit


def _validated(fields: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise OperationError("Okända fält: " + ", ".join(sorted(unknown)) + ".")
    if "unit_id" in fields and "unit" not in fields:
        fields = {**fields, "unit": fields.pop("unit_id")}
    if "owner_id" in fields and "owner" not in fields:
        fields = {**fields, "owner": fields.pop("owner_id")}
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields or (not partial and name in ("title", "description", "why")):
            value = "" if fields.get(name) is None else str(fields[name]).strip()
            limit = TEXT_LIMITS.get(name, 10000)
            if len(value) > limit:
                raise OperationError(f"Texten är för lång (högst {limit} tecken).", field=name)
            check_text(value, name)
            out[name] = value
    if "title" in out and not out["title"]:
        raise OperationError("Ange vad som ska göras (rubrik).", field="title")
    if "unit" in fields or not partial:
        out["unit"] = _unit(fields.get("unit"))
    if "owner" in fields:
        out["owner"] = _user(fields.get("owner"))
    if "atgard_typ" in fields or not partial:
        typ: Any = fields.get("atgard_typ") or AtgardTyp.FORBATTRING
        if typ not in set(AtgardTyp):
            raise OperationError("Välj typ av åtgärd.", field="atgard_typ")
        out["atgard_typ"] = str(typ)
    for name in ("start_date", "due_date", "effect_date"):
        if name in fields:
            day = fields.get(name)
            if day is not None and not isinstance(day, date):
                raise OperationError("Ange ett datum (ÅÅÅÅ-MM-DD).", field=name)
            out[name] = day
    if "units_concerned" in fields:
        out["units_concerned"] = [
            _unit(u, "units_concerned") for u in fields.get("units_concerned") or []
        ]
    if "carry_over" in fields:
        out["carry_over"] = bool(fields.get("carry_over"))
    if "quality_area_ids" in fields:
        out["quality_area_ids"] = [int(i) for i in fields.get("quality_area_ids") or []]
    return out


def _check_dates(item: Atgard) -> None:
    if item.start_date and item.due_date and item.due_date < item.start_date:
        raise OperationError("Klart senast kan inte vara före startdatum.", field="due_date")


def may_create_for(actor: User, unit: Unit) -> bool:
    return holds_role_over(actor, CREATORS, unit)


def create_atgard(
    actor: User,
    *,
    source: Item | None = None,
    link_type: str = LinkType.ATGARD,
    **fields: Any,
) -> Atgard:
    """Create a förbättringsåtgärd.

    Fields: title (what, required), description, why, unit (Unit or id, required), owner
    (User or id), atgard_typ (AtgardTyp), units_concerned (Units or ids), start_date,
    due_date, quality_area_ids, carry_over, source_text (where a standalone proposal came
    from, e.g. "Årets analys").

    With `source` (any item the actor may link: its managers or owner) the action is linked
    source → action as "Förbättringsåtgärd". Without it the actor must hold a chef,
    kvalitetsutvecklare, SAS or MAS role over the unit. The owner is notified.
    """
    values = _validated(dict(fields), partial=False)
    unit: Unit = values.pop("unit")
    if source is not None:
        require(actor, "view", source)
        if not can(actor, "link", source):
            raise Forbidden("Du har inte behörighet att skapa åtgärder från det här ärendet.")
    elif not may_create_for(actor, unit):
        raise Forbidden("Du har inte behörighet att skapa förbättringsåtgärder för enheten.")
    owner = values.pop("owner", None)
    concerned = values.pop("units_concerned", None)
    area_ids = values.pop("quality_area_ids", None)
    with transaction():
        item = new_item(
            Atgard,
            actor,
            unit_id=unit.id,
            unit=unit,
            reporter_id=actor.id,
            owner_id=owner.id if owner else None,
            **values,
        )
        _check_dates(item)
        if concerned:
            item.units_concerned = concerned
        if area_ids:
            set_quality_areas(item, area_ids)
        if source is None:
            uow.flush()
        else:
            db.session.flush()  # the link needs the new item's id
            db.session.add(
                ItemLink(source_id=source.id, target_id=item.id, link_type=str(link_type),
                         created_by_id=actor.id)
            )  # fmt: skip
            audit.record(actor, "link", item=source,
                         summary=f"Skapade förbättringsåtgärd {item.ref}")  # fmt: skip
            audit.record(actor, "link", item=item, summary=f"Skapad utifrån {source.ref}")
        if owner is not None and owner.id != actor.id:
            notify([owner], f"Du är ansvarig för förbättringsåtgärd {item.ref}", item=item,
                   purpose="action")  # fmt: skip
    return item


def update_atgard(
    actor: User, item: Atgard, *, expected_version: int | None = None, **fields: Any
) -> Atgard:
    """Edit any of the fields of create_atgard plus done_text, effect_text, effect_date
    (managers over the unit and the owner)."""
    require(actor, "edit", item)
    values = _validated(dict(fields), partial=True)
    area_ids = values.pop("quality_area_ids", None)
    concerned = values.pop("units_concerned", None)
    if "unit" in values:
        values["unit_id"] = values.pop("unit").id
    new_owner = values.pop("owner", "unchanged")
    if new_owner != "unchanged":
        values["owner_id"] = new_owner.id if new_owner else None
    with transaction():
        check_version(item, expected_version)
        names = list(values)
        if concerned is not None:
            names.append("units_concerned")
        if area_ids is not None:
            names.append("quality_areas")
        before = audit.snapshot(item, names)
        for name, value in values.items():
            setattr(item, name, value)
        if concerned is not None:
            item.units_concerned = concerned
        if area_ids is not None:
            set_quality_areas(item, area_ids)
        _check_dates(item)
        db.session.flush()
        db.session.refresh(item, ["owner", "unit"]) if "owner_id" in values else None
        after = audit.snapshot(item, names)
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "edit", item=item, summary="Ändrade uppgifter", before=old,
                         after=new)  # fmt: skip
        if "owner_id" in new and item.owner_id and item.owner_id != actor.id:
            notify([item.owner_id], f"Du är ansvarig för förbättringsåtgärd {item.ref}",
                   item=item, purpose="action")  # fmt: skip
    return item


def follow_up_effect(
    actor: User,
    item: Atgard,
    effect_text: str,
    effect_date: date | None = None,
    *,
    expected_version: int | None = None,
) -> Atgard:
    """Record the follow-up of the action's effect (uppföljning av effekt), dated."""
    if not (effect_text or "").strip():
        raise OperationError("Beskriv vilken effekt åtgärden har haft.", field="effect_text")
    return update_atgard(
        actor,
        item,
        expected_version=expected_version,
        effect_text=effect_text,
        effect_date=effect_date or clock.today(),
    )


def set_deferred(
    actor: User,
    item: Atgard,
    deferred: bool,
    reason: str = "",
    *,
    expected_version: int | None = None,
) -> Atgard:
    """Mark the action as consciously deferred (medvetet uppskjuten), with a reason, or undo
    it. A deviation may close while its deferred actions stay open. Managers only."""
    require(actor, "view", item)
    if not holds_role_over(actor, item.spec.manage_roles, item.unit):
        raise Forbidden("Bara chef eller kvalitetsutvecklare kan skjuta upp en åtgärd.")
    reason = (reason or "").strip()
    if deferred and not reason:
        raise OperationError("Ange varför åtgärden skjuts upp.", field="reason")
    if deferred and not item.is_open:
        raise OperationError("Åtgärden är redan avslutad.", field="reason")
    with transaction():
        check_version(item, expected_version)
        check_text(reason, "reason")
        item.deferred = deferred
        audit.record(
            actor,
            "deferred" if deferred else "undeferred",
            item=item,
            summary="Medvetet uppskjuten" if deferred else "Inte längre uppskjuten",
            after={"skäl": reason} if reason else None,
        )
    return item


def open_linked_actions(item: Item) -> list[Atgard]:
    """Förbättringsåtgärder linked to `item` (link type "atgard") that are neither done, not
    done, cancelled nor consciously deferred."""

    linked_ids = (
        select(ItemLink.target_id)
        .where(ItemLink.source_id == item.id, ItemLink.link_type == str(LinkType.ATGARD))
        .union(
            select(ItemLink.source_id).where(
                ItemLink.target_id == item.id, ItemLink.link_type == str(LinkType.ATGARD)
            )
        )
    )
    return list(
        db.session.scalars(
            select(Atgard)
            .where(
                Atgard.id.in_(linked_ids),
                Atgard.status.notin_([AtgardStatus.GENOMFORD, AtgardStatus.EJ_GENOMFORD]),
                Atgard.deferred.is_(False),
                Atgard.cancelled_at.is_(None),
            )
            .order_by(Atgard.ref)
        )
    )
