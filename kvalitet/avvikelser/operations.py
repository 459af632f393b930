"""Operations on avvikelser: the only code that changes them. Each validates, changes the
rows, writes the audit trail, queues notifications and commits in one transaction; bad input
raises OperationError (Swedish message, `field` names the input) and nothing is saved.

Used by the web views, the JSON API and other kinds (egenkontroll turns a finding into an
avvikelse with `report_avvikelse(actor, ..., source=finding_item)`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import select

from kvalitet.atgarder.operations import create_atgard
from kvalitet.avvikelser.models import (
    ALDERSGRUPPER,
    CATEGORY_LIST,
    NOTICED_HOW,
    Avvikelse,
    AvvikelseOrsak,
    AvvikelseStatus,
    Kon,
    Orsak,
)
from kvalitet.core import audit, clock, uow
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import require
from kvalitet.core.pii import check_text
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX, Item, ItemLink, LinkType, ListEntry
from kvalitet.items.operations import new_item, set_quality_areas
from kvalitet.items.titles import propose_title
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import chefs_of, holders_over

if TYPE_CHECKING:
    from kvalitet.atgarder.models import Atgard

TEXT_FIELDS = (
    "title",
    "description",
    "noticed_how_text",
    "external_party",
    "consequence_actual",
    "consequence_possible",
    "immediate_action",
)
TEXT_LIMITS = {"title": TITLE_MAX}
DEFAULT_TEXT_LIMIT = 10000
# Fields a reporter gives and a handler may correct later.
REPORT_FIELDS = (
    *TEXT_FIELDS,
    "unit",
    "event_at",
    "noticed_at",
    "noticed_how",
    "category_id",
    "sex",
    "age_group",
    "health_care",
    "quality_area_ids",
)


def _unit(value: Unit | int | None) -> Unit:
    unit = db.session.get(Unit, value) if isinstance(value, int) else value
    if unit is None or not unit.active:
        raise OperationError("Välj en enhet.", field="unit_id")
    return unit


def _category(category_id: int | str | None) -> ListEntry:
    entry = None
    if category_id not in (None, ""):
        try:
            entry = db.session.get(ListEntry, int(category_id))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            entry = None
    if entry is None or entry.list_key != CATEGORY_LIST or not entry.active:
        raise OperationError("Välj en kategori.", field="category_id")
    return entry


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    value = "" if value is None else str(value).strip()
    limit = TEXT_LIMITS.get(name, DEFAULT_TEXT_LIMIT)
    if len(value) > limit:
        raise OperationError(f"Texten är för lång (högst {limit} tecken).", field=name)
    check_text(value, name)
    return value


def _validated(fields: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Check report fields; return attribute values to set (only given keys when partial)."""
    unknown = set(fields) - set(REPORT_FIELDS) - {"unit_id"}
    if unknown:
        raise OperationError("Okända fält: " + ", ".join(sorted(unknown)) + ".")
    out: dict[str, Any] = {}
    if "unit_id" in fields and "unit" not in fields:
        fields = {**fields, "unit": fields["unit_id"]}
    for name in TEXT_FIELDS:
        if name in fields or not partial:
            out[name] = _text(fields, name)
    if ("description" in out) and not out["description"]:
        raise OperationError("Beskriv vad som hände.", field="description")
    if "unit" in fields or not partial:
        out["unit"] = _unit(fields.get("unit"))
    if "category_id" in fields or not partial:
        out["category_id"] = _category(fields.get("category_id")).id
    now = clock.now() + timedelta(minutes=5)  # allow for clocks a little out of step
    for name, label in (("event_at", "När det hände"), ("noticed_at", "När det upptäcktes")):
        if name in fields or not partial:
            value = fields.get(name)
            if value is not None and not isinstance(value, datetime):
                raise OperationError(f"{label}: ange datum och tid.", field=name)
            if value is not None and value.tzinfo is None:
                value = value.replace(tzinfo=clock.STOCKHOLM)
            if value is not None and value > now:
                raise OperationError(f"{label} kan inte vara i framtiden.", field=name)
            out[name] = value
    event_at = out.get("event_at")
    noticed_at = out.get("noticed_at")
    if event_at and noticed_at and noticed_at < event_at:
        raise OperationError(
            "Avvikelsen kan inte ha upptäckts innan den hände.", field="noticed_at"
        )
    if "noticed_how" in fields or not partial:
        how = fields.get("noticed_how") or ""
        if how and how not in NOTICED_HOW:
            raise OperationError("Välj hur avvikelsen upptäcktes.", field="noticed_how")
        out["noticed_how"] = how
    if "sex" in fields or not partial:
        sex = fields.get("sex") or None
        if sex is not None and sex not in set(Kon):
            raise OperationError("Välj ett av alternativen för kön.", field="sex")
        out["sex"] = sex
    if "age_group" in fields or not partial:
        age = fields.get("age_group") or None
        if age is not None and age not in ALDERSGRUPPER:
            raise OperationError("Välj en åldersgrupp.", field="age_group")
        out["age_group"] = age
    if "health_care" in fields or not partial:
        out["health_care"] = bool(fields.get("health_care"))
    if "quality_area_ids" in fields:
        out["quality_area_ids"] = [int(i) for i in fields.get("quality_area_ids") or []]
    return out


