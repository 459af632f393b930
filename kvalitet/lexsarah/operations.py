"""Everything that changes a lex Sarah case: validate → change → audit → notify → commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kvalitet.atgarder.operations import create_atgard
from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.permissions import (
    can,
    for_one_item,
    holds_role_over,
    role_paths,
    units_under,
    visible_clause,
)
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX, Item, ItemLink, LinkType
from kvalitet.items.operations import new_item
from kvalitet.items.provenance import clean_text, entry_fields, not_future
from kvalitet.lexsarah import deadlines
from kvalitet.lexsarah.models import (
    Bedomning,
    Kanal,
    LexSarahArende,
    Rapportor,
    Sektion,
    Spridning,
    Utfall,
    UtredningPost,
)
from kvalitet.lexsarah.models import LexSarahStatus as S
from kvalitet.notify.models import Notification
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, User
from kvalitet.org.operations import all_holders_over, chefs_of

if TYPE_CHECKING:
    pass


def _url(item: Item) -> str | None:
    try:
        return url_for("lexsarah.detail", ref=item.ref)
    except RuntimeError:
        return None


def _require_sas(item: LexSarahArende, actor: User) -> None:
    if not can(actor, "view", item):
        raise NotFound()
    if not holds_role_over(actor, [Role.SAS], item.unit):
        raise Forbidden("Bara SAS kan göra detta.")


def _sas_of(unit: Unit) -> list[User]:
    return all_holders_over(unit, [Role.SAS])


# --- rapport ------------------------------------------------------------------------------


def report(
    actor: User,
    *,
    unit: Unit | None,
    title: str,
    description: str,
    happened_at: datetime | None = None,
    noticed_at: datetime | None = None,
    noticed_how: str = "",
    consequences: str = "",
    immediate_measures: str = "",
    immediate_measures_at: datetime | None = None,
) -> LexSarahArende:
    """A rapport by anyone working in the activity. The reporter is stored apart."""
    if unit is None or not unit.active:
        raise OperationError("Välj den enhet som rapporten gäller.", field="unit_id")
    title = clean_text(title, "title", "en kort rubrik", limit=TITLE_MAX)
    description = clean_text(description, "description", "vad som har hänt")
    noticed_how = clean_text(noticed_how, "noticed_how", "hur det uppmärksammades", required=False)
    consequences = clean_text(consequences, "consequences", "konsekvenser", required=False)
    immediate = clean_text(immediate_measures, "immediate_measures", "åtgärder", required=False)
    not_future(happened_at, "happened_at")
    not_future(noticed_at, "noticed_at")
    not_future(immediate_measures_at, "immediate_measures_at")
    if immediate and immediate_measures_at is None:
        raise OperationError(
            "Ange när de omedelbara åtgärderna vidtogs.", field="immediate_measures_at"
        )
    # The audit entry of the creation names no one: the reporter is kept apart (Rapportor).
    item = new_item(
        LexSarahArende,
        None,
        title=title,
        description=description,
        unit_id=unit.id,
        unit=unit,
        happened_at=happened_at,
        noticed_at=noticed_at,
        noticed_how=noticed_how,
        consequences=consequences,
        immediate_measures=immediate,
        immediate_measures_at=immediate_measures_at if immediate else None,
        reported_at=clock.now(),
    )
    item.due_date = deadlines.step_due(item)
    db.session.flush()
    db.session.add(
        Rapportor(arende_id=item.id, user_id=actor.id, name=actor.name, title=actor.title or "")
    )
    notify(
        _sas_of(unit),
        f"Ny lex Sarah-rapport {item.ref} väntar på bedömning.",
        item=item,
        url=_url(item),
        purpose="lexsarah",
    )
    db.session.flush()
    return item


def reporter_of(item: LexSarahArende) -> Rapportor | None:
    return db.session.scalar(select(Rapportor).where(Rapportor.arende_id == item.id))


def may_transfer(actor: User, avvikelse: Item) -> bool:
    return bool(
        actor.is_authenticated
        and avvikelse.kind == "AVV"
        and can(actor, "view", avvikelse)
        and not avvikelse.is_cancelled
    )


def transferred_case(avvikelse: Item) -> LexSarahArende | None:
    return db.session.scalar(
        select(LexSarahArende)
        .join(ItemLink, ItemLink.target_id == LexSarahArende.id)
        .where(ItemLink.source_id == avvikelse.id, ItemLink.link_type == LinkType.HARLEDD)
    )


def transfer_from_avvikelse(avvikelse: Item, actor: User) -> LexSarahArende:
    """ "Överför till lex Sarah": a new lex Sarah rapport linked to the deviation (both kept).
    The person transferring becomes the reporter (kept apart as always)."""
    if not may_transfer(actor, avvikelse):
        raise NotFound()
    if transferred_case(avvikelse) is not None:
        raise OperationError("Avvikelsen är redan överförd till lex Sarah.")
    with transaction():
        fields: dict[str, Any] = {}
        for attr, name in (
            ("event_at", "happened_at"),
            ("happened_at", "happened_at"),
            ("noticed_at", "noticed_at"),
        ):
            value = getattr(avvikelse, attr, None)
            if isinstance(value, datetime):
                fields[name] = value
        consequences = [
            str(getattr(avvikelse, attr, "") or "").strip()
            for attr in ("consequence_actual", "consequence_possible")
        ]
        if any(consequences):
            fields["consequences"] = "\n".join(c for c in consequences if c)
        for attr, name in (
            ("noticed_how_text", "noticed_how"),
            ("immediate_action", "immediate_measures"),
        ):
            value = getattr(avvikelse, attr, None)
            if isinstance(value, str) and value.strip():
                fields[name] = value
        if fields.get("immediate_measures"):
            fields["immediate_measures_at"] = fields.get("noticed_at") or avvikelse.created_at
        item = report(
            actor,
            unit=avvikelse.unit,
            title=avvikelse.title or f"Från avvikelse {avvikelse.ref}",
            description=avvikelse.description or avvikelse.title,
            **fields,
        )
        db.session.add(
            ItemLink(
                source_id=avvikelse.id,
                target_id=item.id,
                link_type=str(LinkType.HARLEDD),
                created_by_id=actor.id,
            )
        )
        audit.record(actor, "link", item=avvikelse, summary="Överförd till lex Sarah")
        audit.record(None, "link", item=item, summary=f"Skapad utifrån {avvikelse.ref}")
    return item


# --- steps ----------------------------------------------------------------------------------


def record_immediate(
    item: LexSarahArende,
    actor: User,
    text: str,
    at: datetime | None,
    expected_version: int | None = None,
) -> None:
    _require_sas(item, actor)
    text = clean_text(text, "immediate_measures", "vilka åtgärder som vidtogs")
    if at is None:
        raise OperationError("Ange när åtgärderna vidtogs.", field="immediate_measures_at")
    not_future(at, "immediate_measures_at")
    with transaction():
        check_version(item, expected_version)
        before = audit.snapshot(item, ["immediate_measures", "immediate_measures_at"])
        item.immediate_measures = text
        item.immediate_measures_at = at
        audit.record(
            actor,
            "edit",
            item=item,
            summary="Registrerade omedelbara åtgärder",
            before=before,
            after=audit.snapshot(item, ["immediate_measures", "immediate_measures_at"]),
        )


def assess(
    item: LexSarahArende,
    actor: User,
    assessment: str,
    text: str,
    expected_version: int | None = None,
) -> None:
    _require_sas(item, actor)
    if assessment not in set(Bedomning):
        raise OperationError("Välj en bedömning.", field="assessment")
    text = clean_text(text, "assessment_text", "en motivering")
    with transaction():
        check_version(item, expected_version)
        item.assessment = assessment
        item.assessment_text = text
        item.assessed_at = clock.now()
        item.assessed_by_id = actor.id
        if item.owner_id is None:
            item.owner_id = actor.id
        run_transition(item, "bedom", actor)


def add_entry(
    item: LexSarahArende,
    actor: User,
    *,
    section: str,
    entry_date: date | None,
    source: str,
    karaktar: str,
    text: str,
) -> None:
    """An utredning entry. SAS, or the chef of the unit concerned, may write."""
    if not can(actor, "view", item):
        raise NotFound()
    if not holds_role_over(actor, [Role.SAS, *CHEF_ROLES], item.unit):
        raise Forbidden("Bara SAS och chefen för enheten kan skriva i utredningen.")
    if item.status != S.UTREDNING:
        raise OperationError("Utredningen kan bara fyllas på medan ärendet utreds.")
    values = entry_fields(
        actor,
        section=section,
        sections=set(Sektion),
        entry_date=entry_date,
        source=source,
        karaktar=karaktar,
        text=text,
    )

    with transaction():
        entry = UtredningPost(arende_id=item.id, **values)
        db.session.add(entry)
        db.session.flush()
        audit.record(
            actor,
            "utredning",
            item=item,
            summary=f"Utredning: {Sektion(section).label}",
            target=f"utredningspost:{entry.id}",
        )


def decision_makers(item: LexSarahArende, with_roles: bool = True) -> list[User]:
    """Who may be chosen as decision maker: chefs and SAS at or above the unit."""
    return all_holders_over(
        item.unit, [Role.AVDELNINGSCHEF, Role.ENHETSCHEF, Role.SAS], with_roles=with_roles
    )


def decide(
    item: LexSarahArende,
    actor: User,
    *,
    outcome: str,
    allvarligt: bool,
    decision_maker_id: int | None,
    decision_date: date | None,
    reason: str,
    expected_version: int | None = None,
) -> None:
    _require_sas(item, actor)
    if outcome not in set(Utfall):
        raise OperationError("Välj utfall.", field="outcome")
    if allvarligt and outcome == Utfall.EJ_MISSFORHALLANDE:
        raise OperationError(
            "Ett beslut om att det inte är ett missförhållande kan inte vara allvarligt.",
            field="allvarligt",
        )
    if decision_maker_id not in {u.id for u in decision_makers(item)}:
        raise OperationError("Välj beslutsfattare.", field="decision_maker_id")
    if decision_date is None:
        raise OperationError("Ange beslutsdatum.", field="decision_date")
    not_future(decision_date, "decision_date")
    reason = clean_text(reason, "decision_reason", "beslutets motivering")
    with transaction():
        check_version(item, expected_version)
        item.outcome = outcome
        item.allvarligt = allvarligt
        item.decision_maker_id = decision_maker_id
        item.decision_date = decision_date
        item.decision_reason = reason
        name = "besluta_allvarligt" if allvarligt and not item.ivo_filed_date else "besluta"
        run_transition(item, name, actor)
        audit.record(
            actor,
            "beslut",
            item=item,
            summary=f"Beslut: {Utfall(outcome).label}" + (", allvarligt" if allvarligt else ""),
        )
        notify(
            [decision_maker_id],
            f"Du är beslutsfattare i lex Sarah-ärende {item.ref}.",
            item=item,
            url=_url(item),
            purpose="lexsarah",
        )


def file_ivo(
    item: LexSarahArende,
    actor: User,
    *,
    filed_date: date | None,
    channel: str,
    region: str,
    attached: bool,
    diarienummer: str = "",
    expected_version: int | None = None,
) -> None:
    """Record the anmälan to IVO: after an allvarligt beslut, or earlier during the utredning
    if SAS so decides."""
    _require_sas(item, actor)
    if item.ivo_filed_date:
        raise OperationError("Anmälan till IVO är redan registrerad.")
    if item.status not in (S.UTREDNING, S.ANMALAN):
        raise OperationError("Anmälan kan registreras under utredningen eller efter beslutet.")
    if filed_date is None:
        raise OperationError("Ange datum för anmälan.", field="filed_date")
    not_future(filed_date, "filed_date")
    if channel not in set(Kanal):
        raise OperationError(
            "Välj IVO:s e-tjänst eller post. Anmälan får aldrig skickas med e-post.",
            field="channel",
        )
    region = clean_text(region, "region", "IVO-region", limit=100)
    diarienummer = clean_text(
        diarienummer, "diarienummer", "diarienummer", required=False, limit=60
    )
    with transaction():
        check_version(item, expected_version)
        item.ivo_filed_date = filed_date
        item.ivo_channel = channel
        item.ivo_region = region
        item.ivo_diarienummer = diarienummer
        item.ivo_utredning_attached = attached
        if attached:
            item.ivo_utredning_due = None
            item.ivo_utredning_sent_date = filed_date
        else:
            item.ivo_utredning_due = deadlines.ivo_utredning_due(filed_date)
        if item.status == S.ANMALAN:
            run_transition(item, "anmal", actor)
        audit.record(
            actor,
            "ivo",
            item=item,
            summary=f"Anmäld till IVO ({Kanal(channel).label}, {region})",
            after={
                "datum": filed_date,
                "utredning bifogad": attached,
                "utredningen senast": item.ivo_utredning_due,
            },
        )


def investigation_sent(
    item: LexSarahArende,
    actor: User,
    sent_date: date | None,
    expected_version: int | None = None,
) -> None:
    _require_sas(item, actor)
    if not item.ivo_filed_date or item.ivo_utredning_sent_date:
        raise OperationError("Det finns ingen utredning som väntar på att skickas till IVO.")
    if sent_date is None:
        raise OperationError("Ange datum.", field="sent_date")
    not_future(sent_date, "sent_date")
    if sent_date < item.ivo_filed_date:
        raise OperationError("Datumet kan inte vara före anmälan.", field="sent_date")
    with transaction():
        check_version(item, expected_version)
        item.ivo_utredning_sent_date = sent_date
        audit.record(
            actor,
            "ivo",
            item=item,
            summary="Utredningen skickad till IVO",
            after={"datum": sent_date},
        )


def set_spreading(
    item: LexSarahArende,
    actor: User,
    *,
    unit_ids: list[int],
    spread_text: str,
    ledningsgrupp_date: date | None,
    expected_version: int | None = None,
) -> None:
    """SAS records the ledningsgrupp review, what is to be spread, and the units where the
    same risk exists. Units already confirmed stay; new units' chefs are notified."""
    _require_sas(item, actor)
    if item.status != S.SPRIDNING:
        raise OperationError("Spridning görs efter beslutet.")
    spread_text = clean_text(
        spread_text, "spread_text", "lärdomar och åtgärder att sprida", required=bool(unit_ids)
    )
    not_future(ledningsgrupp_date, "ledningsgrupp_date")
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids or [-1]))))
    if len(units) != len(set(unit_ids)):
        raise OperationError("Okänd enhet.", field="unit_ids")
    with transaction():
        check_version(item, expected_version)
        item.spread_text = spread_text
        item.ledningsgrupp_date = ledningsgrupp_date
        existing = {s.unit_id: s for s in item.spreading}
        wanted = {u.id for u in units}
        for unit_id, row in existing.items():
            if unit_id not in wanted:
                if row.confirmed_at is not None:
                    raise OperationError(
                        f"{row.unit.name} har redan bekräftat och kan inte tas bort.",
                        field="unit_ids",
                    )
                db.session.delete(row)
        added = []
        for unit in units:
            if unit.id not in existing:
                db.session.add(Spridning(arende_id=item.id, unit_id=unit.id, chosen_by_id=actor.id))
                added.append(unit)
        db.session.flush()
        db.session.expire(item, ["spreading"])
        audit.record(
            actor,
            "spridning",
            item=item,
            summary="Spridning: enheter valda",
            after={"enheter": sorted(u.name for u in units), "ledningsgrupp": ledningsgrupp_date},
        )
        for unit in added:
            notify(
                chefs_of(unit),
                f"Lärdomar från lex Sarah-ärende {item.ref} ska införas på {unit.name}. "
                "Bekräfta när de är kända och tillämpade.",
                url=_spread_url(),
                purpose="lexsarah",
            )


