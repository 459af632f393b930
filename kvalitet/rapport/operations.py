"""Operations of the kvalitetsberättelse: start a report (and order its narrative texts as
tasks), write a text, freeze a version, and the scheduled draft when the quality year ends."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import func, select

from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.periods import Period, current_quality_year, quality_year
from kvalitet.core.permissions import RIGHTS, can, holds_role_over, role_paths
from kvalitet.core.pii import check_text
from kvalitet.core.roles import CHEF_ROLES, Role
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.operations import new_item
from kvalitet.notify.operations import notify
from kvalitet.org.models import Unit, UnitKind, User
from kvalitet.org.operations import chefs_of, holders_over
from kvalitet.rapport import assets, figures
from kvalitet.rapport.document import (
    areas,
    avdelningar_of,
    compile_document,
    default_due,
    texts_of,
)
from kvalitet.rapport.layout import heading_text
from kvalitet.rapport.models import (
    Berattelsetext,
    BlockTyp,
    Kvalitetsberattelse,
    RapportVersion,
    TextStatus,
)

MANAGER_ROLES = RIGHTS["rapport.manage"]

# --- who may do what ------------------------------------------------------------------------


def may_manage(user: User | None, rapport_unit: Unit) -> bool:
    """Start, compile and freeze: kvalitetsutvecklare or förvaltningsledning (avdelningschef
    role) at the report's unit or above. Not administrators as such: the draft carries item
    titles, and admins see no item contents unless they also hold such a role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return holds_role_over(user, MANAGER_ROLES, rapport_unit)


def may_view_draft(user: User | None, rapport: Kvalitetsberattelse) -> bool:
    """The draft (live compilation, every unit's figures and action titles): only those who
    manage the report. A chef writing a text sees their own unit's figures on the text page."""
    return may_manage(user, rapport.unit)


def may_view_frozen(user: User | None, rapport: Kvalitetsberattelse) -> bool:
    """Frozen versions, the document the nämnd receives: managers, chefs inside the
    report's subtree and the read-only nämnd role (läsare) over the unit."""
    if may_view_draft(user, rapport):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if any(p.startswith(rapport.unit.path) for p in role_paths(user, CHEF_ROLES)):
        return True
    return holds_role_over(user, [Role.LASARE], rapport.unit)


def visible_reports(user: User) -> list[Kvalitetsberattelse]:
    reports = db.session.scalars(
        select(Kvalitetsberattelse).order_by(Kvalitetsberattelse.first_year.desc())
    ).all()
    return [r for r in reports if may_view_frozen(user, r)]


def manageable_units(user: User) -> list[Unit]:
    """Förvaltningar the user may start a report for."""
    units = db.session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.FORVALTNING, Unit.active.is_(True))
        .order_by(Unit.name)
    ).all()
    return [u for u in units if may_manage(user, u)]


# --- starting a report --------------------------------------------------------------------


def _owner_for(unit: Unit, fallback: User | None) -> User | None:
    """Who writes a unit's texts: its avdelningschef (förvaltningsledning for the
    förvaltning), else its chef, else a kvalitetsutvecklare, else the one who started it."""
    for candidates in (
        holders_over(unit, [Role.AVDELNINGSCHEF]),
        chefs_of(unit),
        holders_over(unit, [Role.KVALITETSUTVECKLARE]),
    ):
        if candidates:
            return candidates[0]
    return fallback