def _default_title(category: ListEntry, description: str) -> str:
    """A title that says what happened: the description's first words (the category when
    there are none)."""
    return propose_title(description) or category.label


def investigation_days() -> int:
    """Days from the report to the chef's investigation due date (config
    AVVIKELSE_UTREDNING_DAGAR, default 14; 0 = no due date)."""
    if has_app_context():
        return int(current_app.config.get("AVVIKELSE_UTREDNING_DAGAR", 14) or 0)
    return 14


def investigation_due(reported: date) -> date | None:
    days = investigation_days()
    return reported + timedelta(days=days) if days > 0 else None


def report_avvikelse(actor: User, *, source: Item | None = None, **fields: Any) -> Avvikelse:
    """Report a deviation. Any logged-in employee may report, for any active unit.

    Fields: unit (Unit or id; the caller defaults it to actor.home_unit), description (what
    happened, required), category_id (ListEntry of "avvikelse_kategori", required), title
    (optional; proposed from the description's first words), event_at, noticed_at (aware datetimes),
    noticed_how (key of NOTICED_HOW), noticed_how_text, external_party, consequence_actual,
    consequence_possible, immediate_action, sex (Kon), age_group (key of ALDERSGRUPPER),
    health_care (bool), quality_area_ids. `source`: an item this deviation comes from (an
    egenkontroll finding); it is linked source → avvikelse as "Skapat utifrån".

    The unit's chef is notified (MAS of the subtree instead, for health care), by reference
    number only.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Forbidden()
    if "unit" not in fields and "unit_id" not in fields:
        fields["unit"] = actor.home_unit
    values = _validated(fields)
    area_ids = values.pop("quality_area_ids", None)
    category = db.session.get(ListEntry, values["category_id"])
    assert category is not None
    if not values["title"]:
        values["title"] = _default_title(category, values["description"])
    unit: Unit = values.pop("unit")
    with transaction():
        return _create(actor, unit, values, area_ids, source)


def _create(
    actor: User, unit: Unit, values: dict[str, Any], area_ids: list[int] | None, source: Item | None
) -> Avvikelse:
    health_care = values["health_care"]
    item = new_item(
        Avvikelse,
        actor,
        unit_id=unit.id,
        unit=unit,
        reporter_id=actor.id,
        due_date=investigation_due(clock.today()),
        status=AvvikelseStatus.RAPPORTERAD_HSL if health_care else AvvikelseStatus.RAPPORTERAD,
        **values,
    )
    if area_ids:
        set_quality_areas(item, area_ids)
    if source is None:
        uow.flush()
    else:
        db.session.flush()  # the link needs the new item's id
        db.session.add(
            ItemLink(
                source_id=source.id,
                target_id=item.id,
                link_type=str(LinkType.HARLEDD),
                created_by_id=actor.id,
            )
        )
        audit.record(actor, "link", item=source, summary=f"Skapade avvikelse {item.ref}")
    receivers = holders_over(unit, [Role.MAS]) if health_care else chefs_of(unit)
    notify(
        [u for u in receivers if u.id != actor.id],
        f"Ny avvikelse {item.ref}" + (" (hälso- och sjukvård)" if health_care else ""),
        item=item,
        purpose="action",
    )
    return item


def update_avvikelse(
    actor: User, item: Avvikelse, *, expected_version: int | None = None, **fields: Any
) -> Avvikelse:
    """Correct the reported fields (handlers and the investigator; `can(actor, "edit")`)."""
    require(actor, "edit", item)
    values = _validated(fields, partial=True)
    area_ids = values.pop("quality_area_ids", None)
    if "unit" in values:
        values["unit_id"] = values.pop("unit").id
    new_reports = (AvvikelseStatus.RAPPORTERAD, AvvikelseStatus.RAPPORTERAD_HSL)
    if (
        "health_care" in values
        and values["health_care"] != item.health_care
        and item.status in new_reports
    ):
        values["status"] = new_reports[1] if values["health_care"] else new_reports[0]
    with transaction():
        check_version(item, expected_version)
        names = list(values) + (["quality_areas"] if area_ids is not None else [])
        before = audit.snapshot(item, names)
        for name, value in values.items():
            setattr(item, name, value)
        if area_ids is not None:
            set_quality_areas(item, area_ids)
        db.session.flush()
        after = audit.snapshot(item, names)
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "edit", item=item, summary="Ändrade uppgifter", before=old,
                         after=new)  # fmt: skip
        if values.get("status") == AvvikelseStatus.RAPPORTERAD_HSL:
            notify(holders_over(item.unit, [Role.MAS]), f"Ny avvikelse {item.ref} "
                   "(hälso- och sjukvård)", item=item, purpose="action")  # fmt: skip
    return item


def _start_investigation_if_new(actor: User, item: Avvikelse) -> None:
    if item.status in (AvvikelseStatus.RAPPORTERAD, AvvikelseStatus.RAPPORTERAD_HSL):
        run_transition(item, "utred", actor)


def assign_investigator(
    actor: User,
    item: Avvikelse,
    investigator: User | int | None = None,
    *,
    expected_version: int | None = None,
) -> Avvikelse:
    """Take over (investigator None or the actor) or assign an investigator, who becomes the
    owner. A new deviation moves to "Under utredning". The investigator is notified."""
    require(actor, "edit", item)
    person = db.session.get(User, investigator) if isinstance(investigator, int) else investigator
    person = person or actor
    if not person.active:
        raise OperationError("Välj en aktiv användare som utredare.", field="owner_id")
    with transaction():
        check_version(item, expected_version)
        old = item.owner.name if item.owner else None
        item.owner_id = person.id
        item.owner = person
        audit.record(
            actor,
            "assign",
            item=item,
            summary="Tog över utredningen" if person.id == actor.id else f"Utredare: {person.name}",
            before={"utredare": old},
            after={"utredare": person.name},
        )
        _start_investigation_if_new(actor, item)
        if person.id != actor.id:
            notify([person], f"Du är utredare för avvikelse {item.ref}", item=item,
                   purpose="action")  # fmt: skip
    return item


def analyse_avvikelse(
    actor: User,
    item: Avvikelse,
    *,
    analysis: str | None = None,
    causes: list[str] | None = None,
    consequence: int | None = None,
    likelihood: int | None = None,
    expected_version: int | None = None,
) -> Avvikelse:
    """Write the analysis: cause categories (Orsak values), free text, and the severity as
    consequence × likelihood (1-4 each; both or neither). Arguments left None are kept."""
    require(actor, "edit", item)
    if not item.is_open:
        raise OperationError("Avvikelsen är avslutad. Återöppna den för att ändra analysen.")
    changes: dict[str, Any] = {}
    if analysis is not None:
        text = analysis.strip()
        if len(text) > DEFAULT_TEXT_LIMIT:
            raise OperationError("Analysen är för lång (högst 10 000 tecken).", field="analysis")
        check_text(text, "analysis")
        changes["analysis"] = text
    if causes is not None:
        unknown = set(causes) - set(Orsak)
        if unknown:
            raise OperationError("Okänd orsakskategori.", field="causes")
    for name, value in (("consequence", consequence), ("likelihood", likelihood)):
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 4):
            raise OperationError("Ange ett värde från 1 till 4.", field=name)
    if (consequence is None) != (likelihood is None):
        field = "likelihood" if likelihood is None else "consequence"
        raise OperationError("Ange både konsekvens och sannolikhet.", field=field)
    if consequence is not None and likelihood is not None:
        changes.update(
            consequence=consequence, likelihood=likelihood, severity=consequence * likelihood
        )
    with transaction():
        check_version(item, expected_version)
        names = [*changes, "orsaker"]
        before = {**audit.snapshot(item, list(changes)), "orsaker": item.cause_labels}
        for name, value in changes.items():
            setattr(item, name, value)
        if causes is not None:
            wanted = sorted(set(causes))
            item.causes = [c for c in item.causes if c.orsak in wanted]
            have = {c.orsak for c in item.causes}
            for code in wanted:
                if code not in have:
                    item.causes.append(AvvikelseOrsak(orsak=code))
        if changes.get("analysis"):
            item.analysed_at = clock.now()
        db.session.flush()
        after = {**audit.snapshot(item, list(changes)), "orsaker": item.cause_labels}
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "analysis", item=item, summary="Skrev analys och bedömning",
                         before=old, after={k: new[k] for k in names if k in new})  # fmt: skip
        _start_investigation_if_new(actor, item)
    return item


def create_linked_atgard(actor: User, item: Avvikelse, **fields: Any) -> Atgard:
    """Create a förbättringsåtgärd linked to the deviation (link type "atgard"). Fields as
    kvalitet.atgarder.operations.create_atgard; unit defaults to the deviation's unit."""

    fields.setdefault("unit", item.unit)
    return create_atgard(actor, source=item, **fields)


def mark_atgardad(
    actor: User, item: Avvikelse, *, expected_version: int | None = None
) -> Avvikelse:
    return run_transition(item, "atgarda", actor, expected_version=expected_version)  # type: ignore[return-value]


def close_avvikelse(
    actor: User, item: Avvikelse, *, expected_version: int | None = None
) -> Avvikelse:
    """Close. Refused (WorkflowRefused, with the reason) unless the analysis and a cause are
    written and every linked action is done, not done, cancelled or consciously deferred."""
    return run_transition(item, "avsluta", actor, expected_version=expected_version)  # type: ignore[return-value]


def reopen_avvikelse(
    actor: User, item: Avvikelse, reason: str, *, expected_version: int | None = None
) -> Avvikelse:
    return run_transition(  # type: ignore[return-value]
        item, "ateroppna", actor, reason=reason, expected_version=expected_version
    )


def category_choices(include_id: int | None = None) -> list[tuple[int, str]]:
    query = select(ListEntry).where(ListEntry.list_key == CATEGORY_LIST)
    entries = db.session.scalars(query.order_by(ListEntry.sort_order, ListEntry.label))
    return [(e.id, e.label) for e in entries if e.active or e.id == include_id]
