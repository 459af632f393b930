"""Operations on synpunkter: the only code that changes them. Each validates, changes rows,
writes the audit trail, queues notifications and commits in one transaction; bad input raises
OperationError with a Swedish message and nothing is saved.

Public signatures (also used by the API):

- register(actor, *, unit, typ, kalla, kanal, description, ...) -> Synpunkt
- register_oral(actor, *, unit, typ, description, ...) -> Synpunkt
- public_submit(*, unit_id, typ, description, name="", contact="", kalla="brukare") -> Synpunkt
- classify(item, actor, *, expected_version=None, **changes) -> Synpunkt
- route(item, actor, *, expected_version=None) -> Synpunkt   (e-tjänst: registrator → enheten)
- acknowledge(item, actor, *, method, on=None, expected_version=None) -> Synpunkt
- answer(item, actor, *, text, method, explanation="", on=None, expected_version=None)
- close_without_answer(item, actor, *, reason, expected_version=None) -> Synpunkt
- link(item, target_ref, actor, link_type="atgard") -> ItemLink
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import select

from kvalitet.core import audit, clock, uow
from kvalitet.core.errors import OperationError
from kvalitet.core.permissions import can, holds_role_over, require
from kvalitet.core.pii import check_text
from kvalitet.core.roles import Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.core.workdays import add_working_days
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import Item, ItemLink, LinkType, ListEntry, RefCounter
from kvalitet.items.operations import link_items, new_item
from kvalitet.items.titles import propose_title
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit
from kvalitet.org.operations import chefs_of, holders_over
from kvalitet.synpunkter.kinds import MANAGERS
from kvalitet.synpunkter.models import (
    THEME_LIST,
    Kalla,
    Kanal,
    SvarSatt,
    Synpunkt,
    SynpunktStatus,
    SynpunktTyp,
)

if TYPE_CHECKING:
    from kvalitet.org.models import User

DEFAULTS: dict[str, Any] = {
    "SYNPUNKT_DIARIENUMMER_FORMAT": "SN {year}/{seq:04d}",
    "SYNPUNKT_ACK_WORKDAYS": 2,
    "SYNPUNKT_ANSWER_WORKDAYS": 10,
    "SYNPUNKT_HEALTH_ANSWER_WEEKS": 4,
    "SYNPUNKT_PUBLIC_RATE_LIMIT": "5 per 10 minutes;20 per day",
    "SYNPUNKT_PUBLIC_MAX_CHARS": 5000,
}
DIARIE_COUNTER = "SYN-DNR"
MAX_TEXT = 10000
MAX_CONTACT = 200
MAX_TITLE = 200


def setting(key: str) -> Any:
    if has_app_context():
        return current_app.config.get(key, DEFAULTS[key])
    return DEFAULTS[key]


# --- deadlines and numbers -----------------------------------------------------------------


def deadlines(received: date, *, health_care: bool = False) -> tuple[date, date]:
    """(acknowledge by, answer by) for something received on `received`.

    Both count Swedish working days after the day of receipt (SYNPUNKT_ACK_WORKDAYS,
    SYNPUNKT_ANSWER_WORKDAYS). Health care complaints are answered within
    SYNPUNKT_HEALTH_ANSWER_WEEKS calendar weeks, moved forward to a working day."""
    ack = add_working_days(received, int(setting("SYNPUNKT_ACK_WORKDAYS")))
    if health_care:
        weeks = int(setting("SYNPUNKT_HEALTH_ANSWER_WEEKS"))
        answer = add_working_days(received + timedelta(weeks=weeks), 0)
    else:
        answer = add_working_days(received, int(setting("SYNPUNKT_ANSWER_WORKDAYS")))
    return ack, answer


def next_diarienummer(year: int) -> tuple[str, int]:
    """The next diarienummer of `year`, from a counter row locked for the transaction."""
    counter = RefCounter.locked(DIARIE_COUNTER, year)
    counter.last += 1
    fmt = str(setting("SYNPUNKT_DIARIENUMMER_FORMAT"))
    try:
        number = fmt.format(year=year, seq=counter.last)
    except (KeyError, IndexError, ValueError):
        number = DEFAULTS["SYNPUNKT_DIARIENUMMER_FORMAT"].format(year=year, seq=counter.last)
    return number[:40], counter.last


def _set_due(item: Synpunkt) -> None:
    """The item's due date is the next deadline still open (none for anonymous ones)."""
    if item.anonymous:
        item.ack_due = item.answer_due = item.due_date = None
        return
    item.ack_due, item.answer_due = deadlines(item.received_date, health_care=item.health_care)
    if item.acknowledged_date is None and item.answered_date is None:
        item.due_date = item.ack_due
    else:
        item.due_date = item.answer_due


