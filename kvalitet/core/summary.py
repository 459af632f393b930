"""The statistics summary: one row per (kind, unit, local month) holding the counters a
kind's statistics add up, so that a year's statistics read hundreds of rows, not 100,000.

A kind registers a `SummarySpec` (in its stats.py): the item class, its period column, the
child tables whose rows its counts read, and `count(periods, unit_ids)`, its own counting
query grouped by unit and period. The summary is a second copy of what the rows say; it is
kept true by:

- *the same transaction*: a session hook notes the buckets every added, changed or deleted
  item (old and new bucket when its unit or period column changes) and child row touches,
  and Core bulk UPDATE/DELETE/INSERT statements run through the session on those tables
  (`do_orm_execute`); just before the (outermost) commit each noted bucket is counted again
  from the rows by the kind's own query and written, once per commit whatever the number of
  rows. On PostgreSQL each bucket is locked first (pg_advisory_xact_lock, in sorted order),
  so two transactions changing one bucket at once count it one after the other, the second
  seeing the first's rows (READ COMMITTED);
- *a rebuild* (`flask statistik-summering`, `rebuild()`), for writes that bypass the
  session (the bench generator's COPY, a restore, hand-written SQL);
- *a check* (`flask statistik-kontroll`, `differences()`), which compares the summary with
  the rows for a period and, asked to, repairs the buckets that differ.

Statistics read the summary only when every period asked for is whole local months (quality
years, tertials and months are) and the summary has been built (a marker row, written by
the rebuild, with the schema, and by the migration on an empty database); otherwise they
count the rows live. Counters are stored whole (zeros included); what a median needs is
stored exactly: the bucket's values (`samples`), so the median of a subtree and period is
the live query's.
"""

from __future__ import annotations

import json
import statistics as pystats
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.extensions import db

MARK_KIND = "*"  # the marker row: the summary has been built (or began with no items)
MARK_MONTH = date(1900, 1, 1)
_INFO = "stats_summary"


class StatsSummary(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "stats_summary"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False)
    samples: Mapped[dict[str, list[float]]] = mapped_column(JSON, nullable=False)


T = StatsSummary.__table__


@dataclass
class Tally:
    """The counters and median values of one unit and period (or month)."""

    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        counts, samples = self.counts, self.samples
        get = counts.get
        for key, value in other.counts.items():
            counts[key] = get(key, 0) + value
        for key, values in other.samples.items():
            if key in samples:
                samples[key].extend(values)
            else:
                samples[key] = list(values)

    def normal(self) -> tuple[dict[str, int], dict[str, list[float]]]:
        """Comparable form: zero counters and empty sample lists left out, values sorted."""
        return (
            {k: int(v) for k, v in self.counts.items() if v},
            {k: sorted(v) for k, v in self.samples.items() if v},
        )


Counter = Callable[[Sequence[Period], Sequence[int] | None], dict[tuple[int, int], Tally]]


@dataclass
class SummarySpec:
    kind: str  # the item kind code, e.g. "AVV"
    model: type[Any]  # the item class
    period: str  # attribute of the period column
    utc: bool  # the period column is a UTC timestamp (else a date)
    # count(periods, unit ids or None for all): {(unit id, period index): Tally}; a bucket
    # without items must be left out (or have counts["total"] == 0).
    count: Counter
    # Child tables whose rows the counts read: {table name: column holding the item id}.
    children: dict[str, str] = field(default_factory=dict)


_SPECS: dict[str, SummarySpec] = {}


def register(spec: SummarySpec) -> SummarySpec:
    _SPECS[spec.kind] = spec
    return spec


def specs() -> list[SummarySpec]:
    return list(_SPECS.values())


# --- months ------------------------------------------------------------------------------


def month_of(value: date | datetime, utc: bool) -> date:
    """The first day of the local month `value` (a UTC instant or a date) falls in."""
    if isinstance(value, datetime):
        local = clock.to_local(value) if utc else value
        assert local is not None
        value = local.date()
    return value.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_period(month: date) -> Period:
    return Period(month, next_month(month) - timedelta(days=1), f"{month:%Y-%m}")


