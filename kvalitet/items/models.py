"""The Item base table (joined-table inheritance) and what hangs off every item."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    event,
    false,
    select,
    text,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from kvalitet.core import uow
from kvalitet.core.base import FreeText, TimestampMixin, UTCDateTime
from kvalitet.core.clock import now, today
from kvalitet.core.registry import kind_spec
from kvalitet.extensions import db
from kvalitet.org.models import Unit, User


class QualityArea(db.Model):  # type: ignore[name-defined,misc]
    """A kvalitetsområde. Data, not code: seeded with Socialstyrelsen's seven."""

    __tablename__ = "quality_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


item_quality_area = Table(
    "item_quality_area",
    db.metadata,
    Column("item_id", ForeignKey("item.id"), primary_key=True),
    Column("quality_area_id", ForeignKey("quality_area.id"), primary_key=True, index=True),
)


class ListEntry(db.Model):  # type: ignore[name-defined,misc]
    """An entry of a configurable list (avvikelse categories, synpunkt themes, ...).

    `list_key` names the list; entries are deactivated, never deleted, so old items keep
    their value.
    """

    __tablename__ = "list_entry"
    __table_args__ = (UniqueConstraint("list_key", "label", name="list_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_key: Mapped[str] = mapped_column(String(60), index=True)
    label: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# A title is the short text lists show; real förbättringsåtgärder run to 500 characters
# and more, so the limit is generous. The full text is the description.
TITLE_MAX = 1000


# The covering index of a kind's counts (ix_item_kind_status_visible), in its order.
VISIBLE_COLUMNS = (
    "kind", "status", "unit_id", "owner_id", "reporter_id", "due_date", "cancelled_at", "id",
)  # fmt: skip


# The owner's items of a kind (ix_item_owner_kind_visible), in its order.
OWNER_VISIBLE_COLUMNS = ("owner_id", "kind", "status", "unit_id", "cancelled_at", "due_date")


# The columns after (kind, sort key) of the lists' covering indexes, in their order.
SORTED_VISIBLE_COLUMNS = ("id", "unit_id", "owner_id", "reporter_id", "status", "cancelled_at")


# The partial indexes of the health-care items (Item.health_care), {name: columns}.
HEALTH_CARE_INDEXES = {
    "ix_item_health_care_status": VISIBLE_COLUMNS,
    "ix_item_health_care_unit": (
        "kind", "unit_id", "created_at", "id", "owner_id", "reporter_id", "status", "cancelled_at",
    ),
}  # fmt: skip


class Item(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """Shared fields of every item kind (DOMAIN.md §5). Kinds subclass with joined tables."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("kind", "ref_year", "ref_seq", name="kind_year_seq"),
        Index("ix_item_kind_status", "kind", "status"),
        # Statistics by period: a kind's items created in a period, with their unit
        # (kvalitet.core.aggregates reads these ranges; see docs/deployment.md).
        Index("ix_item_stats_kind_created", "kind", "created_at", "unit_id"),
        # Each list's filter and sort (newest first, id breaking ties): the whole kind, one
        # enhet's, one status's (docs/benchmarks.md). The whole kind's, newest first, is
        # ix_item_kind_created_visible below.
        Index("ix_item_kind_unit_created", "kind", "unit_id", "created_at"),
        Index("ix_item_kind_status_created", "kind", "status", "created_at"),
        # The inbox: my open items of each kind; and the owner's branch of a list's count,
        # the unit excluded (permissions.disjoint_parts), read from the index alone.
        Index("ix_item_owner_kind_visible", *OWNER_VISIBLE_COLUMNS),
        # Counts of a kind's list (per status, capped, late) read from this index alone: the
        # permission clause's columns (unit, owner, reporter), the status, the due date and
        # cancellation, and the id for the kinds' id-list branches (docs/benchmarks.md).
        Index("ix_item_kind_status_visible", *VISIBLE_COLUMNS),
        # A kind's items newest first, and by due date (undated last on PostgreSQL), id
        # breaking ties, each with the permission clause's columns, the status and
        # cancellation after the sort: a list is walked in order, a deep page's ids (and the
        # inbox's) are read from the index alone, skipping the rows before the page without
        # reading them (queries._deferred), and a count of a due-date range (the start
        # page's year) is an index-only range.
        Index("ix_item_kind_created_visible", "kind", "created_at", *SORTED_VISIBLE_COLUMNS),
        Index("ix_item_kind_due_visible", "kind", "due_date", *SORTED_VISIBLE_COLUMNS),
        # The search page across kinds, newest first: a common word's matches are found by
        # walking this and checking the permission clause's columns in it (kvalitet/search).
        Index("ix_item_created_visible", "created_at", "id", "kind", *SORTED_VISIBLE_COLUMNS[1:]),
        # The health-care items alone (a tenth of the avvikelser): MAS's branch of the policy
        # (avvikelser.kinds) is a range of these small indexes, where it was the ids of every
        # health-care avvikelse hashed and tested against each of the kind's rows
        # (docs/benchmarks.md, session 13). By status, with the columns of
        # ix_item_kind_status_visible (counts per status, the inbox's arm); by unit, newest
        # first (SQLite's OR of the branches, an enhet's list). Each condition is written as
        # the engine writes `health_care = true()`: SQLite uses a partial index only for a
        # term of the query's WHERE that is the same.
        *(
            Index(
                name,
                *columns,
                postgresql_where=text("health_care"),
                sqlite_where=text("health_care = 1"),
            )
            for name, columns in HEALTH_CARE_INDEXES.items()
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    ref_year: Mapped[int] = mapped_column(Integer)
    ref_seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(FreeText, default="")
    description: Mapped[str] = mapped_column(FreeText, default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancel_reason: Mapped[str | None] = mapped_column(FreeText)
    status_before_cancel: Mapped[str | None] = mapped_column(String(40))
    # Hälso- och sjukvård (HSL): an avvikelse's or a synpunkt's own flag, which their models
    # map to this column as well, so that the ORM writes both (Avvikelse.health_care). A
    # column of item, it is what MAS's branch of the policy and its index ask; every other
    # kind keeps false (a lex Maria case is health care by its kind).
    health_care: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Optimistic locking: a save with an older version is refused (ConflictError).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    quality_areas: Mapped[list[QualityArea]] = relationship(
        secondary=item_quality_area, order_by=QualityArea.sort_order
    )

    __mapper_args__: dict[str, Any] = {
        "polymorphic_on": "kind",
        "polymorphic_abstract": True,
        "version_id_col": version,
    }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ref}>"

    @classmethod
    def is_health_care(cls) -> ColumnElement[bool]:
        """The health-care items, written as the partial indexes' condition is
        (HEALTH_CARE_INDEXES): `health_care = true()`, which SQLite must find as the same term
        of the query to use them (`IS true` would not do)."""
        return cls.health_care == true()

    @property
    def spec(self):  # type: ignore[no-untyped-def]

        return kind_spec(self.kind)

    @property
    def status_label(self) -> str:
        return self.spec.workflow.state_label(self.status)

    @property
    def is_open(self) -> bool:
        return self.status not in self.spec.workflow.closed_states

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_overdue(self) -> bool:

        return bool(self.is_open and self.due_date and self.due_date < today())


class LinkType(enum.StrEnum):
    RELATERAD = "relaterad"
    ATGARD = "atgard"  # target is an improvement action decided because of source
    HARLEDD = "harledd"  # target was created from source (e.g. avvikelse -> lex Sarah)
    UPPFOLJNING = "uppfoljning"

    @property
    def label(self) -> str:
        return LINK_LABELS[self]


LINK_LABELS = {
    LinkType.RELATERAD: "Relaterat ärende",
    LinkType.ATGARD: "Förbättringsåtgärd",
    LinkType.HARLEDD: "Skapat utifrån",
    LinkType.UPPFOLJNING: "Uppföljning",
}


class ItemLink(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "item_link"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "link_type", name="link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    link_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    source: Mapped[Item] = relationship(foreign_keys=[source_id])
    target: Mapped[Item] = relationship(foreign_keys=[target_id])


# PostgreSQL's planner takes kind and status as independent and then expects a kind's
# status (one kind's "föreslagen") to be a hundred times rarer than it is, and joins the page
# to its units row by row. Statistics of the pair correct that (with the schema here, and in
# migration b8d3f1a2c9e4 for an existing database).
ITEM_KIND_STATUS_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS st_item_kind_status (mcv) ON kind, status FROM item"
)
event.listen(
    Item.__table__,
    "after_create",
    DDL(ITEM_KIND_STATUS_STATISTICS).execute_if(dialect="postgresql"),
)


class Comment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(FreeText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    author: Mapped[User] = relationship()


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    uploaded_by: Mapped[User] = relationship()


class RefCounter(db.Model):  # type: ignore[name-defined,misc]
    """Last sequence number used per kind and year, for reference numbers."""

    __tablename__ = "ref_counter"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)

    @classmethod
    def locked(cls, kind: str, year: int) -> RefCounter:
        """The counter row of `kind` and `year`, made if missing, locked for the transaction
        (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), so two people
        saving at once never get the same number. It reads nothing else, so it does not
        flush the session (an import's batch flushes its rows at once). Inside an import's
        batch a counter once locked is kept until a rollback: its lock holds until then."""
        held: dict[tuple[str, int], RefCounter] | None = None
        if uow.in_batch():
            held = db.session.info.setdefault(_LOCKED_COUNTERS, {})
            if (kind, year) in held:
                return held[(kind, year)]
        query = select(cls).where(cls.kind == kind, cls.year == year).with_for_update()
        with db.session.no_autoflush:
            counter = db.session.execute(query).scalar_one_or_none()
        if counter is None:
            try:
                with db.session.begin_nested():
                    counter = cls(kind=kind, year=year, last=0)
                    db.session.add(counter)
            except IntegrityError:
                counter = db.session.execute(query).scalar_one()
        if held is not None:
            held[(kind, year)] = counter
        return counter


_LOCKED_COUNTERS = "kvalitet.items.locked_counters"


def _forget_locked(session: Any, *args: Any) -> None:
    session.info.pop(_LOCKED_COUNTERS, None)


# A rollback (of the batch's savepoint too) releases the locks; a commit ends them.
for _hook in ("after_soft_rollback", "after_commit"):
    if not event.contains(Session, _hook, _forget_locked):
        event.listen(Session, _hook, _forget_locked)