# --- validation -------------------------------------------------------------------------


def _choice(value: Any, enum_type: Any, field: str, message: str) -> str:
    try:
        return str(enum_type(str(value)))
    except ValueError:
        raise OperationError(message, field=field) from None


def _text(value: Any, field: str, *, required: bool, limit: int, label: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise OperationError(f"Fyll i {label}.", field=field)
    if len(text) > limit:
        raise OperationError(
            f"Texten är för lång (högst {limit:,} tecken).".replace(",", " "), field=field
        )
    check_text(text, field)
    return text


def _theme(theme_id: Any) -> int | None:
    if theme_id in (None, "", 0, "0"):
        return None
    try:
        ident = int(theme_id)
    except (TypeError, ValueError):
        raise OperationError("Okänt tema.", field="theme_id") from None
    entry = db.session.get(ListEntry, ident)
    if entry is None or entry.list_key != THEME_LIST:
        raise OperationError("Okänt tema.", field="theme_id")
    return ident


def _themes(theme_ids: Any, theme_id: Any = None) -> list[ListEntry]:
    """The themes of a synpunkt from `theme_ids` (a list) or, as before, one `theme_id`;
    in the list's order. Unknown values are refused at the field."""
    if theme_ids is None:
        theme_ids = [] if _theme(theme_id) is None else [theme_id]
    if not isinstance(theme_ids, list | tuple | set):
        raise OperationError("Ange teman som en lista.", field="theme_ids")
    wanted = set()
    for value in theme_ids:
        if isinstance(value, bool):
            raise OperationError("Okänt tema.", field="theme_ids")
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            raise OperationError("Okänt tema.", field="theme_ids") from None
    if not wanted:
        return []
    entries = list(
        db.session.scalars(
            select(ListEntry)
            .where(ListEntry.id.in_(wanted), ListEntry.list_key == THEME_LIST)
            .order_by(ListEntry.sort_order, ListEntry.label)
        )
    )
    if len(entries) != len(wanted):
        raise OperationError("Okänt tema.", field="theme_ids")
    return entries


def _set_themes(item: Synpunkt, themes: list[ListEntry]) -> None:
    item.themes = themes
    item.theme_id = themes[0].id if themes else None


def _received(value: date | None) -> date:
    day = value or clock.today()
    if day > clock.today():
        raise OperationError("Datumet kan inte vara i framtiden.", field="received_date")
    if day < date(2000, 1, 1):
        raise OperationError("Datumet är för långt tillbaka.", field="received_date")
    return day


def _title(typ: str, description: str, title: str = "") -> str:
    """The short title the person wrote, or one proposed from the description's first
    words, after the kind ("Klagomål: Svårt att nå handläggaren")."""
    title = _text(title, "title", required=False, limit=MAX_TITLE, label="rubrik")
    if title:
        return title
    first = propose_title(description)
    return f"{SynpunktTyp(typ).label}: {first}" if first else SynpunktTyp(typ).label


# --- registration -----------------------------------------------------------------------


def _create(actor: User | None, unit: Unit, status: str, **fields: Any) -> Synpunkt:
    if unit is None or not unit.active:
        raise OperationError("Välj en verksamhet.", field="unit_id")
    typ = _choice(fields.pop("typ"), SynpunktTyp, "typ", "Välj vad det gäller.")
    kalla = _choice(fields.pop("kalla"), Kalla, "kalla", "Välj vem det kommer från.")
    kanal = _choice(fields.pop("kanal"), Kanal, "kanal", "Välj hur det kom in.")
    description = _text(fields.pop("description"), "description", required=True,
                        limit=MAX_TEXT, label="vad det gäller")  # fmt: skip
    anonymous = bool(fields.pop("anonymous", False))
    contact_name = _text(fields.pop("contact_name", ""), "contact_name", required=False,
                         limit=MAX_CONTACT, label="namn")  # fmt: skip
    contact_info = _text(fields.pop("contact_info", ""), "contact_info", required=False,
                         limit=MAX_CONTACT, label="kontaktuppgifter")  # fmt: skip
    if anonymous:
        contact_name = contact_info = ""
    title = _title(typ, description, fields.pop("title", "") or "")
    received = _received(fields.pop("received_date", None))
    themes = _themes(fields.pop("theme_ids", None), fields.pop("theme_id", None))
    chefs = chefs_of(unit)
    year = clock.today().year
    number, seq = next_diarienummer(year)
    item = new_item(
        Synpunkt,
        actor,
        title=title,
        description=description,
        unit_id=unit.id,
        unit=unit,
        owner_id=chefs[0].id if chefs else None,
        reporter_id=actor.id if actor is not None else None,
        status=status,
        diarienummer=number,
        diarie_year=year,
        diarie_seq=seq,
        received_date=received,
        typ=typ,
        kalla=kalla,
        kanal=kanal,
        anonymous=anonymous,
        contact_name=contact_name,
        contact_info=contact_info,
        health_care=bool(fields.pop("health_care", False)),
        public_submission=bool(fields.pop("public_submission", False)),
    )
    _set_themes(item, themes)
    _set_due(item)
    uow.flush()
    return item


def _notify_unit(item: Synpunkt) -> None:
    notify(
        chefs_of(item.unit),
        f"Ny {item.typ_label.lower()} {item.diarienummer} ({item.ref}) till {item.unit.name}",
        item=item,
        url=f"/synpunkter/{item.ref}",
        purpose="synpunkt",
    )


def register(
    actor: User,
    *,
    unit: Unit,
    typ: str,
    kalla: str,
    kanal: str,
    description: str,
    received_date: date | None = None,
    theme_id: int | None = None,
    theme_ids: list[int] | None = None,
    anonymous: bool = False,
    contact_name: str = "",
    contact_info: str = "",
    health_care: bool = False,
    title: str = "",
) -> Synpunkt:
    """Register a synpunkt that came in by letter, e-mail, phone, visit or at a meeting. It
    gets a diarienummer and goes straight to the unit's chef (status "mottagen")."""
    with transaction():
        item = _create(
            actor, unit, SynpunktStatus.MOTTAGEN, typ=typ, kalla=kalla, kanal=kanal,
            description=description, received_date=received_date, theme_id=theme_id,
            theme_ids=theme_ids, anonymous=anonymous, contact_name=contact_name,
            contact_info=contact_info, health_care=health_care, title=title,
        )  # fmt: skip
        _notify_unit(item)
    return item


def register_oral(
    actor: User,
    *,
    unit: Unit,
    typ: str,
    description: str,
    kalla: str = Kalla.BRUKARE,
    theme_id: int | None = None,
    theme_ids: list[int] | None = None,
    anonymous: bool = True,
    contact_name: str = "",
    contact_info: str = "",
    title: str = "",
) -> Synpunkt:
    """Quick registration by any employee of a synpunkt given orally at a meeting (today)."""
    return register(
        actor, unit=unit, typ=typ, kalla=kalla, kanal=Kanal.MUNTLIGT, description=description,
        theme_id=theme_id, theme_ids=theme_ids, anonymous=anonymous,
        contact_name=contact_name, contact_info=contact_info, title=title,
    )  # fmt: skip


def public_units() -> list[Unit]:
    """Units a citizen can choose among in the e-tjänst."""
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.public.is_(True), Unit.active.is_(True))
            .order_by(Unit.sort_order, Unit.name)
        )
    )


