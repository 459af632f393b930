"""Grouped statistics: one query per kind for many unit subtrees and periods.

A kind's statistics used to run a dozen aggregates per (unit subtree, period); the report
asked for every avdelning and both years. Here the counts are read once, grouped by the unit
an item is placed at and the period it falls in (`period_index`), and summed into each
subtree in Python (`fold`): the database reads the period's rows once, through the index on
the period column, whatever the number of subtrees. Medians are not additive; `medians`
computes them in SQL per subtree and period (percentile_cont on PostgreSQL, a window query
on SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from itertools import pairwise
from typing import Any, Protocol

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)

from kvalitet.core.periods import Period
from kvalitet.extensions import db


class Subtree(Protocol):
    id: int
    path: str


def _range(column: Any, period: Period, utc: bool) -> Any:
    if utc:
        return and_(column >= period.start_utc(), column < period.end_utc())
    return and_(column >= period.start, column <= period.end)


def period_index(column: Any, periods: Sequence[Period], utc: bool = True) -> Any:
    """The index (0, 1, …) of the period `column` falls in, NULL outside them all.
    Periods must not overlap (the year and the year before do not)."""
    return case(*[(_range(column, p, utc), i) for i, p in enumerate(periods)], else_=None)


def in_periods(column: Any, periods: Sequence[Period], utc: bool = True) -> Any:
    """`column` in any of the periods: one index range per run of adjacent periods. The year
    and the year before are one range, which an index ending in the period column can use
    within each unit; an OR of two ranges it can only filter on after reading every year."""
    runs: list[list[Period]] = []
    for period in sorted(periods, key=lambda p: p.start):
        if runs and period.start <= runs[-1][1].end + timedelta(days=1):
            if period.end > runs[-1][1].end:
                runs[-1][1] = period
        else:
            runs.append([period, period])
    ranges = [
        and_(column >= first.start_utc(), column < last.end_utc())
        if utc
        else and_(column >= first.start, column <= last.end)
        for first, last in runs
    ]
    return or_(*ranges) if ranges else false()


def in_range(column: Any, period: Period, utc: bool = True) -> Any:
    return _range(column, period, utc)


def overlapping(periods: Sequence[Period]) -> bool:
    ordered = sorted(periods, key=lambda p: p.start)
    return any(a.end >= b.start for a, b in pairwise(ordered))


def tops(roots: Iterable[Subtree]) -> list[Subtree]:
    """The roots not inside another root: their subtrees cover all the others'."""
    ordered = sorted({r.id: r for r in roots}.values(), key=lambda r: len(r.path))
    out: list[Subtree] = []
    for root in ordered:
        if not any(root.path.startswith(t.path) for t in out):
            out.append(root)
    return out


def in_subtrees(path_column: Any, roots: Iterable[Subtree]) -> Any:
    return or_(*[path_column.startswith(r.path, autoescape=True) for r in tops(roots)])


def fold(
    per_unit: dict[tuple[int, int], dict[str, int]],
    unit_paths: dict[int, str],
    roots: Sequence[Subtree],
    periods: int,
    names: Iterable[str],
) -> dict[tuple[int, int], dict[str, int]]:
    """Sum the counts per (unit id, period index) into (root id, period index), each root
    taking the units of its subtree. Every (root, period) gets every name (0 when none)."""
    keys = list(names)
    out = {(r.id, p): dict.fromkeys(keys, 0) for r in roots for p in range(periods)}
    for (unit_id, p), counts in per_unit.items():
        path = unit_paths.get(unit_id)
        if path is None:
            continue
        for root in roots:
            if path.startswith(root.path):
                target = out[(root.id, p)]
                for key, value in counts.items():
                    target[key] = target.get(key, 0) + int(value or 0)
    return out


def counts(
    columns: dict[str, Any], unit_column: Any, period_column: Any, query: Any
) -> dict[tuple[int, int], dict[str, int]]:
    """Run `query` (a select of FROM/WHERE only) with the labelled aggregate columns, grouped
    by unit and period index: {(unit id, period index): {name: count}}."""
    names = list(columns)
    stmt = query.add_columns(
        unit_column.label("g_unit"),
        period_column.label("g_period"),
        *[expr.label(f"c{i}") for i, expr in enumerate(columns.values())],
    ).group_by(unit_column, period_column)
    out: dict[tuple[int, int], dict[str, int]] = {}
    for row in db.session.execute(stmt):
        if row[1] is None:
            continue
        out[(int(row[0]), int(row[1]))] = {
            n: int(v or 0) for n, v in zip(names, row[2:], strict=True)
        }
    return out


def membership(roots: Sequence[Subtree], units: Iterable[Subtree]) -> Any:
    """Which unit lies in which root's subtree, as a derived table (root_id, unit_id) of
    literals (UNION ALL, portable): joined on the unit id, so the database matches by key
    instead of comparing paths row by row."""
    units = list(units)
    parts = [
        select(literal(r.id).label("root_id"), literal(u.id).label("unit_id"))
        for r in roots
        for u in units
        if u.path.startswith(r.path)
    ] or [select(literal(0).label("root_id"), literal(0).label("unit_id")).where(false())]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("roots")


def among(unit_column: Any, unit_ids: Sequence[int], total_units: int) -> Any:
    """`unit_column IN unit_ids`, or nothing when those are most of the units: then the
    period index alone is the better path (SQLite would otherwise read every item of every
    unit), and `fold` leaves the other units' rows out."""
    if len(unit_ids) * 2 > total_units:
        return true()
    return unit_column.in_(list(unit_ids))


def unit_count() -> int:
    from_units = db.session.execute(text("SELECT count(*) FROM unit")).scalar()
    return int(from_units or 0)


def days_between(start: Any, end: Any) -> Any:
    """Days (with fractions) from `start` to `end`, two timestamp columns, never below 0."""
    if db.engine.dialect.name == "postgresql":
        return func.greatest(0.0, func.extract("epoch", end - start) / 86400.0)
    return func.max(0.0, func.julianday(end) - func.julianday(start))


def medians(value: Any, groups: Sequence[Any], query: Any) -> dict[tuple[Any, ...], float]:
    """The median of `value` per group, over the rows of `query` (a select with its FROM and
    WHERE; rows where `value` is NULL are left out): {group values: median}."""
    query = query.where(value.is_not(None))
    if db.engine.dialect.name == "postgresql":
        stmt = query.add_columns(
            *groups, func.percentile_cont(0.5).within_group(cast(value, Float))
        ).group_by(*groups)
        return {tuple(r[:-1]): float(r[-1]) for r in db.session.execute(stmt)}
    labelled = [g.label(f"g{i}") for i, g in enumerate(groups)]
    ranked = query.add_columns(
        *labelled,
        cast(value, Float).label("v"),
        func.row_number().over(partition_by=list(groups), order_by=value).label("rn"),
        func.count().over(partition_by=list(groups)).label("n"),
    ).subquery("ranked")
    keys = [ranked.c[f"g{i}"] for i in range(len(groups))]
    stmt = (
        select(*keys, func.avg(ranked.c.v))
        .where(ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2]))
        .group_by(*keys)
    )
    return {tuple(r[:-1]): float(r[-1]) for r in db.session.execute(stmt)}
