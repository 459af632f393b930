"""One unit of work per web request, API call, CLI command and scheduler job.

Operations change rows, write their audit entries and queue notifications inside
`transaction()`, which only flushes (a savepoint): on any error it rolls back everything the
operation did, so nothing is half-saved. The boundary commits once at the end, or rolls back
everything:

- the web request and the API call: `kvalitet.web` runs each view through `run()`;
- a CLI command or a scheduler job: `with unit_of_work(): ...`.

Concurrency. On SQLite a unit that will write takes the write lock when it begins (BEGIN
IMMEDIATE, see kvalitet.core.db_setup), so writers queue within the busy timeout instead of
failing; units that only read begin deferred and never block. A web request declares that it
will write by its method (anything but GET/HEAD/OPTIONS) or by the `writes` decorator on its
view. A unit that nevertheless hits a lock, or a deadlock or serialisation failure on
PostgreSQL, is run once more from the start (with the write intent declared), and then
reported as a ConflictError (409). A lost race on the same row (a stale version) is a
ConflictError at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kvalitet.core.errors import ConflictError
from kvalitet.extensions import db

T = TypeVar("T")

# Read by the SQLite "begin" listener: BEGIN IMMEDIATE while this is True.
write_intent: ContextVar[bool] = ContextVar("kvalitet_write_intent", default=False)

INTEGRITY_MESSAGE = (
    "Uppgifterna krockar med något som sparades samtidigt. Inget sparades. Ladda om sidan "
    "och försök igen."
)


# Inside `batched()`: the errors of the batch's operations (which open no savepoints).
_batch: ContextVar[list[BaseException] | None] = ContextVar("kvalitet_batch", default=None)


@contextmanager
def transaction() -> Iterator[None]:
    """The body of an operation, atomic by itself: a SAVEPOINT, flushed and released on
    success; on any error everything the operation did is rolled back and the error
    re-raised (a stale version, someone else saved the row first, becomes a ConflictError).
    What the unit did before the operation stays, for the boundary to commit or roll back.

    Inside `batched()` the operation opens no savepoint and does not flush: the batch is
    the atomic unit, and an error is noted on the batch (see there)."""
    failures = _batch.get()
    if failures is not None:
        try:
            yield
        except StaleDataError as error:
            failures.append(error)
            raise ConflictError()
        except BaseException as error:
            failures.append(error)
            raise
        return
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError:
        raise ConflictError()


@contextmanager
def batched() -> Iterator[list[BaseException]]:
    """Many operations as one atomic batch (the import's rows): their `transaction()`s open
    no savepoints and leave the flushing to the batch, since a savepoint and a flush per
    operation cost more than a small operation itself. The caller holds the batch in a
    savepoint of its own and, if an operation failed (the yielded list is not empty, even
    when a caller caught the error), rolls the batch back and runs it again operation by
    operation outside `batched()`, where each is atomic and its error is its own."""
    failures: list[BaseException] = []
    token = _batch.set(failures)
    try:
        yield failures
    finally:
        _batch.reset(token)


def flush() -> None:
    """Flush the session now; inside `batched()` leave it to the batch's one flush (an
    operation that needs its rows' ids, e.g. to link them, flushes itself)."""
    if _batch.get() is None:
        db.session.flush()


def in_batch() -> bool:
    """Is this inside `batched()` (flushes are left to the batch)?"""
    return _batch.get() is not None


def check_version(row: Any, expected_version: int | None) -> None:
    """Refuse a save made from a form or API call that saw an older version of the row."""
    if expected_version is not None and int(expected_version) != row.version:
        raise ConflictError()


def declare_write() -> None:
    """The unit will write: on SQLite its transaction begins with the write lock. Call it
    before the first statement of the unit."""
    write_intent.set(True)


def writes(view: Callable[..., T]) -> Callable[..., T]:
    """Mark a GET view that writes (e.g. a read-log row), so its unit begins as a writer."""
    view._kvalitet_writes = True  # type: ignore[attr-defined]
    return view


def view_writes(view: Any) -> bool:
    return bool(getattr(view, "_kvalitet_writes", False))


def is_retryable(error: BaseException) -> bool:
    """A lock timeout or busy database (SQLite), a deadlock or serialisation failure
    (PostgreSQL): the unit may succeed if it runs again from the start."""
    if not isinstance(error, DBAPIError):
        return False
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in ("40001", "40P01", "55P03"):
        return True
    text = str(original or error).lower()
    return "database is locked" in text or "database table is locked" in text


def commit() -> None:
    db.session.commit()


def rollback() -> None:
    db.session.rollback()


def run(work: Callable[[], T]) -> T:
    """Run `work` as one unit: commit once at the end, roll back on any error. Retried once
    from the start on a retryable database error, then reported as a ConflictError."""
    for attempt in (1, 2):
        try:
            result = work()
            commit()
            return result
        except StaleDataError:
            rollback()
            raise ConflictError()
        except IntegrityError:
            # A unique key taken by a concurrent unit between our check and our write.
            rollback()
            raise ConflictError(INTEGRITY_MESSAGE)
        except DBAPIError as error:
            rollback()
            if not is_retryable(error):
                raise
            if attempt == 2:
                raise ConflictError() from error
            declare_write()
        except BaseException:
            rollback()
            raise
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def unit_of_work() -> Iterator[None]:
    """A CLI command or a scheduler job: declared as a writer, committed once at the end or
    rolled back on any error. (Not retried: a job is simply run again at its next turn.)"""
    if db.session().in_transaction():
        commit()  # end whatever read came before, so this unit begins as a writer
    token = write_intent.set(True)
    try:
        try:
            yield
            commit()
        except StaleDataError:
            rollback()
            raise ConflictError()
        except BaseException:
            rollback()
            raise
    finally:
        write_intent.reset(token)