def intake_unit() -> Unit | None:
    """Where a submission goes when the citizen does not know the verksamhet: the nearest
    unit above every public unit (usually the förvaltning)."""
    units = public_units()
    if not units:
        return None
    common = units[0].ancestor_ids()
    for unit in units[1:]:
        ids = unit.ancestor_ids()
        n = 0
        while n < min(len(common), len(ids)) and common[n] == ids[n]:
            n += 1
        common = common[:n]
    if not common:
        return units[0]
    # Prefer the parent of the units when they all share one (not one of the units itself).
    if len(units) == 1 and len(common) > 1:
        common = common[:-1]
    return db.session.get(Unit, common[-1])


def public_submit(
    *,
    unit_id: int | str | None,
    typ: str,
    description: str,
    name: str = "",
    contact: str = "",
    kalla: str = Kalla.BRUKARE,
    title: str = "",
) -> Synpunkt:
    """A submission through the public e-tjänst (no user). It lands in the registrator's
    queue (status "inkommen"). unit_id None or "" means "vet inte"."""
    limit = int(setting("SYNPUNKT_PUBLIC_MAX_CHARS"))
    if unit_id in (None, "", "0", 0):
        unit = intake_unit()
    else:
        try:
            unit = db.session.get(Unit, int(unit_id))
        except (TypeError, ValueError):
            unit = None
        if unit is None or not unit.public or not unit.active:
            raise OperationError("Välj en verksamhet i listan.", field="unit_id")
    if unit is None:
        raise OperationError("E-tjänsten är inte öppen just nu.", field="unit_id")
    description = _text(description, "description", required=True, limit=limit,
                        label="vad du vill berätta")  # fmt: skip
    name = (name or "").strip()
    contact = (contact or "").strip()
    with transaction():
        item = _create(
            None, unit, SynpunktStatus.INKOMMEN, typ=typ, kalla=kalla, kanal=Kanal.E_TJANST,
            description=description, anonymous=not (name or contact), contact_name=name,
            contact_info=contact, public_submission=True, title=title,
        )  # fmt: skip
        registrators = holders_over(unit, [Role.REGISTRATOR])
        notify(
            registrators,
            f"Ny synpunkt via e-tjänsten: {item.diarienummer} ({item.ref})",
            item=item,
            url=f"/synpunkter/{item.ref}",
            purpose="synpunkt",
        )
    return item


