"""Engine settings per database: SQLite pragmas (foreign keys, WAL, busy timeout, real
transactions for savepoints) and PostgreSQL defaults; Swedish letters on both engines.

Swedish text: SQLite's lower() and LIKE fold only ASCII, so "Övrigt" never matched
"övrigt". Every SQLite connection gets a `kv_fold` function (Python's casefold) and a
`sv` collation (Swedish order: ... X, Y, Z, Å, Ä, Ö; é as e, ü as y). On PostgreSQL
the same is done with ICU collations. Queries use the helpers, never func.lower:

    folded(Unit.name) == fold("övrigt")           # case-insensitive equality
    contains_folded(Item.title, "åtgärd")         # case-insensitive search, % and _ literal
    select(Unit).order_by(swedish(Unit.name))     # Å, Ä, Ö after Z
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from flask import Flask
from psycopg.pq import ExecStatus
from sqlalchemy import String, event, literal
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from kvalitet.core.uow import write_intent


def configure_engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options: dict[str, Any] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
    elif uri.startswith("postgresql"):
        # No JIT compilation: it pays off for long analytical queries, and cost Kvalitet's
        # statistics and big lists 100-1,000 ms each in compiling (EXPLAIN's "JIT:" lines;
        # docs/deployment.md §2). Kvalitet's statements are short and planned to use indexes.
        # No parallel workers either: a list's plan with a Gather started two more processes
        # per statement on a server that the other requests keep busy (the chef's synpunkter
        # list took 348 ms with a parallel plan, 27 ms without, 1,000,000 items).
        # And a plan for each statement's own values, never a generic one: psycopg prepares a
        # statement run five times on a connection, and after five more PostgreSQL may plan
        # it once for any values; the policy's unit ids, owner and arrays decide the plan
        # (the chef's search with a kind chosen went from 22 ms to 130-170 ms at its 11th
        # run on one connection, 1,000,000 items; docs/benchmarks.md, session 10).
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault(
            "options",
            "-c jit=off -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_custom_plan",
        )
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def install_engine_events(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        if not event.contains(engine, "connect", _postgresql_connect):
            event.listen(engine, "connect", _postgresql_connect)
        return
    if engine.dialect.name != "sqlite":
        return
    if event.contains(engine, "connect", _sqlite_connect):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


class _Description(Sequence[Any]):
    """A result's `cursor.description` made when first read: its length is known at once,
    its columns are psycopg's own, built on the first look inside."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], result: Any):
        self._cursor, self._result = cursor, result
        self._columns: list[Any] | None = None

    def __len__(self) -> int:
        return int(self._result.nfields)

    def __getitem__(self, index: Any) -> Any:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("cursor.description read after the cursor's next statement")
            self._columns = _PSYCOPG_DESCRIPTION(self._cursor)
        return self._columns[index]


_PSYCOPG_DESCRIPTION = psycopg.Cursor.description.fget  # type: ignore[attr-defined]
_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)


class LazyDescriptionCursor(psycopg.Cursor[Any]):
    """psycopg's cursor, whose `description` builds its columns only when read.

    SQLAlchemy asks for `description` after every statement, to see whether it returns
    rows, and reads the columns only the first time a statement runs: after that it has
    them with its compiled statement. psycopg builds a Column per column at each ask (name,
    type, modifiers: several calls into libpq each), about 4 % of a page's CPU with the
    item lists' 40-60 columns (docs/benchmarks.md, session 15)."""

    @property
    def description(self) -> Any:
        res = self.pgresult
        if res and (res.nfields or res.status in _ROWS):
            return _Description(self, res)
        return None


def _postgresql_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.cursor_factory = LazyDescriptionCursor


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN, so SAVEPOINT works (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function("kv_fold", 1, _sqlite_fold, deterministic=True)
    dbapi_connection.create_collation("sv", _sqlite_swedish)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A unit that will write takes the write lock at its start (BEGIN IMMEDIATE), so writers
    # queue in the busy timeout above instead of failing when a read transaction tries to
    # become a write transaction (SQLite answers that at once with "database is locked").
    # Units that only read begin deferred: in WAL mode they never block and are never blocked.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


# --- Swedish letters --------------------------------------------------------------------------

# Sort key per letter: å, ä, ö after z (Swedish alphabet); letters Swedish treats as variants
# sort with their base letter (é as e, ü as y, æ as ä, ø as ö).
# "{", "|", "}" are the characters right after "z".
_SWEDISH = str.maketrans({
    "å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}", "é": "e", "è": "e", "ê": "e", "ë": "e",
    "ü": "y", "á": "a", "à": "a", "â": "a", "í": "i", "ó": "o", "ú": "u",
})  # fmt: skip


def fold(text: str) -> str:
    """Text compared without regard to case (Unicode case folding)."""
    return text.casefold()


def swedish_key(text: str) -> tuple[str, str]:
    """Sort key in Swedish order; ties broken by the text itself so the order is total."""
    return (text.casefold().translate(_SWEDISH), text)


def _sqlite_fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _sqlite_swedish(left: str, right: str) -> int:
    a, b = swedish_key(left), swedish_key(right)
    return (a > b) - (a < b)


class folded(FunctionElement[str]):
    """The column case-folded in SQL, Unicode-aware on both engines."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _folded_default(element: Any, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"kv_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "und-x-icu")'


class swedish(FunctionElement[str]):
    """The column in Swedish collation, for ORDER BY."""

    type = String()
    inherit_cache = True
    name = "swedish"


@compiles(swedish)
def _swedish_default(element: Any, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(swedish, "sqlite")
def _swedish_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)}) COLLATE sv"


@compiles(swedish, "postgresql")
def _swedish_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "sv-x-icu"'


def contains_folded(column: Any, text: str) -> ColumnElement[bool]:
    """`column` contains `text`, case-insensitively for every letter; % and _ literal."""
    escaped = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return folded(column).like(literal(f"%{escaped}%", String()), escape="\\")
