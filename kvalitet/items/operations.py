"""Operations every kind shares. The only code (with the kinds' own operations) that changes
items: validate, change rows, audit, queue notifications, commit, in one transaction.
On any OperationError the session is rolled back, so nothing is half-saved."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from flask import current_app
from sqlalchemy import Select, case, select

from kvalitet.core import audit, clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import can, require
from kvalitet.core.pii import check_text
from kvalitet.core.uow import check_version, transaction
from kvalitet.extensions import db
from kvalitet.items import history
from kvalitet.items.models import (
    LINK_LABELS,
    Attachment,
    Comment,
    Item,
    ItemLink,
    LinkType,
    QualityArea,
    RefCounter,
)

if TYPE_CHECKING:
    from kvalitet.org.models import User

T = TypeVar("T")


def next_ref(kind: str, year: int) -> tuple[str, int]:
    """Next reference number for `kind` in `year`, e.g. ("AVV-2026-0042", 42).

    The counter row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers),
    so two people reporting at once never get the same number.
    """
    counter = RefCounter.locked(kind, year)
    counter.last += 1
    seq = counter.last
    return f"{kind}-{year}-{seq:04d}", seq


def assign_ref(item: Item, year: int | None = None) -> None:
    if history.source_number(item):  # history that keeps its source's number
        return
    year = year or clock.today().year
    item.ref, item.ref_seq = next_ref(item.kind, year)
    item.ref_year = year


def new_item(model: type[T], actor: User | None, **fields: Any) -> T:
    """Build a new item of `model` with a reference number, initial status and an audit
    'created' entry (added to the session, not committed)."""
    item = model(**fields)
    assert isinstance(item, Item)
    spec = item.spec
    if not item.status:
        item.status = spec.workflow.initial
    assign_ref(item, fields.get("ref_year"))
    db.session.add(item)
    audit.record(
        actor,
        "created",
        item=item,
        summary=f"{spec.label} {item.ref} skapades",
        after={"status": item.status, "unit": item.unit_id},
    )
    return item


def update_item(
    item: Item,
    actor: User,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    action: str = "edit",
    summary: str | None = None,
    permission: str = "edit",
) -> Item:
    """Set fields on an item with a permission check, version check, audit and commit."""
    require(actor, permission, item)
    with transaction():
        check_version(item, expected_version)
        fields = list(changes)
        before = audit.snapshot(item, fields)
        for name, value in changes.items():
            if isinstance(value, str):
                check_text(value, name)
            setattr(item, name, value)
        after = audit.snapshot(item, fields)
        old, new = audit.changed(before, after)
        if new:
            audit.record(
                actor,
                action,
                item=item,
                summary=summary or "Ändrade uppgifter",
                before=old,
                after=new,
            )
    return item


def set_quality_areas(item: Item, area_ids: list[int]) -> None:
    with db.session.no_autoflush:  # areas and the item's own: nothing pending changes them
        areas = list(db.session.scalars(select(QualityArea).where(QualityArea.id.in_(area_ids))))
        # A deactivated area stays on the items that have it, but is not chosen anew.
        have = {q.id for q in item.quality_areas}
    if len(areas) != len(set(area_ids)):
        raise OperationError("Okänt kvalitetsområde.", field="quality_areas")
    if any(not q.active and q.id not in have for q in areas):
        raise OperationError("Kvalitetsområdet används inte längre.", field="quality_areas")
    item.quality_areas = areas


def parse_area_ids(values: Any) -> list[int]:
    """Quality area ids from a form or JSON list; anything else is refused at the field."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise OperationError("Ange kvalitetsområden som en lista.", field="quality_areas")
    try:
        return sorted({int(v) for v in values if not isinstance(v, bool)})
    except (TypeError, ValueError):
        raise OperationError("Okänt kvalitetsområde.", field="quality_areas") from None


def change_quality_areas(
    item: Item, actor: User, area_ids: list[int], *, expected_version: int | None = None
) -> Item:
    """Set the item's kvalitetsområden (DOMAIN.md §4) where it is handled: whoever may edit
    the item (`can(actor, "edit", item)`, which asks the kind's own edit right)."""
    require(actor, "edit", item)
    with transaction():
        check_version(item, expected_version)
        before = [q.name for q in item.quality_areas]
        set_quality_areas(item, area_ids)
        after = [q.name for q in item.quality_areas]
        if before != after:
            item.updated_at = clock.now()  # the row changes, so its version moves on
            audit.record(
                actor,
                "edit",
                item=item,
                summary="Ändrade kvalitetsområden",
                before={"kvalitetsområden": ", ".join(before) or "–"},
                after={"kvalitetsområden": ", ".join(after) or "–"},
            )
        db.session.flush()
    return item


def add_comment(item: Item, actor: User, body: str) -> Comment:
    require(actor, "comment", item)
    body = (body or "").strip()
    if not body:
        raise OperationError("Skriv en kommentar.", field="body")
    if len(body) > 10000:
        raise OperationError("Kommentaren är för lång (högst 10 000 tecken).", field="body")
    with transaction():
        check_text(body, "body")
        comment = Comment(item_id=item.id, author_id=actor.id, body=body)
        db.session.add(comment)
        db.session.flush()
        audit.record(
            actor, "comment", item=item, summary="Kommenterade", target=f"comment:{comment.id}"
        )
    return comment