# --- handling -------------------------------------------------------------------------------


CLASSIFY_FIELDS = (
    "unit_id", "typ", "kalla", "kanal", "theme_id", "theme_ids", "received_date",
    "health_care", "anonymous", "contact_name", "contact_info", "description", "title",
)  # fmt: skip


def classify(
    item: Synpunkt, actor: User, *, expected_version: int | None = None, **changes: Any
) -> Synpunkt:
    """Change the registration (unit, kind, source, channel, theme, dates, contact details,
    description). Deadlines are recomputed; moving to another unit hands it to that chef."""
    require(actor, "edit", item)
    unknown = set(changes) - set(CLASSIFY_FIELDS)
    if unknown:
        raise OperationError("Okänt fält: " + ", ".join(sorted(unknown)))
    with transaction():
        check_version(item, expected_version)
        names = [n for n in changes if n not in ("theme_id", "theme_ids")]
        before = audit.snapshot(item, names)
        themes_before = item.theme_labels
        new_unit = None
        if "unit_id" in changes and int(changes["unit_id"]) != item.unit_id:
            new_unit = db.session.get(Unit, int(changes["unit_id"]))
            if new_unit is None or not new_unit.active:
                raise OperationError("Välj en enhet.", field="unit_id")
            if not can(actor, "edit", item) or not _may_place(actor, new_unit):
                raise OperationError("Du kan inte flytta ärendet dit.", field="unit_id")
            item.unit_id = new_unit.id
            item.unit = new_unit
            chefs = chefs_of(new_unit)
            item.owner_id = chefs[0].id if chefs else None
        if "typ" in changes:
            item.typ = _choice(changes["typ"], SynpunktTyp, "typ", "Välj vad det gäller.")
        if "kalla" in changes:
            item.kalla = _choice(changes["kalla"], Kalla, "kalla", "Välj vem det kommer från.")
        if "kanal" in changes:
            item.kanal = _choice(changes["kanal"], Kanal, "kanal", "Välj hur det kom in.")
        if "theme_ids" in changes or "theme_id" in changes:
            _set_themes(item, _themes(changes.get("theme_ids"), changes.get("theme_id")))
        if "received_date" in changes:
            item.received_date = _received(changes["received_date"])
        if "health_care" in changes:
            item.health_care = bool(changes["health_care"])
        if "anonymous" in changes:
            item.anonymous = bool(changes["anonymous"])
        for name in ("contact_name", "contact_info"):
            if name in changes:
                setattr(item, name, _text(changes[name], name, required=False,
                                          limit=MAX_CONTACT, label=name))  # fmt: skip
        if "description" in changes:
            item.description = _text(changes["description"], "description", required=True,
                                     limit=MAX_TEXT, label="vad det gäller")  # fmt: skip
        if "title" in changes:
            item.title = _title(item.typ, item.description, changes["title"] or "")
        if item.anonymous:
            item.contact_name = item.contact_info = ""
        if item.answered_date is not None:
            item.answer_days = (item.answered_date - item.received_date).days
        _set_due(item)
        after = audit.snapshot(item, names)
        if item.theme_labels != themes_before:
            before["teman"] = ", ".join(themes_before) or "–"
            after["teman"] = ", ".join(item.theme_labels) or "–"
        old, new = audit.changed(before, after)
        if new:
            audit.record(actor, "edit", item=item, summary="Ändrade registreringen",
                         before=old, after=new)  # fmt: skip
        if new_unit is not None:
            _notify_unit(item)
    return item


