"""Scheduled jobs of mål och indikatorer (discovered by kvalitet.arshjul.scheduler): the
follow-up tasks before each deadline, and the utfall of Kvalitet's own measures when a
period has closed. Both are safe to repeat."""

from __future__ import annotations

from typing import Any

from kvalitet.mal.operations import fill_closed_periods, generate_tasks


def fill_measures() -> int:
    return fill_closed_periods()


JOBS: list[dict[str, Any]] = [
    {"id": "mal.tasks", "func": generate_tasks, "trigger": "cron", "hour": 5, "minute": 40},
    {"id": "mal.measures", "func": fill_measures, "trigger": "cron", "hour": 5, "minute": 45},
]
