"""The scheduler process: jobs from every module's jobs.py, run by APScheduler 3.x in its own
process (`flask --app kvalitet scheduler`), never inside web workers.

Only the process holding the database lease runs jobs. The lease row (holder, expires_at) is
taken with one UPDATE ... WHERE expired-or-mine, committed at once; a process that dies lets
the lease expire and another takes over. Every job is also safe to repeat by itself (unique
keys), so even two processes working at once never make anything twice.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import signal
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from kvalitet.arshjul.models import SchedulerLease
from kvalitet.core import uow
from kvalitet.extensions import db
from kvalitet.modules import MODULES

log = logging.getLogger("kvalitet.scheduler")

LEASE_NAME = "scheduler"
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _real_now() -> datetime:
    # The lease is about real processes, so it uses the real clock even when tests freeze
    # kvalitet.core.clock for time travel.
    return datetime.now(UTC)


def acquire_lease(holder: str = HOLDER, seconds: int | None = None) -> bool:
    """Take or renew the lease; True if `holder` has it now."""
    ttl = seconds or int(current_app.config.get("SCHEDULER_LEASE_SECONDS", 300))
    now = _real_now()
    if db.session.get(SchedulerLease, LEASE_NAME) is None:
        try:
            db.session.add(
                SchedulerLease(name=LEASE_NAME, holder="", expires_at=now - timedelta(seconds=1))
            )
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
    db.session.rollback()  # start the UPDATE in a fresh transaction (SQLite: no stale snapshot)
    result = db.session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == LEASE_NAME,
            or_(SchedulerLease.expires_at < now, SchedulerLease.holder == holder),
        )
        .values(holder=holder, expires_at=now + timedelta(seconds=ttl))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_lease(holder: str = HOLDER) -> None:
    db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder)
        .values(expires_at=_real_now() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def discover_jobs() -> list[dict[str, Any]]:
    """JOBS of kvalitet.<module>.jobs for every module in kvalitet.modules.MODULES."""

    jobs: list[dict[str, Any]] = []
    for name in MODULES:
        module_name = f"kvalitet.{name}.jobs"
        if importlib.util.find_spec(module_name) is None:
            continue
        for job in getattr(importlib.import_module(module_name), "JOBS", []):
            jobs.append(dict(job))
    return jobs


def run_job(app: Flask, job: dict[str, Any], use_lease: bool = True) -> bool:
    """Run one job inside an app context if this process holds the lease. Errors are logged
    and rolled back; the next run tries again."""
    func: Callable[[], Any] = job["func"]
    with app.app_context():
        try:
            if use_lease and not acquire_lease():
                log.debug("lease held by another scheduler; skipping %s", job["id"])
                return False
            with uow.unit_of_work():  # the job is one unit: committed at its end, or rolled back
                result = func()
            log.info("job %s done: %s", job["id"], result)
            return True
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job["id"])
            return False
        finally:
            db.session.remove()


def run_all_once(app: Flask, use_lease: bool = True) -> dict[str, bool]:
    """Every job once, in declaration order (startup catch-up, and `scheduler --once`)."""
    # Notification jobs last, so reminders and mails cover tasks generated in the same round.
    jobs = sorted(discover_jobs(), key=lambda j: str(j["id"]).startswith("notify."))
    return {job["id"]: run_job(app, job, use_lease) for job in jobs}


def run_forever(app: Flask) -> None:  # pragma: no cover - a blocking process
    from apscheduler.schedulers.blocking import BlockingScheduler

    tz = str(app.config.get("TIMEZONE", "Europe/Stockholm"))
    scheduler = BlockingScheduler(timezone=tz)
    # Catch up first: after downtime every job runs once at start.
    run_all_once(app)
    for job in discover_jobs():
        spec = dict(job)
        job_id, trigger = spec.pop("id"), spec.pop("trigger")
        spec.pop("func")
        scheduler.add_job(
            run_job, trigger, args=[app, job], id=job_id, name=job_id, coalesce=True,
            max_instances=1,
            misfire_grace_time=3600, **spec,
        )  # fmt: skip
    log.info("scheduler %s starting with %d jobs", HOLDER, len(scheduler.get_jobs()))

    def stop(signum: int, frame: Any) -> None:
        scheduler.shutdown(wait=False)

    # SIGTERM (scripts/run.sh, systemd) stops cleanly and hands the lease over at once.
    signal.signal(signal.SIGTERM, stop)
    try:
        scheduler.start()
    finally:
        with app.app_context():
            release_lease()