def months_of(period: Period) -> list[date] | None:
    """The months making up `period`, or None if it is not whole months."""
    if period.start.day != 1 or next_month(period.end) != period.end + timedelta(days=1):
        return None
    out, month = [], period.start
    while month <= period.end:
        out.append(month)
        month = next_month(month)
    return out


# --- reading -----------------------------------------------------------------------------


def read(
    kind: str, periods: Sequence[Period], unit_ids: Sequence[int] | Select[Any]
) -> dict[tuple[int, int], Tally] | None:
    """The kind's tallies per (unit id, period index) from the summary, or None when it
    cannot answer (a period not whole months, periods overlapping, or not built). One
    query, the marker row included. `unit_ids`: a list, or a SELECT of unit ids."""
    found = read_kinds([kind], periods, unit_ids)
    return None if found is None else found[kind]


def read_kinds(
    kinds: Sequence[str], periods: Sequence[Period], unit_ids: Sequence[int] | Select[Any]
) -> dict[str, dict[tuple[int, int], Tally]] | None:
    """`read` for several kinds in one query: {kind: tallies}, or None as `read`."""
    index: dict[date, int] = {}
    for i, period in enumerate(periods):
        months = months_of(period)
        if months is None or any(m in index for m in months):
            return None
        index.update(dict.fromkeys(months, i))
    if not kinds or any(k not in _SPECS for k in kinds) or not index:
        return None
    if db.session.info.get(_INFO) or db.session.new or db.session.dirty or db.session.deleted:
        settle(db.session())  # this transaction wrote: count what it touched first
    units = unit_ids if isinstance(unit_ids, Select) else list(unit_ids)
    wanted = T.c.kind.in_(list(kinds)) & T.c.unit_id.in_(units)
    # The JSON as text, decoded here: psycopg's JSON loader (bytes, encoding detected per
    # value) took three times as long for the thousands of small documents of a year.
    stmt = select(
        T.c.kind, T.c.unit_id, T.c.month, cast(T.c.counts, Text), cast(T.c.samples, Text)
    ).where(
        or_(
            wanted & T.c.month.in_(sorted(index)),
            (T.c.kind == MARK_KIND) & (T.c.unit_id == 0),
        )
    )
    out: dict[str, dict[tuple[int, int], Tally]] = {k: {} for k in kinds}
    built = False
    for row_kind, unit_id, month, counts, samples in db.session.execute(stmt):
        if row_kind == MARK_KIND:
            built = True
            continue
        found, key = out[row_kind], (int(unit_id), index[month])
        tally = Tally(json.loads(counts), json.loads(samples) if samples != "{}" else {})
        if key in found:
            found[key].add(tally)
        else:
            found[key] = tally  # its own decoded dicts: the unit's first month
    return out if built else None


def median(
    per_unit: dict[tuple[int, int], Tally], paths: dict[int, str], root_path: str, index: int,
    key: str,
) -> float | None:  # fmt: skip
    """The median of the `key` samples of the units in a subtree (path prefix) and period."""
    values = [
        v
        for (unit_id, p), tally in per_unit.items()
        if p == index and paths.get(unit_id, "\0").startswith(root_path)
        for v in tally.samples.get(key, ())
    ]
    return float(pystats.median(values)) if values else None


# --- keeping it -------------------------------------------------------------------------


@dataclass
class _Notes:
    buckets: set[tuple[str, int, date]] = field(default_factory=set)
    ids: dict[str, set[int]] = field(default_factory=dict)  # kind -> item ids to place
    rebuild: set[str] = field(default_factory=set)  # kinds to count again whole

    def __bool__(self) -> bool:
        return bool(self.buckets or self.rebuild or any(self.ids.values()))


def _notes(session: Session) -> _Notes:
    notes = session.info.get(_INFO)
    if notes is None:
        notes = session.info[_INFO] = _Notes()
    return notes


