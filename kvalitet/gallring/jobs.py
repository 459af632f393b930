"""Scheduler jobs of the gallring module (discovered by the scheduler as JOBS)."""

from __future__ import annotations

from kvalitet.gallring.operations import run


def nightly_gallring() -> int:
    """Nightly: apply every active retention rule (the run writes the gallringslogg)."""
    return sum(log.item_count for log in run(None))


JOBS = [
    {"id": "gallring.nightly", "func": nightly_gallring, "trigger": "cron",
     "hour": "2", "minute": "40"},
]  # fmt: skip
