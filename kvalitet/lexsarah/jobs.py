"""Scheduler jobs of the lex Sarah module (discovered by the scheduler as JOBS)."""

from __future__ import annotations

from kvalitet.lexsarah.operations import send_reminders


def remind_ivo_deadlines() -> None:
    """Daily: remind SAS of investigations that must reach IVO (idempotent per day)."""
    send_reminders()


JOBS = [
    {"id": "lexsarah.ivo_reminders", "func": remind_ivo_deadlines, "trigger": "cron",
     "hour": "6", "minute": "20"},
]  # fmt: skip