def _specs_of(obj: Any) -> list[SummarySpec]:
    return [spec for spec in _SPECS.values() if isinstance(obj, spec.model)]


def _children_of(table_name: str) -> list[tuple[SummarySpec, str]]:
    return [(s, s.children[table_name]) for s in _SPECS.values() if table_name in s.children]


def _item_tables(spec: SummarySpec) -> set[str]:
    return {t.name for t in spec.model.__mapper__.tables}


def _values(obj: Any, key: str) -> list[Any]:
    """The attribute's value(s) known in this flush (none when it is not loaded)."""
    history = inspect(obj).attrs[key].history
    return [v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None]


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """The buckets items leave (deleted, or moved to another unit or period), read from the
    rows before the flush changes them (an expired object may not know its old values)."""
    if not _SPECS:
        return
    leaving: dict[str, set[int]] = {}
    for obj in (*session.dirty, *session.deleted):
        for spec in _specs_of(obj):
            if obj.id is None:
                continue
            state = inspect(obj)
            moved = any(state.attrs[k].history.has_changes() for k in ("unit_id", spec.period))
            if obj in session.deleted or moved:
                leaving.setdefault(spec.kind, set()).add(obj.id)
    if leaving:
        _notes(session).buckets |= _place(leaving)


def _after_flush(session: Session, flush_context: Any) -> None:
    """The buckets added and changed items are in now, and the items whose child rows
    changed (placed at the commit)."""
    if not _SPECS:
        return
    notes: _Notes | None = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        specs = _specs_of(obj)
        for spec in specs:
            notes = notes or _notes(session)
            units = _values(obj, "unit_id")
            times = _values(obj, spec.period)
            if not units or not times:
                if obj.id is not None and obj not in session.deleted:
                    notes.ids.setdefault(spec.kind, set()).add(int(obj.id))
                continue
            for unit_id in units:
                for value in times:
                    notes.buckets.add((spec.kind, int(unit_id), month_of(value, spec.utc)))
        if specs:
            continue
        table = getattr(inspect(obj).mapper.local_table, "name", None)
        for spec, column in _children_of(table) if table else []:
            notes = notes or _notes(session)
            for item_id in _values(obj, column):
                notes.ids.setdefault(spec.kind, set()).add(int(item_id))


def _touched(state: ORMExecuteState) -> list[tuple[SummarySpec, str, Any]]:
    """(spec, role, table) for a DML statement on an item or child table of a kind."""
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name is None:
        return []
    out: list[tuple[SummarySpec, str, Any]] = []
    for spec in _SPECS.values():
        if name in _item_tables(spec):
            out.append((spec, "item", table))
        elif name in spec.children:
            out.append((spec, spec.children[name], table))
    return out


def _do_orm_execute(state: ORMExecuteState) -> Any:
    """Core bulk statements run through the session on a kind's tables note their buckets:
    the rows' buckets before an UPDATE or DELETE, their ids (placed at the commit) after."""
    if not _SPECS or not (state.is_update or state.is_delete or state.is_insert):
        return None
    touched = _touched(state)
    if not touched:
        return None
    session = state.session
    notes = _notes(session)
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    selected: dict[tuple[str, str], set[int]] = {}  # (table, id column): the rows' ids
    before: dict[str, set[int]] = {}
    for spec, role, table in touched:
        id_column = "id" if role == "item" else role
        given = [r[id_column] for r in rows if isinstance(r, dict) and id_column in r]
        if state.is_insert:
            inserted = [r for r in rows if isinstance(r, dict)]
            if given:
                notes.ids.setdefault(spec.kind, set()).update(int(i) for i in given)
            elif inserted and role == "item" and all("unit_id" in r for r in inserted):
                for r in inserted:
                    value = r.get(spec.period)
                    if r.get("kind", spec.kind) == spec.kind and value is not None:
                        notes.buckets.add((spec.kind, int(r["unit_id"]), month_of(value, spec.utc)))
            else:
                notes.rebuild.add(spec.kind)
            continue
        where = getattr(state.statement, "whereclause", None)
        if where is None and not given:
            notes.rebuild.add(spec.kind)
            continue
        ids = set(given)
        if where is not None:
            key = (table.name, id_column)
            if key not in selected:
                query = select(table.c[id_column]).where(where)
                selected[key] = set(session.execute(query).scalars())
            ids |= selected[key]
        if role == "item":
            before.setdefault(spec.kind, set()).update(ids)
        notes.ids.setdefault(spec.kind, set()).update(int(i) for i in ids)
    if before:
        notes.buckets |= _place(before)  # where they were
    return None