def _spread_url() -> str | None:
    try:
        return url_for("lexsarah.spreading")
    except RuntimeError:
        return None


def may_confirm(actor: User, row: Spridning) -> bool:
    return holds_role_over(actor, CHEF_ROLES, row.unit)


def confirm_spreading(row: Spridning, actor: User, note: str = "") -> None:
    if not may_confirm(actor, row):
        raise NotFound()
    if row.confirmed_at is not None:
        raise OperationError("Redan bekräftat.")
    if row.arende.status != S.SPRIDNING or row.arende.is_cancelled:
        raise OperationError("Ärendet väntar inte längre på bekräftelser.")
    note = clean_text(note, "note", "kommentar", required=False, limit=2000)
    with transaction():
        row.confirmed_at = clock.now()
        row.confirmed_by_id = actor.id
        row.confirm_note = note
        audit.record(
            actor,
            "spridning",
            item=row.arende,
            summary=f"{row.unit.name}: åtgärderna är kända och tillämpade",
        )
        notify(
            _sas_of(row.arende.unit),
            f"{row.unit.name} har bekräftat spridningen i {row.arende.ref}.",
            item=row.arende,
            url=_url(row.arende),
            purpose="lexsarah",
        )


def pending_confirmations(actor: User) -> list[Spridning]:

    paths = role_paths(actor, CHEF_ROLES)
    if not paths:
        return []
    return list(
        db.session.scalars(
            select(Spridning)
            .join(LexSarahArende, LexSarahArende.id == Spridning.arende_id)
            .where(
                Spridning.unit_id.in_(units_under(paths)),
                LexSarahArende.status == S.SPRIDNING,
                Item.cancelled_at.is_(None),
            )
            .order_by(Spridning.confirmed_at.is_not(None), Spridning.chosen_at.desc())
            .limit(200)
        )
    )


