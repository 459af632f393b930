"""Everything the analysis page shows for a unit and a period, as plain data (the page, the
API and the frozen snapshot of a finished analysis read the same)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.analys.flags import find_flags, sensitivity
from kvalitet.analys.patterns import find_patterns
from kvalitet.analys.signals import KIND_LABELS, compile_signals
from kvalitet.core import clock
from kvalitet.core.periods import Period
from kvalitet.core.permissions import (
    Detail,
    shown_statistics,
    statistics_detail,
    visible_clause,
)
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit, User


def overview(user: User, unit: Unit, period: Period) -> dict[str, Any]:
    return {
        "unit": {"id": unit.id, "name": unit.name},
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "signals": compile_signals(user, unit, period),
        "flags": [f.as_dict() for f in find_flags(user, unit, period)],
        "patterns": [p.as_dict() for p in find_patterns(user, unit, period)],
        "sensitivity": sensitivity(),
        "compiled_at": clock.now().isoformat(timespec="seconds"),
        "compiled_for": user.name,
    }


def as_seen_by(content: dict[str, Any], user: User, unit: Unit) -> dict[str, Any]:
    """A frozen overview as `user` may read it: kinds without the user's statistics right
    are left out, aggregates are suppressed at the user's detail, and pattern links (and the
    counts of kinds the user has no statistics for) are only items the user may see, asked
    in SQL."""
    details = {kind: statistics_detail(user, kind, unit) for kind in KIND_LABELS}
    signals = dict(content.get("signals") or {})
    kinds = {}
    for kind, section in (signals.get("kinds") or {}).items():
        detail = details.get(kind)
        if detail is None:
            continue
        section = dict(section)
        for key in ("now", "before"):
            if key in section:
                section[key] = shown_statistics(detail, section[key])
        if detail == Detail.AGGREGATE:
            section["detail"] = str(detail)
        kinds[kind] = section
    signals["kinds"] = kinds
    flags = [f for f in content.get("flags") or [] if details.get(f.get("kind"))]
    refs = {i["ref"] for p in content.get("patterns") or [] for i in p.get("items") or []}
    seen = set(db.session.scalars(
        select(Item.ref).where(Item.ref.in_(refs), visible_clause(user))
    )) if refs else set()  # fmt: skip
    patterns = []
    for pattern in content.get("patterns") or []:
        items = [i for i in pattern.get("items") or [] if i["ref"] in seen]
        counts = {}
        for kind, n in (pattern.get("counts") or {}).items():
            mine = sum(1 for i in items if i["kind"] == kind)
            counts[kind] = n if details.get(kind) is not None else mine
        counts = {k: n for k, n in counts.items() if n}
        if len(counts) < 2:
            continue
        hidden = {k: n - sum(1 for i in items if i["kind"] == k) for k, n in counts.items()}
        patterns.append({**pattern, "items": items, "counts": counts,
                         "hidden": {k: n for k, n in hidden.items() if n > 0}})  # fmt: skip
    return {**content, "signals": signals, "flags": flags, "patterns": patterns}
