"""The scheduler process: jobs from every module's jobs.py, run by APScheduler 3.x in its own
process (`flask --app kvalitet scheduler`), never inside web workers.

Only the process holding the database lease runs jobs. The lease row (holder, expires_at,
heartbeat_at) is taken and renewed with one UPDATE ... WHERE expired-or-mine, committed at
once, by a heartbeat thread (LeaseKeeper) every SCHEDULER_HEARTBEAT_SECONDS, whatever the jobs
are doing: a long job never lets the lease run out. A process that dies (kill -9, a crash, a
lost machine) stops renewing; after SCHEDULER_LEASE_SECONDS another scheduler, which tries
every heartbeat, takes the lease over, and a scheduler runs every job once (its catch-up) the
moment it gains the lease, logging at info level what it caught up. Every job is also safe to
repeat by itself (unique keys), so even two processes working at once never make anything
twice.

One unit of work per job: a job's function only flushes; `run_job` commits once at its end,
or rolls back on any error (the outbox is the one job that also commits per message, after
each SMTP conversation: see kvalitet.notify.operations.send_outbox).

Jobs are discovered from `JOBS` in `kvalitet.<module>.jobs` for every module, so a module
adds a job by listing it there; nothing here changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from kvalitet.arshjul.models import SchedulerLease
from kvalitet.core import uow
from kvalitet.extensions import db
from kvalitet.modules import MODULES

log = logging.getLogger("kvalitet.scheduler")

LEASE_NAME = "scheduler"
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

# One lock per job id: the catch-up and APScheduler's own run of a job never overlap.
_job_locks: dict[str, threading.Lock] = {}
_job_locks_guard = threading.Lock()


def _real_now() -> datetime:
    # The lease is about real processes, so it uses the real clock even when tests freeze
    # kvalitet.core.clock for time travel.
    return datetime.now(UTC)


def lease_seconds() -> int:
    return int(current_app.config.get("SCHEDULER_LEASE_SECONDS", 30))


def heartbeat_seconds(app: Flask) -> float:
    return float(app.config.get("SCHEDULER_HEARTBEAT_SECONDS", 5))


def acquire_lease(holder: str = HOLDER, seconds: int | None = None) -> bool:
    """Take or renew the lease; True if `holder` has it now."""
    ttl = lease_seconds() if seconds is None else seconds
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
        .values(holder=holder, expires_at=now + timedelta(seconds=ttl), heartbeat_at=now)
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


def lease_status() -> dict[str, Any]:
    """The lease as /healthz shows it: holder, last heartbeat, and whether it is alive (a
    heartbeat within SCHEDULER_LEASE_SECONDS)."""
    lease = db.session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
    beat = lease.heartbeat_at if lease is not None else None
    alive = beat is not None and _real_now() - beat <= timedelta(seconds=lease_seconds())
    return {
        "holder": lease.holder if lease is not None and alive else None,
        "heartbeat_at": beat.isoformat() if beat is not None else None,
        "alive": alive,
    }


class LeaseKeeper(threading.Thread):
    """The heartbeat: takes or renews the lease every SCHEDULER_HEARTBEAT_SECONDS in its own
    app context and database session, independently of how long a job runs."""

    def __init__(self, app: Flask, holder: str = HOLDER) -> None:
        super().__init__(name="kvalitet-lease", daemon=True)
        self.app, self.holder = app, holder
        self.interval = heartbeat_seconds(app)
        self.gained = threading.Event()  # set each time the lease is won (catch-up is due)
        self._stopping = threading.Event()
        self._valid_until = 0.0  # time.monotonic() until which the last renewal holds

    def holds(self) -> bool:
        return time.monotonic() < self._valid_until

    def beat(self) -> bool:
        started = time.monotonic()
        with self.app.app_context():
            try:
                ok = acquire_lease(self.holder)
                ttl = lease_seconds()
            except Exception:
                db.session.rollback()
                log.exception("lease renewal failed")
                ok, ttl = False, 0
            finally:
                db.session.remove()
        had = self.holds()
        if ok:
            # Counted from before the UPDATE, and a heartbeat short: on the safe side.
            self._valid_until = started + max(0.0, ttl - self.interval)
            if not had:
                log.info("scheduler %s holds the lease", self.holder)
                self.gained.set()
        else:
            self._valid_until = 0.0
            if had:
                log.warning("scheduler %s lost the lease", self.holder)
        return ok

    def run(self) -> None:
        while not self._stopping.is_set():
            self.beat()
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=self.interval + 5)


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


def _lock_for(job_id: str) -> threading.Lock:
    with _job_locks_guard:
        return _job_locks.setdefault(job_id, threading.Lock())


def _run(
    app: Flask, job: dict[str, Any], use_lease: bool = True, keeper: LeaseKeeper | None = None
) -> tuple[bool, Any]:
    """Run one job as one unit of work (commit at its end, roll back on error) if this
    process holds the lease: by the heartbeat thread's `keeper`, or else by taking it now.
    Errors are logged and rolled back; the next run tries again."""
    func: Callable[[], Any] = job["func"]
    lock = _lock_for(str(job["id"]))
    if not lock.acquire(blocking=False):
        log.info("job %s is already running; skipped", job["id"])
        return False, None
    try:
        with app.app_context():
            try:
                if keeper is not None:
                    if not keeper.holds():
                        log.debug("lease held by another scheduler; skipping %s", job["id"])
                        return False, None
                elif use_lease and not acquire_lease():
                    log.debug("lease held by another scheduler; skipping %s", job["id"])
                    return False, None
                result = _one_unit(func)
                log.info("job %s done: %s", job["id"], result)
                return True, result
            except Exception:
                db.session.rollback()
                log.exception("job %s failed", job["id"])
                return False, None
            finally:
                db.session.remove()
    finally:
        lock.release()


def _one_unit(func: Callable[[], Any]) -> Any:
    """Run `func` as one unit of work (kvalitet.core.uow): declared as a writer (SQLite:
    BEGIN IMMEDIATE), committed once at its end, rolled back on any error. A busy SQLite
    ("database is locked" beyond the busy timeout) runs the whole unit again from the start,
    a few times."""
    for attempt in range(4):
        try:
            with uow.unit_of_work():
                return func()
        except OperationalError as error:
            if attempt == 3 or not uow.is_retryable(error):
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def run_job(
    app: Flask, job: dict[str, Any], use_lease: bool = True, keeper: LeaseKeeper | None = None
) -> bool:
    return _run(app, job, use_lease, keeper)[0]


def ordered_jobs() -> list[dict[str, Any]]:
    # Notification jobs last, so reminders and mails cover tasks generated in the same round.
    return sorted(discover_jobs(), key=lambda j: str(j["id"]).startswith("notify."))


def run_all_once(
    app: Flask, use_lease: bool = True, keeper: LeaseKeeper | None = None
) -> dict[str, bool]:
    """Every job once, in declaration order (the catch-up, and `scheduler --once`)."""
    return {job["id"]: run_job(app, job, use_lease, keeper) for job in ordered_jobs()}


def catch_up(app: Flask, keeper: LeaseKeeper) -> dict[str, Any]:
    """Every job once, right after this process gained the lease (at start, or on taking
    over from a scheduler that stopped renewing), logged at info level."""
    log.info("scheduler %s catching up: running every job once", keeper.holder)
    results: dict[str, Any] = {}
    for job in ordered_jobs():
        ran, result = _run(app, job, keeper=keeper)
        results[job["id"]] = result if ran else "kördes inte"
    log.info(
        "catch-up done: %s", ", ".join(f"{job_id}={value}" for job_id, value in results.items())
    )
    return results


def run_forever(app: Flask) -> None:  # pragma: no cover - a blocking process (tested as one)
    from apscheduler.schedulers.background import BackgroundScheduler

    tz = str(app.config.get("TIMEZONE", "Europe/Stockholm"))
    keeper = LeaseKeeper(app)
    scheduler = BackgroundScheduler(timezone=tz)
    for job in discover_jobs():
        spec = dict(job)
        job_id, trigger = spec.pop("id"), spec.pop("trigger")
        spec.pop("func")
        scheduler.add_job(
            run_job, trigger, args=[app, job], kwargs={"keeper": keeper}, id=job_id,
            name=job_id, coalesce=True, max_instances=1, misfire_grace_time=3600, **spec,
        )  # fmt: skip
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    # SIGTERM (scripts/run.sh, systemd) stops cleanly and hands the lease over at once.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "scheduler %s starting with %d jobs; lease %ss, heartbeat %ss",
        HOLDER, len(scheduler.get_jobs()), app.config.get("SCHEDULER_LEASE_SECONDS", 30),
        keeper.interval,
    )  # fmt: skip
    keeper.start()
    scheduler.start()
    try:
        while not stopping.is_set():
            # Catch up whenever the lease is gained: at start, or on taking it over.
            if keeper.gained.wait(timeout=0.5) and not stopping.is_set():
                keeper.gained.clear()
                catch_up(app, keeper)
    finally:
        scheduler.shutdown(wait=True)
        keeper.stop()
        with app.app_context():
            release_lease()
        log.info("scheduler %s stopped", HOLDER)