def close(item: LexSarahArende, actor: User, note: str, expected_version: int | None = None):
    _require_sas(item, actor)
    note = clean_text(note, "closing_note", "en avslutande kommentar", required=False)
    with transaction():
        check_version(item, expected_version)
        item.closing_note = note
        run_transition(item, "avsluta", actor)


def send_reminders(today: date | None = None, days_before: int = 7) -> int:
    """Remind SAS of IVO investigation deadlines within `days_before` days and of late ones.
    Idempotent: one reminder per case and deadline state per day."""

    today = today or clock.today()
    horizon = date.fromordinal(today.toordinal() + days_before)
    cases = db.session.scalars(
        select(LexSarahArende).where(
            LexSarahArende.ivo_utredning_due.is_not(None),
            LexSarahArende.ivo_utredning_sent_date.is_(None),
            LexSarahArende.ivo_utredning_due <= horizon,
            Item.cancelled_at.is_(None),
        )
    ).all()
    sent = 0
    for item in cases:
        assert item.ivo_utredning_due is not None
        late = item.ivo_utredning_due < today
        message = (
            f"Utredningen i {item.ref} skulle ha nått IVO senast {item.ivo_utredning_due}."
            if late
            else f"Utredningen i {item.ref} ska nå IVO senast {item.ivo_utredning_due}."
        )
        purpose = f"lexsarah-ivo-{'sen' if late else 'snart'}-{today.isoformat()}"
        already = db.session.scalar(
            select(Notification.id).where(
                Notification.item_id == item.id, Notification.purpose == purpose
            )
        )
        if already:
            continue
        notify(_sas_of(item.unit), message, item=item, purpose=purpose)
        sent += 1
    db.session.flush()
    return sent


