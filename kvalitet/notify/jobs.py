"""Scheduled jobs of notifications (discovered by kvalitet.arshjul.scheduler). All are safe
to repeat, so they run often and catch up after downtime."""

from __future__ import annotations

from typing import Any

from kvalitet.notify.operations import escalate_overdue, make_digests, send_outbox, send_reminders

JOBS: list[dict[str, Any]] = [
    {"id": "notify.reminders", "func": send_reminders, "trigger": "interval", "minutes": 30},
    {"id": "notify.escalation", "func": escalate_overdue, "trigger": "interval", "minutes": 30},
    {"id": "notify.digests", "func": make_digests, "trigger": "interval", "minutes": 15},
    {"id": "notify.outbox", "func": send_outbox, "trigger": "interval", "minutes": 1},
]