def _may_place(actor: User, unit: Unit) -> bool:

    return holds_role_over(actor, MANAGERS, unit)


def route(item: Synpunkt, actor: User, *, expected_version: int | None = None) -> Synpunkt:
    """The registrator has looked at an e-tjänst submission: send it to the unit's chef."""
    with transaction():
        run_transition(item, "granska", actor, expected_version=expected_version)
        _notify_unit(item)
    return item


def _day(on: date | None, item: Synpunkt, field: str) -> date:
    day = on or clock.today()
    if day > clock.today():
        raise OperationError("Datumet kan inte vara i framtiden.", field=field)
    if day < item.received_date:
        raise OperationError("Datumet kan inte vara före mottagningsdatumet.", field=field)
    return day


def acknowledge(
    item: Synpunkt,
    actor: User,
    *,
    method: str,
    on: date | None = None,
    expected_version: int | None = None,
) -> Synpunkt:
    """Record that receipt was acknowledged to the person (date and how)."""
    require(actor, "view", item)
    with transaction():
        check_version(item, expected_version)
        item.ack_method = _choice(method, SvarSatt, "ack_method", "Välj hur bekräftelsen gavs.")
        item.acknowledged_date = _day(on, item, "acknowledged_date")
        _set_due(item)
        run_transition(item, "bekrafta", actor)
    return item


def answer(
    item: Synpunkt,
    actor: User,
    *,
    text: str,
    method: str,
    explanation: str = "",
    on: date | None = None,
    expected_version: int | None = None,
) -> Synpunkt:
    """Record the answer: its text, the explanation and resulting measures, date and how it was
    sent. An answer not preceded by an acknowledgement also counts as the acknowledgement."""
    require(actor, "view", item)
    with transaction():
        check_version(item, expected_version)
        item.answer_text = _text(text, "answer_text", required=True, limit=MAX_TEXT,
                                 label="svaret")  # fmt: skip
        item.explanation = _text(explanation, "explanation", required=False, limit=MAX_TEXT,
                                 label="förklaringen")  # fmt: skip
        item.answer_method = _choice(method, SvarSatt, "answer_method",
                                     "Välj hur svaret skickades.")  # fmt: skip
        item.answered_date = _day(on, item, "answered_date")
        if item.acknowledged_date is None:
            item.acknowledged_date = item.answered_date
            item.ack_method = item.answer_method
        item.answer_days = (item.answered_date - item.received_date).days
        _set_due(item)
        run_transition(item, "besvara", actor)
    return item


def close_without_answer(
    item: Synpunkt, actor: User, *, reason: str, expected_version: int | None = None
) -> Synpunkt:
    """Close without an answer (anonymous, withdrawn, duplicate...), with a reason."""
    return run_transition(item, "avsluta", actor, reason=reason, expected_version=expected_version)


def link(
    item: Synpunkt, target_ref: str, actor: User, link_type: str = LinkType.ATGARD
) -> ItemLink:
    """Link an avvikelse, lex Sarah case or förbättringsåtgärd that came out of the synpunkt."""
    target = db.session.scalar(select(Item).where(Item.ref == (target_ref or "").strip().upper()))
    if target is None or not can(actor, "view", target):
        raise OperationError("Hittar inget ärende med det numret som du har tillgång till.",
                             field="target")  # fmt: skip
    return link_items(item, target, actor, link_type)