def ensure_texts(rapport: Kvalitetsberattelse, actor: User | None) -> list[Berattelsetext]:
    """Order every narrative block the report needs that is not ordered yet: per quality
    area, and "identifierade förbättringsområden" for the förvaltning and under each quality
    area of each avdelning. Returns the new tasks (added to the session; the caller commits)."""
    existing = texts_of(rapport)
    period = quality_year(rapport.first_year)
    due = default_due(period)
    created = []
    area_list = areas()
    for unit in [rapport.unit, *avdelningar_of(rapport.unit)]:
        owner = _owner_for(unit, actor)
        wanted: list[tuple[str, int | None, str]] = [
            (BlockTyp.OMRADE, a.id, a.name) for a in area_list
        ]
        if unit.id == rapport.unit_id or (unit.id, BlockTyp.FORBATTRINGSOMRADEN, None) in existing:
            # The förvaltning's own, once (and an avdelning's of a report started before
            # the areas had their own).
            wanted.append((BlockTyp.FORBATTRINGSOMRADEN, None, "Identifierade förbättringsområden"))
        else:
            # An avdelning's förbättringsområden under each quality area.
            wanted += [
                (BlockTyp.FORBATTRINGSOMRADEN, a.id, f"Identifierade förbättringsområden, {a.name}")
                for a in area_list
            ]
        for typ, area_id, heading in wanted:
            if (unit.id, typ, area_id) in existing:
                continue
            text = new_item(
                Berattelsetext,
                actor,
                title=f"Kvalitetsberättelse {period.label}: {heading}, {unit.name}",
                unit_id=unit.id,
                unit=unit,
                block_unit_id=unit.id,
                block_typ=str(typ),
                area_id=area_id,
                rapport_id=rapport.id,
                owner_id=owner.id if owner else None,
                due_date=due,
            )
            created.append(text)
    return created


def _notify_writers(texts: list[Berattelsetext], period_label: str) -> None:
    by_owner: dict[int, list[Berattelsetext]] = {}
    for text in texts:
        if text.owner_id:
            by_owner.setdefault(text.owner_id, []).append(text)
    for owner_id, owned in by_owner.items():
        due = min((t.due_date for t in owned if t.due_date), default=None)
        notify(
            [owner_id],
            f"Du har {len(owned)} texter att skriva i kvalitetsberättelsen {period_label}"
            + (f", klart senast {due:%Y-%m-%d}." if due else "."),
            url="/",
            purpose="kvalitetsberattelse",
        )


def start_report(
    actor: User | None, unit: Unit, first_year: int, *, check: bool = True
) -> Kvalitetsberattelse:
    """Create the report for `unit` and the quality year starting in `first_year` (or return
    the existing one), order the narrative texts and notify the writers."""
    if unit is None:
        raise OperationError("Välj förvaltning.", field="unit")
    if check and not may_manage(actor, unit):
        raise Forbidden()
    if not 1990 <= int(first_year) <= 2100:
        raise OperationError("Ange ett giltigt kvalitetsår.", field="year")
    if unit.kind not in (UnitKind.FORVALTNING, UnitKind.NAMND, UnitKind.AVDELNING):
        raise OperationError(
            "En kvalitetsberättelse görs för en förvaltning (eller nämnd/avdelning).",
            field="unit",
        )
    with transaction():
        rapport = db.session.scalar(
            select(Kvalitetsberattelse).where(
                Kvalitetsberattelse.unit_id == unit.id,
                Kvalitetsberattelse.first_year == int(first_year),
            )
        )
        if rapport is None:
            rapport = Kvalitetsberattelse(
                unit_id=unit.id,
                unit=unit,
                first_year=int(first_year),
                created_by_id=actor.id if actor else None,
            )
            db.session.add(rapport)
            db.session.flush()
            audit.record(
                actor,
                "rapport_skapad",
                summary=f"Startade kvalitetsberättelse {quality_year(first_year).label} "
                f"för {unit.name}",
                target=f"kvalitetsberattelse:{rapport.id}",
            )
        created = ensure_texts(rapport, actor)
        _notify_writers(created, quality_year(rapport.first_year).label)
    return rapport


def save_inledning(actor: User, rapport: Kvalitetsberattelse, text: str) -> None:
    if not may_manage(actor, rapport.unit):
        raise Forbidden()
    text = (text or "").strip()
    if len(text) > 20000:
        raise OperationError("Texten är för lång (högst 20 000 tecken).", field="inledning")
    with transaction():
        check_text(text, "inledning")
        rapport.inledning = text
        audit.record(
            actor,
            "rapport_inledning",
            summary="Ändrade inledningen",
            target=f"kvalitetsberattelse:{rapport.id}",
        )


