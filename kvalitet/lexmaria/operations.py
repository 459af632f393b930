"""Everything that changes a lex Maria case: validate → change → audit → notify, inside one
transaction. Used by the web views, by "Överför till lex Maria" on a health-care avvikelse
(transfer_from_avvikelse) and by the demo."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kvalitet.atgarder.operations import create_atgard
from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.permissions import (
    can,
    for_one_item,
    holds_role_over,
    is_admin,
    role_paths,
    visible_clause,
)
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.models import Item, ItemLink, LinkType
from kvalitet.items.operations import new_item
from kvalitet.items.provenance import clean_text, entry_fields, not_future
from kvalitet.lexmaria import deadlines
from kvalitet.lexmaria.document import compile_document, text_due, texts_of
from kvalitet.lexmaria.models import (
    Bedomning,
    Informationssatt,
    LexMariaArende,
    LexMariaPost,
    Mottagare,
    Patientsakerhetsberattelse,
    PsbAvsnitt,
    PsbText,
    PsbVersion,
    Sektion,
)
from kvalitet.lexmaria.models import LexMariaStatus as S
from kvalitet.lexsarah.models import Kanal
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, UnitKind, User
from kvalitet.org.operations import all_holders_over, chefs_of, holders_over
from kvalitet.rapport.models import TextStatus
from kvalitet.rapport.operations import canonical, checksum


def _url(item: Item) -> str | None:
    try:
        return url_for("lexmaria.detail", ref=item.ref)
    except RuntimeError:
        return None


def is_mas(actor: User, unit: Unit) -> bool:
    return holds_role_over(actor, [Role.MAS], unit)


def _require_mas(item: LexMariaArende, actor: User) -> None:
    if not can(actor, "view", item):
        raise NotFound()
    if not is_mas(actor, item.unit):
        raise Forbidden("Bara MAS kan göra detta.")


def _mas_of(unit: Unit) -> list[User]:
    return all_holders_over(unit, [Role.MAS])


# --- the händelse ---------------------------------------------------------------------------


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
) -> LexMariaArende:
    """A händelse registered by the MAS of the unit (directly, or from an avvikelse)."""
    if unit is None or not unit.active:
        raise OperationError("Välj den enhet som händelsen gäller.", field="unit_id")
    if not is_mas(actor, unit):
        raise Forbidden("Bara MAS kan registrera en lex Maria-händelse.")
    title = clean_text(title, "title", "en kort rubrik", limit=200)
    description = clean_text(description, "description", "vad som har hänt")
    noticed_how = clean_text(noticed_how, "noticed_how", "hur det uppmärksammades", False)
    consequences = clean_text(consequences, "consequences", "konsekvenser", False)
    immediate = clean_text(immediate_measures, "immediate_measures", "åtgärder", False)
    for value, field in (
        (happened_at, "happened_at"),
        (noticed_at, "noticed_at"),
        (immediate_measures_at, "immediate_measures_at"),
    ):
        not_future(value, field)
    if immediate and immediate_measures_at is None:
        raise OperationError(
            "Ange när de omedelbara åtgärderna vidtogs.", field="immediate_measures_at"
        )
    with transaction():
        return _new_case(
            actor,
            unit,
            title=title,
            description=description,
            happened_at=happened_at,
            noticed_at=noticed_at,
            noticed_how=noticed_how,
            consequences=consequences,
            immediate_measures=immediate,
            immediate_measures_at=immediate_measures_at if immediate else None,
        )


def _new_case(actor: User, unit: Unit, **fields: Any) -> LexMariaArende:
    item = new_item(
        LexMariaArende,
        actor,
        unit_id=unit.id,
        unit=unit,
        reporter_id=actor.id,
        owner_id=actor.id,
        reported_at=clock.now(),
        **fields,
    )
    item.due_date = deadlines.step_due(item)
    db.session.flush()
    notify(
        [u for u in _mas_of(unit) if u.id != actor.id],
        f"Ny lex Maria-händelse {item.ref} väntar på bedömning.",
        item=item,
        url=_url(item),
        purpose="lexmaria",
    )
    return item


def transferred_case(avvikelse: Item) -> LexMariaArende | None:
    return db.session.scalar(
        select(LexMariaArende)
        .join(ItemLink, ItemLink.target_id == LexMariaArende.id)
        .where(ItemLink.source_id == avvikelse.id, ItemLink.link_type == LinkType.HARLEDD)
    )


def may_transfer(actor: User, avvikelse: Item) -> bool:
    """The MAS over the unit, on a health-care avvikelse that is not cancelled."""
    return bool(
        actor.is_authenticated
        and avvikelse.kind == "AVV"
        and getattr(avvikelse, "health_care", False)
        and not avvikelse.is_cancelled
        and can(actor, "view", avvikelse)
        and is_mas(actor, avvikelse.unit)
    )


def transfer_from_avvikelse(avvikelse: Item, actor: User) -> LexMariaArende:
    """A lex Maria case from a health-care avvikelse, linked avvikelse → case ("Skapat
    utifrån"); both are kept. What happened, when and the immediate action are copied."""
    if not can(actor, "view", avvikelse):
        raise NotFound()
    if not getattr(avvikelse, "health_care", False):
        raise OperationError(
            "Bara avvikelser i hälso- och sjukvården kan överföras till lex Maria."
        )
    if not may_transfer(actor, avvikelse):
        raise Forbidden(
            "Bara MAS kan överföra en avvikelse i hälso- och sjukvården till lex Maria."
        )
    if transferred_case(avvikelse) is not None:
        raise OperationError("Avvikelsen är redan överförd till lex Maria.")
    fields: dict[str, Any] = {}
    for attr, name in (("event_at", "happened_at"), ("noticed_at", "noticed_at")):
        value = getattr(avvikelse, attr, None)
        if isinstance(value, datetime):
            fields[name] = value
    consequences = [
        str(getattr(avvikelse, a, "") or "").strip()
        for a in ("consequence_actual", "consequence_possible")
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
    with transaction():
        item = _new_case(
            actor,
            avvikelse.unit,
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
        audit.record(actor, "link", item=avvikelse, summary=f"Överförd till lex Maria ({item.ref})")
        audit.record(actor, "link", item=item, summary=f"Skapad utifrån {avvikelse.ref}")
    return item


# --- assessment and händelseanalys -----------------------------------------------------------


def assess(
    item: LexMariaArende,
    actor: User,
    assessment: str,
    text: str,
    expected_version: int | None = None,
) -> None:
    """The MAS's assessment: has the händelse caused, or could it have caused, an allvarlig
    vårdskada? Starts the händelseanalys."""
    _require_mas(item, actor)
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
        audit.record(
            actor, "bedomning", item=item, summary=f"Bedömning: {Bedomning(assessment).label}"
        )


def add_entry(
    item: LexMariaArende,
    actor: User,
    *,
    section: str,
    entry_date: date | None,
    source: str,
    karaktar: str,
    text: str,
) -> LexMariaPost:
    """An entry of the händelseanalys, with provenance (date, source, fact or assessment,
    author name and title)."""
    _require_mas(item, actor)
    if item.status != S.UTREDNING:
        raise OperationError("Händelseanalysen kan bara fyllas på medan ärendet utreds.")
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
        entry = LexMariaPost(arende_id=item.id, **values)
        db.session.add(entry)
        db.session.flush()
        db.session.expire(item, ["entries"])
        audit.record(
            actor,
            "utredning",
            item=item,
            summary=f"Händelseanalys: {Sektion(section).label}",
            target=f"lexmariapost:{entry.id}",
        )
    return entry


def decision_makers(item: LexMariaArende, with_roles: bool = True) -> list[User]:
    """Who may be chosen as decision maker: the MAS and the chefs at or above the unit."""
    return all_holders_over(
        item.unit, [Role.MAS, Role.AVDELNINGSCHEF, Role.ENHETSCHEF], with_roles=with_roles
    )


def decide(
    item: LexMariaArende,
    actor: User,
    *,
    ivo_anmalan: bool | None,
    decision_maker_id: int | None,
    decision_date: date | None,
    reason: str,
    expected_version: int | None = None,
) -> None:
    """The decision whether the händelse is reported to IVO (PSL 3 kap. 5 §)."""
    _require_mas(item, actor)
    if ivo_anmalan is None:
        raise OperationError("Välj om händelsen ska anmälas till IVO.", field="ivo_anmalan")
    if decision_maker_id not in {u.id for u in decision_makers(item)}:
        raise OperationError("Välj beslutsfattare.", field="decision_maker_id")
    if decision_date is None:
        raise OperationError("Ange beslutsdatum.", field="decision_date")
    not_future(decision_date, "decision_date")
    reason = clean_text(reason, "decision_reason", "beslutets motivering")
    with transaction():
        check_version(item, expected_version)
        item.ivo_anmalan = ivo_anmalan
        item.decision_maker_id = decision_maker_id
        item.decision_date = decision_date
        item.decision_reason = reason
        name = "besluta_anmal" if ivo_anmalan and not item.ivo_filed_date else "besluta"
        run_transition(item, name, actor)
        audit.record(
            actor,
            "beslut",
            item=item,
            summary="Beslut: " + ("anmäls till IVO" if ivo_anmalan else "anmäls inte till IVO"),
        )
        if decision_maker_id != actor.id:
            notify(
                [decision_maker_id],
                f"Du är beslutsfattare i lex Maria-ärende {item.ref}.",
                item=item,
                url=_url(item),
                purpose="lexmaria",
            )


def file_ivo(
    item: LexMariaArende,
    actor: User,
    *,
    filed_date: date | None,
    channel: str,
    region: str = "",
    attached: bool,
    diarienummer: str = "",
    expected_version: int | None = None,
) -> None:
    """The anmälan to IVO (after the decision, or earlier during the händelseanalys when the
    MAS so decides: "snarast")."""
    _require_mas(item, actor)
    if item.ivo_filed_date:
        raise OperationError("Anmälan till IVO är redan registrerad.")
    if item.status not in (S.UTREDNING, S.ANMALAN):
        raise OperationError("Anmälan kan registreras under händelseanalysen eller efter beslutet.")
    if filed_date is None:
        raise OperationError("Ange datum för anmälan.", field="filed_date")
    not_future(filed_date, "filed_date")
    if channel not in set(Kanal):
        raise OperationError(
            "Välj IVO:s e-tjänst eller post. Anmälan får aldrig skickas med e-post.",
            field="channel",
        )
    region = clean_text(region, "region", "IVO-region", required=False, limit=100)
    diarienummer = clean_text(diarienummer, "diarienummer", "diarienummer", False, limit=60)
    with transaction():
        check_version(item, expected_version)
        item.ivo_filed_date = filed_date
        item.ivo_channel = channel
        item.ivo_region = region or None
        item.ivo_diarienummer = diarienummer
        item.ivo_utredning_attached = attached
        item.ivo_anmalan = True
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
            summary=f"Anmäld till IVO ({Kanal(channel).label})",
            after={
                "datum": filed_date,
                "utredning bifogad": attached,
                "utredningen senast": item.ivo_utredning_due,
            },
        )


def investigation_sent(
    item: LexMariaArende, actor: User, sent_date: date | None, expected_version: int | None = None
) -> None:
    _require_mas(item, actor)
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


def record_information(
    item: LexMariaArende,
    actor: User,
    *,
    informed_date: date | None,
    who: str,
    how: str,
    points: dict[str, bool],
    note: str = "",
    not_informed_reason: str = "",
    expected_version: int | None = None,
) -> None:
    """PSL 3 kap. 8 §: the patient (or närstående) informed of what happened, the measures,
    the right to complain and the anmälan; recorded with date, how and by whom (the actor,
    name and title as they are now). Or why nobody could be informed."""
    _require_mas(item, actor)
    if item.status not in (S.UTREDNING, S.ANMALAN, S.ATGARDER):
        raise OperationError("Informationen registreras efter bedömningen.")
    reason = clean_text(not_informed_reason, "not_informed_reason", "skälet", False, 2000)
    note = clean_text(note, "informed_note", "anteckning", False, 2000)
    changes: dict[str, Any]
    if reason and informed_date is None:
        changes = {"not_informed_reason": reason, "informed_date": None}
    else:
        if informed_date is None:
            raise OperationError(
                "Ange när patienten eller närstående informerades.", field="informed_date"
            )
        not_future(informed_date, "informed_date")
        if who not in set(Mottagare):
            raise OperationError("Välj vem som informerades.", field="informed_who")
        if how not in set(Informationssatt):
            raise OperationError("Välj hur informationen gavs.", field="informed_how")
        if not any(points.values()):
            raise OperationError("Ange vad informationen omfattade.", field="info_handelse")
        if points.get("info_anmalan") and not item.ivo_filed_date:
            raise OperationError("Händelsen är inte anmäld till IVO ännu.", field="info_anmalan")
        changes = {
            "informed_date": informed_date,
            "informed_who": who,
            "informed_how": how,
            "informed_by_id": actor.id,
            "informed_by_name": actor.name,
            "informed_by_title": actor.title or "",
            "informed_note": note,
            "not_informed_reason": "",
            **{
                k: bool(points.get(k))
                for k in ("info_handelse", "info_atgarder", "info_klagomal", "info_anmalan")
            },
        }
    with transaction():
        check_version(item, expected_version)
        before = audit.snapshot(item, list(changes))
        for name, value in changes.items():
            setattr(item, name, value)
        summary = (
            f"{Mottagare(who).label} informerad ({Informationssatt(how).label.lower()})"
            if changes.get("informed_date")
            else "Information kunde inte lämnas"
        )
        audit.record(
            actor,
            "information",
            item=item,
            summary=summary,
            before=before,
            after=audit.snapshot(item, list(changes)),
        )


def create_action(
    item: LexMariaArende,
    actor: User,
    *,
    title: str,
    unit_id: int | None,
    due_date: date | None,
    why: str = "",
) -> Item:
    """A förbättringsåtgärd decided because of the case (through atgarder's operations),
    linked case → action. The chef of the chosen unit owns it; its text is seen by the
    unit's managers, so it holds the lesson, not the patient's details."""
    _require_mas(item, actor)
    if item.status not in (S.UTREDNING, S.ANMALAN, S.ATGARDER):
        raise OperationError("Åtgärder kan läggas till under händelseanalysen och efter beslutet.")
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise OperationError("Välj enhet.", field="unit_id")
    owners = chefs_of(unit)
    return create_atgard(
        actor,
        source=item,
        title=title,
        why=why or f"Beslutad med anledning av lex Maria-ärende {item.ref}.",
        unit=unit,
        owner=owners[0] if owners else None,
        due_date=due_date,
    )


def actions_of(item: LexMariaArende, user: User) -> list[Item]:
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


def close(
    item: LexMariaArende, actor: User, note: str, expected_version: int | None = None
) -> None:
    _require_mas(item, actor)
    note = clean_text(note, "closing_note", "en avslutande kommentar", required=False)
    with transaction():
        check_version(item, expected_version)
        item.closing_note = note
        run_transition(item, "avsluta", actor)


# --- patientsäkerhetsberättelse ------------------------------------------------------------

PSB_MANAGERS = (Role.MAS, Role.KVALITETSUTVECKLARE)
# Chapters written by the förvaltningsledning; the MAS writes the others.
LEDNING_AVSNITT = (PsbAvsnitt.MAL, PsbAvsnitt.ANSVAR, PsbAvsnitt.KOMMANDE)


def may_manage_psb(user: User | None, unit: Unit) -> bool:
    """Start, compile and freeze: the MAS or a kvalitetsutvecklare at the unit or above, and
    administrators."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_admin(user) or holds_role_over(user, PSB_MANAGERS, unit)


def may_view_psb_frozen(user: User | None, berattelse: Patientsakerhetsberattelse) -> bool:
    """Frozen versions (the document the nämnd receives): managers, chefs inside the
    vårdgivare's subtree and the read-only nämnd role over it."""
    if may_manage_psb(user, berattelse.unit):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if any(p.startswith(berattelse.unit.path) for p in role_paths(user, CHEF_ROLES)):
        return True
    return holds_role_over(user, [Role.LASARE], berattelse.unit)


def _psb_owner(unit: Unit, avsnitt: PsbAvsnitt, fallback: User) -> User:
    roles: list[list[str]] = [[Role.AVDELNINGSCHEF], [Role.KVALITETSUTVECKLARE], [Role.MAS]]
    if avsnitt not in LEDNING_AVSNITT:
        roles = [[Role.MAS], [Role.KVALITETSUTVECKLARE]]
    for wanted in roles:
        holders = holders_over(unit, wanted)
        if holders:
            return holders[0]
    return fallback


def start_berattelse(actor: User, unit: Unit | None, year: int) -> Patientsakerhetsberattelse:
    """The patientsäkerhetsberättelse of `unit` for calendar year `year` (or the existing one),
    with every chapter text ordered as a task from the person responsible."""
    if unit is None:
        raise OperationError("Välj vårdgivare.", field="unit_id")
    if not may_manage_psb(actor, unit):
        raise Forbidden()
    if unit.kind not in (UnitKind.FORVALTNING, UnitKind.NAMND):
        raise OperationError("Välj en förvaltning (vårdgivaren).", field="unit_id")
    if not 2011 <= int(year) <= clock.today().year:
        raise OperationError("Välj ett år som har börjat.", field="year")
    with transaction():
        berattelse = db.session.scalar(
            select(Patientsakerhetsberattelse).where(
                Patientsakerhetsberattelse.unit_id == unit.id,
                Patientsakerhetsberattelse.year == int(year),
            )
        )
        if berattelse is None:
            berattelse = Patientsakerhetsberattelse(
                unit_id=unit.id, unit=unit, year=int(year), created_by_id=actor.id
            )
            db.session.add(berattelse)
            db.session.flush()
            audit.record(
                actor,
                "psb_skapad",
                summary=f"Startade patientsäkerhetsberättelse {year} för {unit.name}",
                target=f"psb:{berattelse.id}",
            )
        existing = texts_of(berattelse)
        due = text_due(int(year))
        created: dict[int, int] = {}
        for avsnitt in PsbAvsnitt:
            if avsnitt in existing:
                continue
            owner = _psb_owner(unit, avsnitt, actor)
            new_item(
                PsbText,
                actor,
                title=f"Patientsäkerhetsberättelse {year}: {avsnitt.label}",
                unit_id=unit.id,
                unit=unit,
                berattelse_id=berattelse.id,
                avsnitt=str(avsnitt),
                owner_id=owner.id,
                due_date=due,
            )
            created[owner.id] = created.get(owner.id, 0) + 1
        for owner_id, count in created.items():
            if owner_id != actor.id:
                notify(
                    [owner_id],
                    f"Du har {count} texter att skriva i patientsäkerhets"
                    f"berättelsen {year}, klart senast {due:%Y-%m-%d}.",
                    url=_psb_url(berattelse),
                    purpose="patientsakerhetsberattelse",
                )
    return berattelse


def _psb_url(berattelse: Patientsakerhetsberattelse) -> str | None:
    try:
        return url_for("psb.draft", psb_id=berattelse.id)
    except RuntimeError:
        return None


def save_psb_text(
    actor: User, block: PsbText, text: str, expected_version: int | None = None
) -> PsbText:
    """Save a chapter text; a first save makes it an utkast."""
    if not can(actor, "view", block):
        raise NotFound()
    if not can(actor, "edit", block):
        raise Forbidden()
    if block.status == TextStatus.KLAR:
        raise OperationError(
            "Texten är markerad som klar. Öppna den för ändring först.", field="text"
        )
    text = clean_text(text, "text", "texten", required=False)
    with transaction():
        check_version(block, expected_version)
        before = {"status": block.status, "text": block.text}
        block.text = text
        if block.status == TextStatus.EJ_PABORJAD:
            block.status = TextStatus.UTKAST
        audit.record(
            actor,
            "edit",
            item=block,
            summary="Skrev text till patientsäkerhetsberättelsen",
            before=before,
            after={"status": block.status, "text": text},
        )
    return block


def freeze_berattelse(
    actor: User, berattelse: Patientsakerhetsberattelse, comment: str = ""
) -> PsbVersion:
    """Compile now and keep the result as an immutable version with who, when and the
    sha256 of its canonical JSON (rapport's canonical/checksum)."""
    if not may_manage_psb(actor, berattelse.unit):
        raise Forbidden()
    comment = clean_text(comment, "comment", "kommentar", required=False, limit=500)
    content = compile_document(berattelse, actor)
    with transaction():
        number = (
            db.session.scalar(
                select(func.max(PsbVersion.number)).where(PsbVersion.berattelse_id == berattelse.id)
            )
            or 0
        ) + 1
        content["version"] = number
        content_json = canonical(content)
        version = PsbVersion(
            berattelse_id=berattelse.id,
            number=number,
            content=content_json,
            sha256=checksum(content_json),
            comment=comment,
            frozen_at=clock.now(),
            frozen_by_id=actor.id,
        )
        db.session.add(version)
        db.session.flush()
        audit.record(
            actor,
            "psb_fryst",
            summary=f"Frös version {number} av patientsäkerhets"
            f"berättelsen {berattelse.year} ({version.sha256[:12]})",
            target=f"psb:{berattelse.id}",
        )
    return version


def psb_versions(berattelse: Patientsakerhetsberattelse) -> list[PsbVersion]:
    return list(
        db.session.scalars(
            select(PsbVersion)
            .where(PsbVersion.berattelse_id == berattelse.id)
            .order_by(PsbVersion.number.desc())
        )
    )


def psb_version_content(version: PsbVersion) -> dict[str, Any]:
    return dict(json.loads(version.content))


def psb_verify(version: PsbVersion) -> bool:
    return checksum(version.content) == version.sha256