def link_items(
    source: Item,
    target: Item,
    actor: User,
    link_type: str = LinkType.RELATERAD,
) -> ItemLink:
    """Link two items (both must be visible to the actor, and the source editable)."""
    if link_type not in set(LinkType):
        raise OperationError("Okänd typ av koppling.", field="link_type")
    require(actor, "view", target)
    if not can(actor, "link", source):
        raise Forbidden()
    if source.id == target.id:
        raise OperationError("Ett ärende kan inte kopplas till sig självt.", field="target")
    existing = db.session.scalar(
        select(ItemLink).where(
            ItemLink.source_id == source.id,
            ItemLink.target_id == target.id,
            ItemLink.link_type == str(link_type),
        )
    )
    if existing is not None:
        raise OperationError("Ärendena är redan kopplade.", field="target")
    link = ItemLink(
        source_id=source.id, target_id=target.id, link_type=str(link_type), created_by_id=actor.id
    )
    db.session.add(link)
    audit.record(
        actor,
        "link",
        item=source,
        summary=f"Kopplade {target.ref} ({LINK_LABELS[LinkType(link_type)]})",
    )
    db.session.flush()
    return link


def links_query(item: Item, link_type: str | None = None) -> Select[Any]:
    """Links of `item` in both directions, each with its other end (and that end's unit) in
    one statement; the item itself is not loaded again."""
    other_id = case((ItemLink.source_id == item.id, ItemLink.target_id), else_=ItemLink.source_id)
    query = (
        select(ItemLink, Item)
        .join(Item, Item.id == other_id)
        .where((ItemLink.source_id == item.id) | (ItemLink.target_id == item.id))
    )
    if link_type:
        query = query.where(ItemLink.link_type == link_type)
    return query.order_by(ItemLink.created_at, ItemLink.id)


def linked_items(item: Item, link_type: str | None = None) -> list[tuple[ItemLink, Item, str]]:
    """Links in both directions as (link, other item, direction 'ut'/'in')."""
    return [
        (link, other, "ut" if link.source_id == item.id else "in")
        for link, other in db.session.execute(links_query(item, link_type)).tuples()
    ]


def cancel_item(item: Item, actor: User, reason: str, expected_version: int | None = None) -> Item:
    """Makulera: items are never deleted; they are cancelled with a reason."""
    require(actor, "cancel", item)
    reason = (reason or "").strip()
    if not reason:
        raise OperationError("Ange varför ärendet makuleras.", field="reason")
    with transaction():
        check_version(item, expected_version)
        check_text(reason, "reason")
        item.status_before_cancel = item.status
        item.cancelled_at = clock.now()
        item.cancelled_by_id = actor.id
        item.cancel_reason = reason
        audit.record(
            actor, "cancel", item=item, summary="Makulerade ärendet", after={"skäl": reason}
        )
    return item


# --- attachments ------------------------------------------------------------------------


def attachment_dir() -> Path:
    configured = current_app.config.get("ATTACHMENT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def add_attachment(item: Item, actor: User, filename: str, stream: IO[bytes]) -> Attachment:
    require(actor, "attach", item)
    from werkzeug.utils import secure_filename

    original = (filename or "").strip()
    safe = secure_filename(original) or "bilaga"
    extension = safe.rsplit(".", 1)[-1].lower() if "." in safe else ""
    allowed = [e.lower() for e in current_app.config["ATTACHMENT_EXTENSIONS"]]
    if extension not in allowed:
        raise OperationError(
            "Filtypen är inte tillåten. Tillåtna typer: " + ", ".join(allowed) + ".", field="file"
        )
    limit = int(current_app.config["ATTACHMENT_MAX_BYTES"])
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise OperationError(
            f"Filen är för stor. Största tillåtna storlek är {limit // (1024 * 1024)} MB.",
            field="file",
        )
    if not data:
        raise OperationError("Filen är tom.", field="file")
    stored = secrets.token_hex(16)
    target = _write_attachment(stored, data)
    try:
        with transaction():
            attachment = Attachment(
                item_id=item.id,
                filename=original[:255] or safe,
                stored_name=stored,
                content_type=mimetypes.guess_type(safe)[0] or "application/octet-stream",
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by_id=actor.id,
            )
            db.session.add(attachment)
            audit.record(actor, "attach", item=item, summary=f"Bifogade {attachment.filename}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return attachment


def _write_attachment(stored: str, data: bytes) -> Path:
    """Write the file completely and durably, or leave nothing behind and raise an
    OperationError with a Swedish message (full disk, read-only or missing folder …)."""
    try:
        target = attachment_dir() / stored
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        current_app.logger.error("attachment %s could not be created: %s", stored, error)
        raise OperationError(ATTACHMENT_WRITE_FAILED, field="file")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as error:
        current_app.logger.error("attachment %s could not be written: %s", target, error)
        os.close(fd)
        target.unlink(missing_ok=True)
        raise OperationError(ATTACHMENT_WRITE_FAILED, field="file")
    os.close(fd)
    return target


ATTACHMENT_WRITE_FAILED = (
    "Det gick inte att spara bilagan (lagringsutrymmet är fullt eller inte skrivbart). "
    "Inget sparades. Försök igen senare eller kontakta en administratör."
)


def attachment_path(attachment: Attachment) -> Path:
    return attachment_dir() / os.path.basename(attachment.stored_name)