# --- writing a text -----------------------------------------------------------------------


def save_text(
    actor: User, block: Berattelsetext, text: str, expected_version: int | None = None
) -> Berattelsetext:
    """Save a narrative. A first save turns "ej påbörjad" into "utkast"."""
    if not can(actor, "view", block):
        raise NotFound()
    if not can(actor, "edit", block):
        raise Forbidden()
    if block.status == TextStatus.KLAR:
        raise OperationError(
            "Texten är markerad som klar. Öppna den för ändring först.", field="text"
        )
    text = (text or "").strip()
    if len(text) > 20000:
        raise OperationError("Texten är för lång (högst 20 000 tecken).", field="text")
    with transaction():
        check_version(block, expected_version)
        check_text(text, "text")
        before = {"status": block.status, "text": block.text}
        block.text = text
        figures.remember(block)
        if block.status == TextStatus.EJ_PABORJAD:
            block.status = TextStatus.UTKAST
        audit.record(
            actor,
            "edit",
            item=block,
            summary="Skrev text till kvalitetsberättelsen",
            before=before,
            after={"status": block.status, "text": text},
        )
    return block


# --- freezing -----------------------------------------------------------------------------


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def checksum(content_json: str) -> str:
    return hashlib.sha256(content_json.encode("utf-8")).hexdigest()


class FreezeNeedsConfirmation(OperationError):
    """Something is missing: freezing needs a confirmation and a reason. `check` says what."""

    def __init__(self, message: str, check: dict[str, Any], field: str = "reason") -> None:
        super().__init__(message, field=field)
        self.check = check


