"""Read-side helpers every kind uses: loading with permission check, pagination, inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, request
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select

from kvalitet.core import audit, clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import NotFound
from kvalitet.core.permissions import can, role_paths, units_under, visible_clause
from kvalitet.core.registry import all_kinds, kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Attachment, Comment, Item
from kvalitet.items.operations import linked_items
from kvalitet.org.models import Unit
from kvalitet.search.index import matching_clause

if TYPE_CHECKING:
    from kvalitet.org.models import User

T = TypeVar("T", bound=Item)


def load_item(ref_or_id: str | int, user: User, model: type[T] | None = None) -> T:
    """The item, if it exists and the user may see it; otherwise NotFound (404) either way,
    so a user of another unit learns nothing, not even that the item exists. Opening a kind
    with log_reads writes the read log."""
    query = select(model or Item)
    if isinstance(ref_or_id, int) or str(ref_or_id).isdigit():
        query = query.where(Item.id == int(ref_or_id))
    else:
        query = query.where(Item.ref == str(ref_or_id).upper())
    item = db.session.scalar(query)
    if item is None or not can(user, "view", item):
        raise NotFound()
    return item  # type: ignore[return-value]


def log_read_if_needed(user: User, item: Item) -> None:
    if item.spec.log_reads and current_app.config.get("AUDIT_SENSITIVE_READS", True):
        audit.log_read(user, item)


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


def paginate(query: Select[Any], per_page: int | None = None) -> Any:
    """Flask-SQLAlchemy pagination of a SELECT (LIMIT/OFFSET and COUNT in SQL)."""
    return db.paginate(
        query,
        page=page_number(),
        per_page=per_page or int(current_app.config["PAGE_SIZE"]),
        error_out=False,
        max_per_page=200,
    )


def in_subtree(unit: Unit) -> ColumnElement[bool]:
    """Items placed at `unit` or any unit below it (list filter "Enhet, med underenheter")."""
    return Item.unit_id.in_(units_under([unit.path]))


def text_match(text: str, *extra_columns: Any) -> ColumnElement[bool]:
    """Free-text list search: reference number, title, description and the kind's own text
    columns, case-insensitive, with % and _ in the search taken literally."""
    columns = [Item.ref, Item.title, Item.description, *extra_columns]
    clauses = [cast(c, String).icontains(text, autoescape=True) for c in columns]
    # ... and the full-text index (kvalitet.search.index): whole words and word starts,
    # stemmed on PostgreSQL ("mötet" finds "möte").
    words = matching_clause(text, Item.id)
    return or_(*clauses, *([words] if words is not None else []))


def open_clause() -> ColumnElement[bool]:
    clauses = [
        and_(Item.kind == spec.code, Item.status.in_(spec.workflow.open_states))
        for spec in all_kinds()
    ]
    return and_(or_(*clauses), Item.cancelled_at.is_(None))


def must_act_clause(user: User) -> ColumnElement[bool] | None:
    """Items waiting for someone in a role the user holds over the item's unit."""
    clauses = []
    for spec in all_kinds():
        for state, roles in spec.workflow.action_roles.items():
            paths = role_paths(user, roles)
            if paths:
                clauses.append(
                    and_(
                        Item.kind == spec.code,
                        Item.status == state,
                        Item.unit_id.in_(units_under(paths)),
                    )
                )
    return or_(*clauses) if clauses else None


def inbox_query(user: User, section: str = "alla") -> Select[Any]:
    mine = Item.owner_id == user.id
    act = must_act_clause(user)
    condition = or_(mine, act) if act is not None else mine
    query = select(Item).where(condition, open_clause(), visible_clause(user))
    today = clock.today()
    if section == "forsenade":
        query = query.where(Item.due_date < today)
    elif section == "snart":
        query = query.where(Item.due_date >= today, Item.due_date <= today + timedelta(days=14))
    return query.order_by(Item.due_date.is_(None), Item.due_date, Item.created_at.desc())


def inbox_counts(user: User) -> dict[str, int]:
    base = inbox_query(user).order_by(None).subquery()
    today = clock.today()
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(base.c.due_date < today),
            func.count().filter(
                base.c.due_date >= today, base.c.due_date <= today + timedelta(days=14)
            ),
        ).select_from(base)
    ).one()
    return {"alla": row[0], "forsenade": row[1], "snart": row[2]}


def unit_overview(user: User, root_paths: list[str]) -> list[dict[str, Any]]:
    """Open and overdue items per unit in the user's subtrees (only items they may see)."""
    today = clock.today()
    rows = db.session.execute(
        select(
            Item.unit_id,
            func.count(Item.id),
            func.count(Item.id).filter(Item.due_date < today),
        )
        .where(open_clause(), visible_clause(user), Item.unit_id.in_(units_under(root_paths)))
        .group_by(Item.unit_id)
    ).all()
    counts = {unit_id: (total, overdue) for unit_id, total, overdue in rows}
    units = db.session.scalars(
        select(Unit).where(Unit.id.in_(units_under(root_paths))).order_by(Unit.path)
    )
    return [
        {"unit": u, "open": counts.get(u.id, (0, 0))[0], "overdue": counts.get(u.id, (0, 0))[1]}
        for u in units
    ]


def timeline(item: Item) -> list[dict[str, Any]]:
    """Audit entries (not reads) and comments of an item, oldest first."""
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.item_id == item.id, AuditEntry.action != "read")
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    comments = {
        c.id: c
        for c in db.session.scalars(
            select(Comment).where(Comment.item_id == item.id).order_by(Comment.created_at)
        )
    }
    events: list[dict[str, Any]] = []
    for entry in entries:
        comment_id = (entry.target or "").removeprefix("comment:")
        if entry.action == "comment" and comment_id.isdigit() and int(comment_id) in comments:
            comment = comments[int(comment_id)]
            events.append(
                {"at": comment.created_at, "user": comment.author, "kind": "comment",
                 "summary": "Kommentar", "body": comment.body}
            )  # fmt: skip
            continue
        events.append(
            {"at": entry.at, "user": entry.user, "kind": entry.action, "summary": entry.summary,
             "before": entry.before, "after": entry.after}
        )  # fmt: skip
    return events


def read_log(item: Item) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.item_id == item.id, AuditEntry.action == "read")
            .order_by(AuditEntry.at.desc())
        )
    )


def attachments(item: Item) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.item_id == item.id).order_by(Attachment.created_at)
        )
    )


def visible_links(item: Item, user: User) -> list[dict[str, Any]]:

    result = []
    for link, other, direction in linked_items(item):
        if can(user, "view", other):
            result.append({"link": link, "item": other, "direction": direction})
    return result


def detail_url(item: Item) -> str:
    from flask import url_for

    return url_for(kind_spec(item.kind).endpoint, ref=item.ref)