# --- förbättringsåtgärder -----------------------------------------------------------------


def create_action(
    item: LexSarahArende,
    actor: User,
    *,
    title: str,
    unit_id: int | None,
    due_date: date | None,
    why: str = "",
) -> Item:
    """A förbättringsåtgärd decided because of the case, linked case → action ("atgard").
    The chef of the chosen unit owns it. The action is seen by that unit's managers, so its
    text must hold lessons, not case details."""

    _require_sas(item, actor)
    if item.status not in (S.UTREDNING, S.ANMALAN, S.SPRIDNING):
        raise OperationError("Åtgärder kan läggas till under utredningen och efter beslutet.")
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise OperationError("Välj enhet.", field="unit_id")
    owners = chefs_of(unit)
    return create_atgard(
        actor,
        source=item,
        title=title,
        why=why or f"Beslutad med anledning av lex Sarah-ärende {item.ref}.",
        unit=unit,
        owner=owners[0] if owners else None,
        due_date=due_date,
    )


def actions_of(item: LexSarahArende, user: User) -> list[Item]:
    """The case's förbättringsåtgärder that `user` may see (one placed at a unit outside the
    user's view is left out, title and all, as the panel's links are)."""
    with for_one_item():  # a handful of rows: the policy's id lists as subselects
        seen = visible_clause(user)
    return list(
        db.session.scalars(
            select(Item)
            .join(ItemLink, ItemLink.target_id == Item.id)
            .where(
                ItemLink.source_id == item.id,
                ItemLink.link_type == LinkType.ATGARD,
                seen,
            )
            # The page shows each action's owner: in the same statement, without roles.
            .options(joinedload(Item.owner).lazyload(User.roles))
            .order_by(Item.id)
        )
    )
