"""Operations on risks: create and edit (status changes go through the workflow). Measures
are förbättringsåtgärder linked to the risk (kvalitet.atgarder.operations.create_atgard
with source=risk)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kvalitet.core import audit
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import holds_role_over, require
from kvalitet.core.pii import check_text
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX
from kvalitet.items.operations import new_item
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, User
from kvalitet.risker.kinds import MANAGERS
from kvalitet.risker.models import Anledning, Risk

FIELDS = (
    "title", "description", "consequence_text", "unit", "owner", "anledning", "likelihood",
    "consequence", "residual_likelihood", "residual_consequence", "review_date",
)  # fmt: skip


def _scale(value: Any, field: str, required: bool) -> int | None:
    if value in (None, ""):
        if required:
            raise OperationError("Välj ett värde från 1 till 4.", field=field)
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 4:
        raise OperationError("Välj ett värde från 1 till 4.", field=field)
    return number


def _validated(fields: dict[str, Any], partial: bool) -> dict[str, Any]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise OperationError("Okända fält: " + ", ".join(sorted(unknown)) + ".")
    out: dict[str, Any] = {}
    for name, limit in (("title", TITLE_MAX), ("description", 10000), ("consequence_text", 10000)):
        if name in fields or not partial:
            text = str(fields.get(name) or "").strip()
            if len(text) > limit:
                raise OperationError(f"Texten är för lång (högst {limit} tecken).", field=name)
            check_text(text, name)
            out[name] = text
    if "title" in out and not out["title"]:
        raise OperationError("Beskriv risken kort (rubrik).", field="title")
    if "unit" in fields or not partial:
        unit = fields.get("unit")
        unit = db.session.get(Unit, int(unit)) if isinstance(unit, int | str) and unit else unit
        if not isinstance(unit, Unit) or not unit.active:
            raise OperationError("Välj en enhet.", field="unit_id")
        out["unit_id"] = unit.id
        out["unit"] = unit
    if "owner" in fields:
        owner = fields.get("owner")
        owner = (
            db.session.get(User, int(owner)) if isinstance(owner, int | str) and owner else owner
        )
        if owner is not None and (not isinstance(owner, User) or not owner.active):
            raise OperationError("Välj en aktiv användare.", field="owner_id")
        out["owner_id"] = owner.id if owner else None
    if "anledning" in fields or not partial:
        why = fields.get("anledning") or Anledning.LOPANDE
        if why not in set(Anledning):
            raise OperationError("Välj anledning.", field="anledning")
        out["anledning"] = str(why)
    for name in ("likelihood", "consequence"):
        if name in fields or not partial:
            out[name] = _scale(fields.get(name), name, required=True)
    for name in ("residual_likelihood", "residual_consequence"):
        if name in fields:
            out[name] = _scale(fields.get(name), name, required=False)
    if "review_date" in fields:
        day = fields.get("review_date")
        if day is not None and not isinstance(day, date):
            raise OperationError("Ange ett datum.", field="review_date")
        out["review_date"] = day
    return out


def _compute(item: Risk) -> None:
    item.risk_value = item.likelihood * item.consequence
    if (item.residual_likelihood is None) != (item.residual_consequence is None):
        field = "residual_consequence" if item.residual_consequence is None else (
            "residual_likelihood")  # fmt: skip
        raise OperationError("Ange både sannolikhet och konsekvens för kvarvarande risk.",
                             field=field)  # fmt: skip
    item.residual_value = (
        item.residual_likelihood * item.residual_consequence  # type: ignore[operator]
        if item.residual_likelihood
        else None
    )
    # The risk's work is its review: the review date is the item's due date (Mina ärenden,
    # reminders to the owner).
    item.due_date = item.review_date


def create_risk(actor: User, **fields: Any) -> Risk:
    """Add a risk to a unit's register. Fields: title, description, consequence_text, unit,
    owner, anledning (Anledning), likelihood and consequence (1-4, required),
    residual_likelihood, residual_consequence, review_date. Chefs, kvalitetsutvecklare,
    SAS and MAS over the unit."""
    values = _validated(fields, partial=False)
    unit = values.pop("unit")
    if not holds_role_over(actor, MANAGERS, unit):
        raise Forbidden("Du har inte behörighet att lägga till risker för enheten.")
    with transaction():
        item = new_item(Risk, actor, reporter_id=actor.id, unit=unit, risk_value=0, **values)
        _compute(item)
        if item.owner_id and item.owner_id != actor.id:
            db.session.flush()
            notify([item.owner_id], f"Du är ansvarig för risk {item.ref}", item=item)
    return item


def update_risk(
    actor: User, item: Risk, *, expected_version: int | None = None, **fields: Any
) -> Risk:
    require(actor, "edit", item)
    values = _validated(fields, partial=True)
    values.pop("unit", None)
    with transaction():
        check_version(item, expected_version)
        names = [*values, "risk_value", "residual_value"]
        before = audit.snapshot(item, names)
        for name, value in values.items():
            setattr(item, name, value)
        _compute(item)
        after = audit.snapshot(item, names)
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "edit", item=item, summary="Ändrade riskbedömningen", before=old,
                         after=new)  # fmt: skip
    return item
