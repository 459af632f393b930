"""History with its own dates: a förvaltning moving into Kvalitet records what happened in
earlier years, on the dates it happened.

A historical call runs the kind's ordinary operation (the same validation, workflow and
audit as in the web) inside `recording(...)`: the clock of that unit of work reads the
historical time (`clock.replaying`), so every column an operation stamps with "now"
(reported, assessed, acknowledged, closed, created) and every deadline it computes from
"today" follow the past, and the reference number follows the item's year
(AVV-2021-0007) unless the source's own number is kept. Notifications are dropped: history
is not news and never anyone's due work. After the block every item it touched gets an
audit entry `imported` at the real time: by whom, when, and from which file or call.

Only a kvalitetsutvecklare or an administrator over the item's unit may record history;
the time must not lie in the future, not before what the item already holds (in order),
and inside the unit's life (`Unit.founded_on`..`Unit.closed_on`, when known; not
`Unit.created_at`, the time it was registered in Kvalitet); the earliest accepted year is
`HISTORY_EARLIEST_YEAR`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from kvalitet.core import audit, clock, uow
from kvalitet.core.audit import AuditEntry
from kvalitet.core.base import UTCDateTime
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.core.permissions import holds_role_over
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item, RefCounter
from kvalitet.org.models import check_unit_life

if TYPE_CHECKING:
    from kvalitet.org.models import Unit, User

HISTORY_ROLES = (Role.KVALITETSUTVECKLARE, Role.ADMIN)
HISTORY_EARLIEST_YEAR = 1990
NOON = time(12, 0)
# Actions that are not events of the item's own history (reading it, recording history).
NOT_EVENTS = ("read", "imported")

# Notification models are found by table name: notify sits above items in the layers.
NOTICE_TABLES = {"notification", "outbox_mail", "digest_entry"}


@dataclass
class Recording:
    actor: User
    at: datetime
    source: str
    source_ref: str | None = None
    touched: list[Item] = field(default_factory=list)


_current: ContextVar[Recording | None] = ContextVar("history_recording", default=None)


def current() -> Recording | None:
    return _current.get()


def moment(value: date | datetime | None) -> datetime | None:
    """A historical date as a time: a bare date is noon in Sweden (the hour is unknown)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=clock.STOCKHOLM)
    return datetime.combine(value, NOON, tzinfo=clock.STOCKHOLM)


def may_record(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and actor.has_role(*HISTORY_ROLES))


def last_event(item: Item) -> datetime | None:
    """When the latest thing recorded for the item happened. Inside an import's batch
    (`uow.batched()`, nothing flushed yet) the entries still pending count too."""
    if not uow.in_batch():
        return db.session.scalar(
            select(func.max(AuditEntry.at)).where(
                AuditEntry.item_id == item.id, AuditEntry.action.not_in(NOT_EVENTS)
            )
        )
    noted = db.session.info.get(_PENDING_EVENTS, {}).get(id(item))
    times = [noted[1]] if noted is not None and noted[0] is item else []
    if item.id is not None:
        with db.session.no_autoflush:
            stored = db.session.scalar(
                select(func.max(AuditEntry.at)).where(
                    AuditEntry.item_id == item.id, AuditEntry.action.not_in(NOT_EVENTS)
                )
            )
        if stored is not None:
            times.append(stored)
    return max(times, default=None)


_NOW_COLUMNS: dict[Any, list[str]] = {}


def _now_columns(obj: Any) -> list[str]:
    """The attributes of obj's class whose column defaults to "now" (a UTCDateTime column
    with a Python-side callable default)."""
    mapper = sa_inspect(obj).mapper
    keys = _NOW_COLUMNS.get(mapper)
    if keys is None:
        keys = [
            attr.key
            for attr in mapper.column_attrs
            if isinstance(attr.columns[0].type, UTCDateTime)
            and attr.columns[0].default is not None
            and attr.columns[0].default.is_callable
        ]
        _NOW_COLUMNS[mapper] = keys
    return keys


# The latest event time of each item whose audit entries wait for the batch's flush:
# {id(item): (item, time)} in the session's info, forgotten at each flush and rollback.
_PENDING_EVENTS = "kvalitet.history.pending_events"


def _stamp(objects: list[Any]) -> None:
    """Give the rows made in a recording their "now" (the historical time) before they are
    flushed, as a flush inside the recording would: an import's batch flushes later."""
    now = clock.now()
    noted = db.session.info.setdefault(_PENDING_EVENTS, {})
    for obj in objects:
        for key in _now_columns(obj):
            if getattr(obj, key) is None:
                setattr(obj, key, now)
        if isinstance(obj, AuditEntry) and obj.item is not None and obj.at is not None:
            if obj.action in NOT_EVENTS:
                continue
            before = noted.get(id(obj.item))
            if before is None or before[1] < obj.at:
                noted[id(obj.item)] = (obj.item, obj.at)


def _forget_pending(session: Any, *args: Any) -> None:
    session.info.pop(_PENDING_EVENTS, None)


for _hook in ("after_flush_postexec", "after_soft_rollback"):
    if not event.contains(Session, _hook, _forget_pending):
        event.listen(Session, _hook, _forget_pending)


