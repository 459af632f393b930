"""Scheduler jobs of the sso module (discovered by the scheduler as JOBS)."""

from __future__ import annotations

from flask import current_app

from kvalitet.sso.operations import deactivate_stale


def deactivate_departed() -> int:
    """Nightly: deactivate provider-only accounts not seen for SSO_DEACTIVATE_AFTER_DAYS days
    (0 = off)."""
    days = int(current_app.config.get("SSO_DEACTIVATE_AFTER_DAYS") or 0)
    return len(deactivate_stale(days)) if days > 0 else 0


JOBS = [
    {"id": "sso.deactivate_departed", "func": deactivate_departed, "trigger": "cron",
     "hour": "2", "minute": "40"},
]  # fmt: skip