def _place(ids_of: dict[str, set[int]]) -> set[tuple[str, int, date]]:
    """The buckets the items are in now, {kind: item ids} (items of another kind are left
    out): one query per item class and set of ids, reading every period column of the
    kinds asking (lex Sarah's five summary kinds read their case once)."""
    groups: dict[tuple[Any, frozenset[int]], list[SummarySpec]] = {}
    for kind, ids in ids_of.items():
        if kind in _SPECS and ids:
            spec = _SPECS[kind]
            groups.setdefault((spec.model, frozenset(ids)), []).append(spec)
    out: set[tuple[str, int, date]] = set()
    for (model, id_set), group in groups.items():
        names = sorted({spec.period for spec in group})
        columns = [getattr(model, name) for name in names]
        ordered = sorted(id_set)
        for start in range(0, len(ordered), 5000):
            chunk = ordered[start : start + 5000]
            for unit_id, *values in db.session.execute(
                select(model.unit_id, *columns).where(model.id.in_(chunk))
            ):
                if unit_id is None:
                    continue
                value_of = dict(zip(names, values, strict=True))
                for spec in group:
                    value = value_of[spec.period]
                    if value is not None:
                        out.add((spec.kind, int(unit_id), month_of(value, spec.utc)))
    return out


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    settle(session)


def settle(session: Session) -> None:
    """Flush, and count again the buckets this transaction's changes touched (before the
    commit, and before the summary is read inside a transaction that wrote)."""
    session.flush()
    notes = session.info.pop(_INFO, None)
    if not notes:
        return
    for kind in notes.rebuild:
        rebuild([kind])
    buckets = {b for b in notes.buckets if b[0] not in notes.rebuild}
    buckets |= _place({k: ids for k, ids in notes.ids.items() if k not in notes.rebuild})
    recount(buckets)
    session.info.pop(_INFO, None)


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_INFO, None)


def _lock(conn: Connection, buckets: Sequence[tuple[str, int, date]]) -> None:
    """PostgreSQL: one transaction-scoped advisory lock per bucket, in sorted order (the
    select list is evaluated after the sort), so writers of one bucket take turns."""
    if conn.dialect.name != "postgresql" or not buckets:
        return
    keys = sorted(
        {
            (zlib.crc32(f"stats_summary:{k}".encode()) & 0x7FFFFFFF,
             (u * 2400 + m.year * 12 + m.month) & 0x7FFFFFFF)
            for k, u, m in buckets
        }
    )  # fmt: skip
    conn.execute(
        text(
            "SELECT pg_advisory_xact_lock(k1, k2) FROM "
            "unnest(CAST(:a AS integer[]), CAST(:b AS integer[])) AS t(k1, k2) ORDER BY k1, k2"
        ),
        {"a": [k[0] for k in keys], "b": [k[1] for k in keys]},
    )


def _counted(spec: SummarySpec, months: Sequence[date], unit_ids: Sequence[int] | None) -> Any:
    periods = [month_period(m) for m in months]
    for (unit_id, index), tally in spec.count(periods, unit_ids).items():
        if tally.counts.get("total", 0):
            yield unit_id, months[index], tally


def _write(conn: Connection, kind: str, rows: list[tuple[int, date, Tally]]) -> None:
    if rows:
        conn.execute(
            insert(T),
            [{"kind": kind, "unit_id": u, "month": m, "counts": t.counts, "samples": t.samples}
             for u, m, t in rows],
        )  # fmt: skip


