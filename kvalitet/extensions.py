"""Flask extensions, created here and bound to the app in create_app()."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import Select

from kvalitet.core.base import Base

REPLICA = "replica"  # the bind key of READ_REPLICA_DATABASE_URL (see docs/deployment.md)
_on_replica: ContextVar[bool] = ContextVar("kvalitet_on_replica", default=False)
F = TypeVar("F", bound=Callable[..., Any])


class RoutingSession(FlaskSession):
    """The session: inside `replica_reads()`, SELECTs go to the read replica when
    READ_REPLICA_DATABASE_URL is set (the "replica" bind); everything else (flushes, writes,
    reads outside the block) goes to the primary."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None,
                 **kwargs: Any) -> Any:  # fmt: skip
        if bind is None and _on_replica.get() and isinstance(clause, Select):
            engine = self._db.engines.get(REPLICA)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Read from the replica in this block (statistics, exports, the report compile)."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def reads_replica(function: F) -> F:
    """`function` reads from the replica (see replica_reads)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