def _sections(blocks: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    out: list[tuple[str, list[dict[str, Any]]]] = []
    chapter = ""
    for block in blocks:
        if block["t"] == "h":
            if block["level"] == 1:
                chapter = block["text"]
            name = heading_text(block) + (f" ({chapter})" if block["level"] > 1 else "")
            out.append((name, []))
        elif out:
            out[-1][1].append(block)
    return out


def freeze_check(rapport: Kvalitetsberattelse, content: dict[str, Any]) -> dict[str, Any]:
    """What a frozen version would lack: texts not written or not klar, sections that are
    empty (tables without a row), and avdelningar whose figures changed after their texts
    were last saved."""
    missing = [
        {"unit": m["unit"], "heading": m["heading"], "owner": m["owner"], "status": m["status"]}
        for m in content.get("missing", [])
    ]
    empty = [
        name
        for name, blocks in _sections(content["blocks"])
        if blocks and all(b["t"] == "table" and not b.get("rows") for b in blocks)
    ]
    changed = []
    written: dict[int, Any] = {}
    seen: dict[int, Berattelsetext] = {}
    for text in texts_of(rapport).values():
        if text.text.strip():
            when = text.updated_at
            if text.block_unit_id not in written or when > written[text.block_unit_id]:
                written[text.block_unit_id] = when
                seen[text.block_unit_id] = text
    for unit_id, when in written.items():
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            continue
        # The figures the writer saw against the figures the report prints now.
        now = figures.in_document(content, unit_id, rapport.unit_id)
        if seen[unit_id].figures_seen is not None and now is not None:
            diff = figures.differences(seen[unit_id].figures_seen or {}, now)
            if diff:
                changed.append(
                    f"{unit.name}: siffror har ändrats efter att texterna senast sparades: "
                    + "; ".join(diff)
                )
            continue
        # A text saved before the figures were kept: the cases changed since.
        count = db.session.scalar(
            select(func.count(Item.id))
            .join(Unit, Unit.id == Item.unit_id)
            .where(
                Unit.path.startswith(unit.path, autoescape=True),
                Item.kind != "KBN",
                Item.updated_at > when,
            )
        )
        if count:
            changed.append(
                f"{unit.name}: {count} ärenden har ändrats efter att texterna senast sparades"
            )
    return {"missing_texts": missing, "empty_sections": empty, "changed_figures": changed}


def check_problems(check: dict[str, Any]) -> int:
    return sum(len(check.get(k, [])) for k in ("missing_texts", "empty_sections",
                                                 "changed_figures"))  # fmt: skip


def freeze(
    actor: User,
    rapport: Kvalitetsberattelse,
    comment: str = "",
    *,
    confirm: bool = False,
    reason: str = "",
) -> RapportVersion:
    """Compile now and store the result as an immutable version with who, when and the
    sha256 checksum of the stored content. When texts are missing, sections are empty or
    figures changed after the texts were written, freezing needs `confirm` and a `reason`
    (FreezeNeedsConfirmation says what is missing); the check and the reason are stored in
    the version."""
    if not may_manage(actor, rapport.unit):
        raise Forbidden()
    comment = (comment or "").strip()
    reason = (reason or "").strip()
    if len(comment) > 500:
        raise OperationError("Kommentaren är för lång (högst 500 tecken).", field="comment")
    if len(reason) > 1000:
        raise OperationError("Skälet är för långt (högst 1 000 tecken).", field="reason")
    check_text(comment, "comment")
    check_text(reason, "reason")
    content = compile_document(rapport, actor)
    check = freeze_check(rapport, content)
    problems = check_problems(check)
    if problems and not confirm:
        raise FreezeNeedsConfirmation(
            "Något saknas i kvalitetsberättelsen. Bekräfta att du vill frysa ändå och ange skälet.",
            check,
            field="confirm",
        )
    if problems and not reason:
        raise FreezeNeedsConfirmation("Ange skälet till att frysa trots det som saknas.", check)
    content["freeze_check"] = {**check, "confirmed": bool(problems), "reason": reason}
    with transaction():
        number = (
            db.session.scalar(
                select(func.max(RapportVersion.number)).where(
                    RapportVersion.rapport_id == rapport.id
                )
            )
            or 0
        ) + 1
        content["version"] = number
        content_json = canonical(content)
        version = RapportVersion(
            rapport_id=rapport.id,
            number=number,
            content=content_json,
            sha256=checksum(content_json),
            comment=comment,
            frozen_at=clock.now(),
            frozen_by_id=actor.id,
        )
        db.session.add(version)
        db.session.flush()
        summary = (
            f"Frös version {number} av kvalitetsberättelsen "
            f"{quality_year(rapport.first_year).label} ({version.sha256[:12]})"
        )
        if problems:
            summary += f" trots {problems} brister: {reason}"
        audit.record(
            actor,
            "rapport_fryst",
            summary=summary[:500],
            target=f"kvalitetsberattelse:{rapport.id}",
        )
    return version


def save_details(
    actor: User,
    rapport: Kvalitetsberattelse,
    *,
    diarienummer: str,
    beslutsdatum: Any,
    numrerade_rubriker: bool,
    bilaga_statistik: bool,
) -> None:
    """The title page's diarienummer and decision date, and how the document is set."""
    if not may_manage(actor, rapport.unit):
        raise Forbidden()
    diarienummer = (diarienummer or "").strip()
    if len(diarienummer) > 60:
        raise OperationError("Diarienumret är för långt (högst 60 tecken).", field="diarienummer")
    with transaction():
        check_text(diarienummer, "diarienummer")
        before = {"diarienummer": rapport.diarienummer,
                  "beslutsdatum": str(rapport.beslutsdatum or ""),
                  "numrerade_rubriker": rapport.numrerade_rubriker,
                  "bilaga_statistik": rapport.bilaga_statistik}  # fmt: skip
        rapport.diarienummer = diarienummer
        rapport.beslutsdatum = beslutsdatum
        rapport.numrerade_rubriker = bool(numrerade_rubriker)
        rapport.bilaga_statistik = bool(bilaga_statistik)
        audit.record(
            actor,
            "rapport_uppgifter",
            summary="Ändrade kvalitetsberättelsens dokumentuppgifter",
            target=f"kvalitetsberattelse:{rapport.id}",
            before=before,
            after={
                "diarienummer": diarienummer,
                "beslutsdatum": str(beslutsdatum or ""),
                "numrerade_rubriker": bool(numrerade_rubriker),
                "bilaga_statistik": bool(bilaga_statistik),
            },
        )


def save_template(
    actor: User, unit: Unit, template: bytes | None, logo: bytes | None, remove: bool = False
) -> None:
    """The förvaltning's own Word template and logo for its documents (files in the
    instance folder), checked before they are kept."""
    if not may_manage(actor, unit):
        raise Forbidden()
    with transaction():
        if remove:
            assets.remove(unit.id)
            what = "Tog bort förvaltningens dokumentmall"
        else:
            if template:
                assets.save_template(unit.id, template)
            if logo:
                assets.save_logo(unit.id, logo)
            if not template and not logo:
                raise OperationError("Välj en Word-mall eller en logotyp.", field="mall")
            what = "Laddade upp " + " och ".join(
                n for n, d in (("dokumentmall", template), ("logotyp", logo)) if d
            )
        audit.record(actor, "rapport_mall", summary=what, target=f"unit:{unit.id}")


def versions(rapport: Kvalitetsberattelse) -> list[RapportVersion]:
    return list(
        db.session.scalars(
            select(RapportVersion)
            .where(RapportVersion.rapport_id == rapport.id)
            .order_by(RapportVersion.number.desc())
        )
    )


def version_content(version: RapportVersion) -> dict[str, Any]:
    return dict(json.loads(version.content))


def verify(version: RapportVersion) -> bool:
    return checksum(version.content) == version.sha256


# --- scheduled draft ----------------------------------------------------------------------


def is_frozen(rapport: Kvalitetsberattelse) -> bool:
    """Whether a version of the report has been frozen (its texts are then done with)."""
    return bool(
        db.session.scalar(
            select(func.count(RapportVersion.id)).where(RapportVersion.rapport_id == rapport.id)
        )
    )


def compile_scheduled_draft(period: Period | None = None) -> list[Kvalitetsberattelse]:
    """Called by the scheduler when a quality year has closed (inside an app context): for
    each active förvaltning, start the report of the year that just ended (ordering its texts
    as tasks and notifying the writers) and tell the kvalitetsutvecklare that the draft is
    compiled. Running it again changes nothing.

    The scheduler never asks for work in a past or frozen report: a year before the one that
    just ended (the report that is being written now) is left alone, and so is a report that
    already has a frozen version (its texts are not ordered again, nobody is notified)."""
    writing = current_quality_year().previous_year()
    year = period or writing
    if year.start < writing.start:
        return []
    reports = []
    forvaltningar = db.session.scalars(
        select(Unit).where(Unit.kind == UnitKind.FORVALTNING, Unit.active.is_(True))
    ).all()
    for unit in forvaltningar:
        existing = db.session.scalar(
            select(Kvalitetsberattelse).where(
                Kvalitetsberattelse.unit_id == unit.id,
                Kvalitetsberattelse.first_year == year.start.year,
            )
        )
        if existing is not None and is_frozen(existing):
            continue
        rapport = start_report(None, unit, year.start.year, check=False)
        reports.append(rapport)
        if existing is None:
            with transaction():
                notify(
                    holders_over(unit, [Role.KVALITETSUTVECKLARE]),
                    f"Ett utkast till kvalitetsberättelsen {year.label} för {unit.name} är "
                    "sammanställt.",
                    url=f"/kvalitetsberattelse/{rapport.id}",
                    purpose="kvalitetsberattelse",
                )
    return reports


def open_texts_of(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(Item.id)).where(
                Item.kind == "KBN",
                Item.owner_id == user.id,
                Item.status != TextStatus.KLAR,
                Item.cancelled_at.is_(None),
            )
        )
        or 0
    )
