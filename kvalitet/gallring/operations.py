"""Gallring (DOMAIN.md §8): what is due under each retention rule, the preview, and the run.

An item is due when its rule is active and it was closed (or cancelled) at least `years` ago,
unless it is already gallrat, under a legal hold, or linked to an item that is still open
(a case that is not finished). Gallring an item removes, in this order: the identity of the
lex Sarah reporter (and any other table listed in IDENTITY_TABLES), the attachments (from
disk too), the comments, and every free text of the item and of the rows that belong to
it, also from the search index.
What is left of the item is a skeleton without contents: kind, unit, dates, status and
classification, on which the statistics of earlier years and the old reports rest, so they
stay unchanged. Frozen report versions are separate stored documents and are not touched.
Each run writes one gallringslogg row per rule (rule, number of items, by whom, when).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Column, Table, and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.orm import aliased

from kvalitet.core import audit, clock
from kvalitet.core.base import FreeText
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.registry import all_kinds
from kvalitet.core.roles import Role
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.gallring.models import GallradItem, GallringLog, GallringRule, LegalHold
from kvalitet.items.models import Attachment, Comment, Item, ItemLink
from kvalitet.items.operations import attachment_path
from kvalitet.org.models import User
from kvalitet.search import index

GALLRAD_TITLE = "(gallrad)"
# Rows that say who someone is: removed first.
IDENTITY_TABLES = ("lexsarah_rapportor",)
# Rows that belong to an item but are kept as they are: the audit trail (append-only), links,
# classification, and gallring's own records.
KEPT_TABLES = ("audit_entry", "item_link", "item_quality_area", "gallrad_item", "gallring_hold")

RULE_ROLES = (Role.KVALITETSUTVECKLARE,)


def may_manage(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(*RULE_ROLES))


def _require(user: User | None) -> None:
    if not may_manage(user):
        raise Forbidden("Bara kvalitetsutvecklare ställer in och kör gallring.")


def rules() -> list[GallringRule]:
    return list(db.session.scalars(select(GallringRule).order_by(GallringRule.kind)))


def kind_labels() -> dict[str, str]:
    return {spec.code: spec.label_plural for spec in all_kinds()}


def set_rule(actor: User, kind: str, years: int, active: bool, basis: str = "") -> GallringRule:
    _require(actor)
    if kind not in kind_labels():
        raise OperationError("Välj en ärendetyp.", field="kind")
    if not isinstance(years, int) or not 1 <= years <= 100:
        raise OperationError("Ange antal år, 1–100.", field="years")
    basis = (basis or "").strip()
    if len(basis) > 200:
        raise OperationError("Högst 200 tecken.", field="basis")
    with transaction():
        rule = db.session.scalar(select(GallringRule).where(GallringRule.kind == kind))
        if rule is None:
            rule = GallringRule(kind=kind, years=years, active=active)
            db.session.add(rule)
        before = {"years": rule.years, "active": rule.active, "basis": rule.basis}
        rule.years, rule.active, rule.basis = years, active, basis
        rule.updated_at, rule.updated_by_id = clock.now(), actor.id
        audit.record(actor, "gallring_rule", target=f"gallring:{kind}",
                     summary=f"Gallringsregel för {kind}: {years} år, "
                             f"{'aktiv' if active else 'inte aktiv'}",
                     before=before, after={"years": years, "active": active,
                                           "basis": basis})  # fmt: skip
    return rule


def _closed_before(rule: GallringRule, now: datetime) -> datetime:
    return now - relativedelta(years=rule.years)


def _open_linked() -> object:
    """SQL: the item is linked (either way) to an item that is neither closed nor cancelled."""
    other = aliased(Item)
    open_other = and_(other.closed_at.is_(None), other.cancelled_at.is_(None))
    return exists().where(
        or_(
            and_(ItemLink.source_id == Item.id, ItemLink.target_id == other.id),
            and_(ItemLink.target_id == Item.id, ItemLink.source_id == other.id),
        ),
        open_other,
    )


def _candidates(rule: GallringRule, now: datetime) -> tuple[list[Item], list[Item]]:
    """(due, skipped): items past the rule's time, split by holds and open linked cases."""
    ended = func.coalesce(Item.closed_at, Item.cancelled_at)
    past = select(Item).where(
        Item.kind == rule.kind,
        ended.is_not(None),
        ended <= _closed_before(rule, now),
        not_(exists().where(GallradItem.item_id == Item.id)),
    )
    held = or_(
        exists().where(LegalHold.item_id == Item.id, LegalHold.lifted_at.is_(None)),
        _open_linked(),  # type: ignore[arg-type]
    )
    due = list(db.session.scalars(past.where(not_(held)).order_by(Item.id)))
    skipped = list(db.session.scalars(past.where(held).order_by(Item.id)))
    return due, skipped


@dataclass
class PreviewRow:
    rule: GallringRule
    items: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)


def preview(now: datetime | None = None) -> list[PreviewRow]:
    """What the next run removes, per active rule (and what it skips, and why: a hold or an
    open case)."""
    now = now or clock.now()
    rows = []
    for rule in rules():
        if rule.active:
            due, skipped = _candidates(rule, now)
            rows.append(PreviewRow(rule, due, skipped))
    return rows


def _item_tables(item: Item) -> set[str]:
    return {t.name for t in item.__mapper__.tables if isinstance(t, Table)}


