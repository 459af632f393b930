"""Small tables read once per request: a value kept on flask.g, forgotten when a flush writes
a row of the model it was read from, and after any rollback (it may hold rows of a change
just undone). Outside a request nothing is kept.

For the lagrum table (a page asks for several references) and the active kvalitetsområden
(a case page's panel and its forms all offer them). The policy's answers and the holders of
roles have caches of their own (core.permissions.request_cache, org.operations), which are
forgotten on changes of several tables at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")

# g attribute -> the model (or models) whose rows it was read from.
_WATCHED: dict[str, type | tuple[type, ...]] = {}


def remembered(key: str, model: type | tuple[type, ...], load: Callable[[], T]) -> T:
    """The value at `key` for this request, loaded by `load()` the first time. `model` may
    be a tuple: a flush of any of them forgets the value."""
    if not has_request_context():
        return load()
    _WATCHED.setdefault(key, model)
    if key not in g:
        setattr(g, key, load())
    value: T = g.get(key)
    return value


def remember(key: str, model: type, value: Any) -> None:
    """Keep `value` at `key` for this request unless one is kept already (a caller that read
    the rows anyway, with more in the same statement)."""
    if has_request_context() and key not in g:
        _WATCHED.setdefault(key, model)
        setattr(g, key, value)


def _forget_after_flush(session: Session, flush_context: object) -> None:
    if not has_request_context():
        return
    held = [(key, model) for key, model in _WATCHED.items() if key in g]
    if not held:
        return
    changed = (*session.new, *session.dirty, *session.deleted)
    for key, model in held:
        if any(isinstance(o, model) for o in changed):
            g.pop(key, None)


def _forget_after_rollback(session: Session) -> None:
    if has_request_context():
        for key in _WATCHED:
            g.pop(key, None)


if not event.contains(Session, "after_flush", _forget_after_flush):
    event.listen(Session, "after_flush", _forget_after_flush)
if not event.contains(Session, "after_rollback", _forget_after_rollback):
    event.listen(Session, "after_rollback", _forget_after_rollback)
