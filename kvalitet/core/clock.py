"""The one source of "now". Tests and the scheduler's time-travel checks can freeze it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

_frozen: datetime | None = None
# "Now" of one unit of work that records history (kvalitet.items.history): local to the
# request or command, so other requests keep the real time.
_replayed: ContextVar[datetime | None] = ContextVar("replayed_now", default=None)


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    replayed = _replayed.get()
    if replayed is not None:
        return replayed
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


def local_now() -> datetime:
    return now().astimezone(STOCKHOLM)


def today() -> date:
    """Today's date in Sweden."""
    return local_now().date()


def freeze(at: datetime | None) -> None:
    """Freeze the clock at `at` (aware datetime), or unfreeze with None."""
    global _frozen
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=STOCKHOLM)
    _frozen = at.astimezone(UTC) if at is not None else None


def real_now() -> datetime:
    """Now, also inside `replaying` (the time at which history is written down)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


@contextmanager
def replaying(at: datetime) -> Iterator[None]:
    """Inside the block, now() is `at` (aware): what an operation records happened then."""
    token = _replayed.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _replayed.reset(token)


def advance(delta: timedelta) -> None:
    global _frozen
    _frozen = now() + delta


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(STOCKHOLM)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` starts in Sweden."""
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM).astimezone(UTC)