def _belonging_rows(item: Item) -> list[tuple[Table, Column[Any]]]:
    """(table, fk column) of every table whose rows belong to `item` (a foreign key to the
    item's own tables), the item's own tables included."""
    own = _item_tables(item)
    # Rows of other items (an åtgärd that points at this avvikelse) are not this item's.
    kinds = {t.name for spec in all_kinds() for t in spec.model.__mapper__.tables}
    found: list[tuple[Table, Column[Any]]] = []
    for table in db.metadata.sorted_tables:
        if table.name in KEPT_TABLES or table.name in kinds:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in own and fk.column.name == "id":
                found.append((table, fk.parent))
    for name in own:
        found.append((db.metadata.tables[name], db.metadata.tables[name].c.id))
    return found


def _scrub(item: Item) -> int:
    """Remove the contents of `item`; returns the number of attachments removed."""
    rows = _belonging_rows(item)
    for table, column in rows:  # identity first
        if table.name in IDENTITY_TABLES:
            db.session.execute(delete(table).where(column == item.id))
    attachments = list(db.session.scalars(select(Attachment).where(Attachment.item_id == item.id)))
    for attachment in attachments:
        attachment_path(attachment).unlink(missing_ok=True)
        db.session.delete(attachment)
    db.session.execute(delete(Comment).where(Comment.item_id == item.id))
    db.session.flush()
    for table, column in rows:
        if table.name in IDENTITY_TABLES or table.name in ("attachment", "comment"):
            continue
        texts = {c.name: (None if c.nullable else "") for c in table.columns
                 if isinstance(c.type, FreeText)}  # fmt: skip
        if texts:
            db.session.execute(update(table).where(column == item.id).values(**texts))
    db.session.execute(
        update(Item.__table__)
        .where(Item.__table__.c.id == item.id)
        .values(title=GALLRAD_TITLE, reporter_id=None)
    )
    db.session.expire(item)
    return len(attachments)


def run(actor: User | None, now: datetime | None = None) -> list[GallringLog]:
    """Apply every active rule. `actor` None is the scheduled job; a person must be allowed to
    manage gallring. One gallringslogg row per rule, also when nothing was due."""
    if actor is not None:
        _require(actor)
    now = now or clock.now()
    logs = []
    for row in preview(now):
        with transaction():
            log = GallringLog(run_at=now, actor_id=actor.id if actor else None,
                              rule_id=row.rule.id, kind=row.rule.kind, years=row.rule.years,
                              item_count=len(row.items), skipped_count=len(row.skipped),
                              refs=[i.ref for i in row.items])  # fmt: skip
            db.session.add(log)
            db.session.flush()
            removed = 0
            for item in row.items:
                removed += _scrub(item)
                db.session.add(GallradItem(item_id=item.id, log_id=log.id, gallrad_at=now))
            # The scrub's plain UPDATEs pass the search index's flush hook: write the
            # items' index rows anew, or their old texts would stay searchable.
            index.refresh([item.id for item in row.items])
            log.attachment_count = removed
            audit.record(actor, "gallring", target=f"gallring:{row.rule.kind}",
                         summary=f"Gallring enligt regeln för {row.rule.kind} "
                                 f"({row.rule.years} år): {len(row.items)} ärenden, "
                                 f"{removed} bilagor")  # fmt: skip
        logs.append(log)
    return logs


def logs(limit: int = 100) -> list[GallringLog]:
    return list(
        db.session.scalars(select(GallringLog).order_by(GallringLog.id.desc()).limit(limit))
    )


def is_gallrad(item: Item) -> bool:
    return db.session.get(GallradItem, item.id) is not None


def place_hold(actor: User, ref: str, reason: str) -> LegalHold:
    _require(actor)
    reason = (reason or "").strip()
    if not reason:
        raise OperationError("Ange varför ärendet inte får gallras.", field="reason")
    if len(reason) > 500:
        raise OperationError("Högst 500 tecken.", field="reason")
    item = db.session.scalar(select(Item).where(Item.ref == (ref or "").strip().upper()))
    if item is None:
        raise OperationError("Hittar inget ärende med det numret.", field="ref")
    with transaction():
        hold = LegalHold(item_id=item.id, reason=reason, created_by_id=actor.id,
                         created_at=clock.now())  # fmt: skip
        db.session.add(hold)
        audit.record(actor, "gallring_hold", target=f"gallring:{item.ref}",
                     summary=f"Spärrade {item.ref} från gallring")  # fmt: skip
    return hold


def lift_hold(actor: User, hold_id: int) -> None:
    _require(actor)
    hold = db.session.get(LegalHold, hold_id)
    if hold is None or hold.lifted_at is not None:
        raise NotFound()
    with transaction():
        hold.lifted_at = clock.now()
        audit.record(actor, "gallring_hold_lifted", target=f"gallring:{hold.item_id}",
                     summary="Hävde spärren mot gallring")  # fmt: skip


def holds() -> list[tuple[LegalHold, str]]:
    return [
        (hold, ref)
        for hold, ref in db.session.execute(
            select(LegalHold, Item.ref)
            .join(Item, Item.id == LegalHold.item_id)
            .where(LegalHold.lifted_at.is_(None))
            .order_by(LegalHold.created_at.desc())
        ).all()
    ]
