"""Scheduled jobs of the årshjul (discovered by kvalitet.arshjul.scheduler)."""

from __future__ import annotations

from typing import Any

from kvalitet.arshjul.operations import compile_report_at_year_close, generate_occurrences

JOBS: list[dict[str, Any]] = [
    {"id": "arshjul.generate", "func": generate_occurrences, "trigger": "interval", "hours": 1},
    {
        "id": "arshjul.report_draft",
        "func": compile_report_at_year_close,
        "trigger": "cron",
        "hour": 5,
        "minute": 30,
    },
]