def recount(buckets: Iterable[tuple[str, int, date]]) -> int:
    """Count the buckets again from the rows and write them (deleting the empty ones), in
    the session's transaction. Returns the number of buckets counted."""
    buckets = sorted(b for b in set(buckets) if b[0] in _SPECS)
    if not buckets:
        return 0
    conn = db.session.connection()
    _lock(conn, buckets)
    by_kind: dict[str, set[tuple[int, date]]] = {}
    for kind, unit_id, month in buckets:
        by_kind.setdefault(kind, set()).add((unit_id, month))
    for kind, keys in by_kind.items():
        spec = _SPECS[kind]
        conn.execute(
            delete(T).where(
                T.c.kind == kind, T.c.unit_id == bindparam("u"), T.c.month == bindparam("m")
            ),
            [{"u": u, "m": m} for u, m in sorted(keys)],
        )
        months = sorted({m for _, m in keys})
        units = sorted({u for u, _ in keys})
        for start in range(0, len(months), 24):
            found = _counted(spec, months[start : start + 24], units)
            _write(conn, kind, [(u, m, t) for u, m, t in found if (u, m) in keys])
    return len(buckets)


def _span(spec: SummarySpec) -> tuple[date, date] | None:
    column = getattr(spec.model, spec.period)
    first, last = db.session.execute(select(func.min(column), func.max(column))).one()
    if first is None:
        return None
    return month_of(first, spec.utc), month_of(last, spec.utc)


def _months(first: date, last: date) -> list[date]:
    out = [first]
    while out[-1] < last:
        out.append(next_month(out[-1]))
    return out


def rebuild(kinds: Iterable[str] | None = None) -> int:
    """Write the summary of the kinds (all by default) anew from the rows, a year of months
    per query, and the marker row. Returns the number of buckets written."""
    conn = db.session.connection()
    chosen = [_SPECS[k] for k in (kinds or _SPECS) if k in _SPECS]
    written = 0
    for spec in chosen:
        conn.execute(delete(T).where(T.c.kind == spec.kind))
        span = _span(spec)
        if span is None:
            continue
        months = _months(*span)
        for start in range(0, len(months), 12):
            rows = list(_counted(spec, months[start : start + 12], None))
            _write(conn, spec.kind, rows)
            written += len(rows)
    mark(conn)
    return written


def mark(conn: Connection) -> None:
    """Write the marker row: statistics may read the summary."""
    conn.execute(delete(T).where(T.c.kind == MARK_KIND))
    conn.execute(
        insert(T).values(kind=MARK_KIND, unit_id=0, month=MARK_MONTH, counts={}, samples={})
    )


def differences(period: Period, kinds: Iterable[str] | None = None) -> list[tuple[str, int, date]]:
    """The buckets of `period`'s months (widened to whole months) where the summary and the
    rows disagree."""
    first = period.start.replace(day=1)
    months = _months(first, period.end.replace(day=1))
    out: list[tuple[str, int, date]] = []
    for spec in [_SPECS[k] for k in (kinds or _SPECS) if k in _SPECS]:
        live = {(u, m): t.normal() for u, m, t in _counted(spec, months, None)}
        stored = {
            (int(u), m): Tally(c, s).normal()
            for u, m, c, s in db.session.execute(
                select(T.c.unit_id, T.c.month, T.c.counts, T.c.samples).where(
                    T.c.kind == spec.kind, T.c.month.in_(months)
                )
            )
        }
        for key in sorted(set(live) | set(stored)):
            if live.get(key) != stored.get(key):
                out.append((spec.kind, *key))
    return out


def install() -> None:
    """Keep the summary with every change, and mark it built with the schema."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_rollback),
        ("do_orm_execute", _do_orm_execute),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    if not event.contains(T, "after_create", _mark_with_schema):
        event.listen(T, "after_create", _mark_with_schema)


def _mark_with_schema(target: Any, connection: Connection, **kw: Any) -> None:
    mark(connection)


install()
