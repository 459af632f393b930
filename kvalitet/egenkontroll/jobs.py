"""Scheduler jobs of the egenkontroll module (discovered by the scheduler as JOBS)."""

from __future__ import annotations

from kvalitet.egenkontroll.operations import generate_due_occurrences

JOBS = [
    {"id": "egenkontroll.generate", "func": generate_due_occurrences, "trigger": "cron",
     "minute": "5"},
]  # fmt: skip