def check_time(actor: User, at: datetime, *, item: Item | None = None,
               field_name: str = "occurred_at") -> None:  # fmt: skip
    if not may_record(actor):
        raise Forbidden("Bara kvalitetsutvecklare och administratörer kan föra in historik.")
    if at > clock.real_now():
        raise OperationError("Tidpunkten kan inte ligga i framtiden.", field=field_name)
    if at.astimezone(clock.STOCKHOLM).year < HISTORY_EARLIEST_YEAR:
        raise OperationError(
            f"Historik kan föras in från år {HISTORY_EARLIEST_YEAR}.", field=field_name
        )
    if item is not None:
        check_unit(actor, item.unit)
        previous = last_event(item)
        if previous is not None and at < previous:
            shown = clock.to_local(previous)
            raise OperationError(
                f"Tidpunkten ligger före det som redan finns i ärendet ({shown:%Y-%m-%d %H:%M}). "
                "För in historiken i den ordning det hände.",
                field=field_name,
            )


def check_unit(actor: User, unit: Unit) -> None:
    if not holds_role_over(actor, HISTORY_ROLES, unit):
        raise Forbidden(
            f"Du har ingen roll som kvalitetsutvecklare eller administratör över {unit.name}."
        )


@contextmanager
def recording(
    actor: User,
    when: date | datetime,
    *,
    source: str,
    item: Item | None = None,
    source_ref: str | None = None,
    field_name: str = "occurred_at",
    audit_entry: bool = True,
) -> Iterator[Recording]:
    """Run the block as history that happened at `when`, then audit it as imported
    (`audit_entry=False`: the caller writes its own entry, e.g. the import's per row)."""
    at = moment(when)
    assert at is not None
    check_time(actor, at, item=item, field_name=field_name)
    state = Recording(actor, at, source.strip()[:180] or "API", source_ref)
    session = db.session()
    # In an import's batch nothing is flushed per row: the rows the block adds are noted
    # as they join the session, and stamped with the historical time at its end.
    batch = uow.in_batch()
    added: list[Any] = []

    def collect(sess: Any, context: Any, instances: Any) -> None:
        for obj in list(sess.new) + list(sess.dirty):
            if getattr(obj, "__tablename__", None) in NOTICE_TABLES and obj in sess.new:
                sess.expunge(obj)
            elif isinstance(obj, Item) and obj not in state.touched:
                state.touched.append(obj)

    def joined(sess: Any, obj: Any) -> None:
        added.append(obj)

    hook, listener = ("transient_to_pending", joined) if batch else ("before_flush", collect)
    event.listen(session, hook, listener)
    token = _current.set(state)
    try:
        with clock.replaying(at):
            yield state
            if batch:
                _stamp(added)
            else:
                db.session.flush()
    finally:
        _current.reset(token)
        event.remove(session, hook, listener)
    for obj in added:
        if getattr(obj, "__tablename__", None) in NOTICE_TABLES:
            if obj in session.new:
                session.expunge(obj)
        elif isinstance(obj, Item) and obj not in state.touched:
            state.touched.append(obj)
    if item is not None and item not in state.touched:
        state.touched.append(item)
    for touched in state.touched:
        check_unit(actor, touched.unit)
        check_unit_life(touched.unit, at.astimezone(clock.STOCKHOLM).date(), field_name)
        if not audit_entry:
            continue
        entry = audit.record(
            actor,
            "imported",
            item=touched,
            summary=f"Historik per {clock.to_local(at):%Y-%m-%d} förd in från {state.source}",
            after={"källa": state.source, "tidpunkt": at,
                   **({"källans nummer": source_ref} if source_ref else {})},
            target=f"historik:{state.source}"[:200],
        )  # fmt: skip
        entry.at = clock.real_now()
    if not batch:
        db.session.flush()


# --- reference numbers ----------------------------------------------------------------------


def source_number(item: Item) -> bool:
    """Give a new item the source's own number if the recording holds one; False if not.

    A number in Kvalitet's own form (AVV-2021-0007) takes that sequence number of that year
    and moves the year's counter past it, so Kvalitet never hands it out again. Any other
    number (an old system's "Dnr 2021/44") is kept as it is and gets a negative sequence
    number, which Kvalitet's counters never reach."""
    state = current()
    if state is None or not state.source_ref or item.ref:
        return False
    text = state.source_ref.strip()
    if not text or len(text) > 40:
        raise OperationError("Källans nummer ska ha 1–40 tecken.", field="source_ref")
    year = clock.today().year
    own = re.fullmatch(rf"{re.escape(item.kind)}-(\d{{4}})-(\d{{1,6}})", text)
    if own:
        year, seq = int(own.group(1)), int(own.group(2))
        if seq < 1:
            raise OperationError("Numret måste vara större än noll.", field="source_ref")
        text = f"{item.kind}-{year}-{seq:04d}"
    taken_clause = [Item.ref == text]
    if own:
        taken_clause.append(
            (Item.kind == item.kind) & (Item.ref_year == year) & (Item.ref_seq == seq)
        )
    with db.session.no_autoflush:
        taken = db.session.scalar(select(Item.id).where(or_(*taken_clause)).limit(1))
    if taken is not None:
        raise OperationError(f"Numret {text} finns redan.", field="source_ref")
    if own:
        counter = RefCounter.locked(item.kind, year)
        counter.last = max(counter.last or 0, seq)
    else:
        with db.session.no_autoflush:
            lowest = db.session.scalar(
                select(func.min(Item.ref_seq)).where(
                    Item.kind == item.kind, Item.ref_year == year, Item.ref_seq < 0
                )
            )
        seq = (lowest or 0) - 1
    item.ref, item.ref_year, item.ref_seq = text, year, seq
    return True
