"""Read-side helpers every kind uses: loading with permission check, pagination, inbox."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app, request
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, inspect, or_, select
from sqlalchemy.orm import selectinload

from kvalitet.core import audit, clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.db_setup import contains_folded
from kvalitet.core.errors import NotFound
from kvalitet.core.permissions import (
    can,
    request_cache,
    role_paths,
    unit_ids_under,
    units_under,
    visible_clause,
    visible_ids,
)
from kvalitet.core.registry import all_kinds, kind_spec
from kvalitet.extensions import db
from kvalitet.items.models import Attachment, Comment, Item
from kvalitet.items.operations import linked_items
from kvalitet.org.models import Unit, User
from kvalitet.search.index import matching_clause

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


def logs_reads(item: Item) -> bool:
    """Whether opening `item` is written to the read log: the kind's `log_reads`, a flag or a
    rule of the item (a health-care avvikelse)."""
    rule = item.spec.log_reads
    return bool(rule(item) if callable(rule) else rule)


def log_read_if_needed(user: User, item: Item) -> None:
    if logs_reads(item) and current_app.config.get("AUDIT_SENSITIVE_READS", True):
        audit.log_read(user, item)


def page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100000 else 1


# Lists count their hits up to this many; beyond it the page says "fler än 10 000".
COUNT_CAP = 10_000


class Page:
    """One page of a list: the rows, and enough of a count to draw the pager. The count
    stops at COUNT_CAP (counting a whole table on every page is what made lists slow), and
    is not asked at all when the page itself shows where the list ends."""

    def __init__(self, items: list[Any], page: int, per_page: int, total: int, capped: bool):
        self.items = items
        self.page = page
        self.per_page = per_page
        self.total = total
        self.capped = capped

    @property
    def total_label(self) -> str:
        if self.capped:
            return f"fler än {COUNT_CAP:,}".replace(",", "\u00a0")
        return str(self.total)

    @property
    def pages(self) -> int:
        counted = math.ceil(self.total / self.per_page) if self.total else 0
        return max(counted, self.page + 1 if self.capped and self.has_next else self.page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total or (
            self.capped and len(self.items) == self.per_page
        )

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def iter_pages(
        self, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Page numbers to link, None for a gap (as Flask-SQLAlchemy's); past the cap the
        last page is not known, so the pager ends at the next page."""
        last = self.pages
        shown = [
            p
            for p in range(1, last + 1)
            if p <= left_edge
            or self.page - left_current <= p <= self.page + right_current
            or (not self.capped and p > last - right_edge)
        ]
        previous = 0
        for p in shown:
            if p != previous + 1:
                yield None
            yield p
            previous = p


def _stable(query: Select[Any]) -> Select[Any]:
    """The query with its primary key appended to the sort, so that rows with equal sort
    keys never move between pages."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    if entity is None:
        return query
    keys = inspect(entity).primary_key
    return query.order_by(*keys) if len(keys) == 1 else query


def _eager(query: Select[Any]) -> Select[Any]:
    """Item lists show each row's owner: load the owners in one query for the page instead
    of one per row (their roles, which a list does not show, are not loaded)."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    if isinstance(entity, type) and issubclass(entity, Item):
        return query.options(selectinload(Item.owner).lazyload(User.roles))
    return query


def _keys_only(query: Select[Any]) -> Select[Any]:
    """The query's rows as their primary keys only (same FROM and WHERE, no sort): what a
    count needs, without reading every column of up to COUNT_CAP rows."""
    entity = query.column_descriptions[0].get("entity") if query.column_descriptions else None
    query = query.order_by(None)
    if entity is None:
        return query
    keys = inspect(entity).primary_key
    return query.with_only_columns(*keys, maintain_column_froms=True)


def paginate(query: Select[Any], per_page: int | None = None) -> Page:
    """A page of a SELECT: LIMIT/OFFSET with a stable sort (the primary key breaks ties),
    and a count capped at COUNT_CAP, asked only when the page does not end the list."""
    size = min(per_page or int(current_app.config["PAGE_SIZE"]), 200)
    page = page_number()
    offset = (page - 1) * size
    rows = list(db.session.scalars(_eager(_stable(query)).limit(size + 1).offset(offset)).unique())
    has_more = len(rows) > size
    rows = rows[:size]
    if not has_more and (rows or page == 1):
        return Page(rows, page, size, offset + len(rows), capped=False)
    counted = db.session.scalar(
        select(func.count()).select_from(_keys_only(query).limit(COUNT_CAP + 1).subquery())
    )
    total = int(counted or 0)
    return Page(rows, page, size, min(total, COUNT_CAP), capped=total > COUNT_CAP)


def in_subtree(unit: Unit) -> ColumnElement[bool]:
    """Items placed at `unit` or any unit below it (list filter "Enhet, med underenheter")."""
    return Item.unit_id.in_(unit_ids_under([unit.path]))


def text_match(text: str, *extra_columns: Any) -> ColumnElement[bool]:
    """Free-text list search: reference number, title, description and the kind's own text
    columns, case-insensitive, with % and _ in the search taken literally."""
    columns = [Item.ref, Item.title, Item.description, *extra_columns]
    clauses = [contains_folded(cast(c, String), text) for c in columns]
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
                        Item.unit_id.in_(unit_ids_under(paths)),
                    )
                )
    return or_(*clauses) if clauses else None


def inbox_query(user: User, section: str = "alla") -> Select[Any]:
    # Each branch carries its own kind and status, so that the planner can answer each from
    # an index (owner, kind, status; kind, status) and combine them, rather than read every
    # item the user ever owned and drop the closed ones.
    open_ = open_clause()
    mine = and_(Item.owner_id == user.id, open_)
    act = must_act_clause(user)
    condition = or_(mine, act) if act is not None else mine
    query = select(Item).where(condition, open_, visible_clause(user))
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
    # Who did each step: the users in one query, without their roles (not shown here).
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.item_id == item.id, AuditEntry.action != "read")
        .options(selectinload(AuditEntry.user).lazyload(User.roles))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    comments = {
        c.id: c
        for c in db.session.scalars(
            select(Comment)
            .where(Comment.item_id == item.id)
            .options(selectinload(Comment.author).lazyload(User.roles))
            .order_by(Comment.created_at)
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
    """The item's links whose other end the user may see; asked once per request (the panel
    and the page may both show them), forgotten with the policy's answers on a change."""
    key = ("links", item.id, getattr(user, "id", None))
    cache = request_cache()
    if key not in cache:
        links = linked_items(item)
        seen = visible_ids(user, [other for _, other, _ in links])
        cache[key] = [
            {"link": link, "item": other, "direction": direction}
            for link, other, direction in links
            if other.id in seen
        ]
    return list(cache[key])


def detail_url(item: Item) -> str:
    from flask import url_for

    return url_for(kind_spec(item.kind).endpoint, ref=item.ref)
