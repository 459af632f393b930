"""Everything the analysis page shows for a unit and a period, as plain data (the page, the
API and the frozen snapshot of a finished analysis read the same)."""

from __future__ import annotations

from typing import Any

from kvalitet.analys.flags import find_flags, sensitivity
from kvalitet.analys.patterns import find_patterns
from kvalitet.analys.signals import compile_signals
from kvalitet.core import clock
from kvalitet.core.periods import Period
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
