"""The scheduler's lease, its heartbeat and job discovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from kvalitet.arshjul import scheduler
from kvalitet.arshjul.models import SchedulerLease
from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import Notification, ReminderKey
from tests.notify.helpers import make_action


def test_lease_first_taker_wins_until_it_expires_or_is_released(app):
    assert scheduler.acquire_lease("a", seconds=60)  # a fresh database: the first try wins
    assert scheduler.acquire_lease("a", seconds=60)  # renewal
    assert not scheduler.acquire_lease("b", seconds=60)
    scheduler.release_lease("a")
    assert scheduler.acquire_lease("b", seconds=60)
    assert not scheduler.acquire_lease("a", seconds=60)
    assert scheduler.acquire_lease("b", seconds=-5)  # renew into the past: expired
    assert scheduler.acquire_lease("a", seconds=60)


def test_heartbeat_keeps_the_lease_through_a_job_longer_than_the_lease(app):
    app.config.update(SCHEDULER_LEASE_SECONDS=2, SCHEDULER_HEARTBEAT_SECONDS=0.3)
    keeper = scheduler.LeaseKeeper(app, holder="keeper")
    keeper.start()
    try:
        assert keeper.gained.wait(5)
        time.sleep(3)  # a "job" running longer than the lease: the thread keeps renewing
        assert keeper.holds()
        assert not scheduler.acquire_lease("other")
        db.session.remove()
        lease = db.session.get(SchedulerLease, scheduler.LEASE_NAME)
        assert lease.holder == "keeper" and lease.heartbeat_at is not None
        assert scheduler.lease_status()["alive"]
    finally:
        keeper.stop()  # stops renewing, as a killed process would (no release)
    assert not scheduler.acquire_lease("other")  # still within the grace
    time.sleep(2.2)
    assert scheduler.acquire_lease("other")  # taken over after the grace
    keeper.beat()
    assert not keeper.holds()


def test_a_waiting_process_runs_no_job(app):
    app.config.update(SCHEDULER_LEASE_SECONDS=60)
    assert scheduler.acquire_lease("someone-else")
    keeper = scheduler.LeaseKeeper(app, holder="waiting")
    assert not keeper.beat() and not keeper.holds()
    calls = []
    job = {"id": "test.job", "func": lambda: calls.append(1), "trigger": "interval"}
    assert not scheduler.run_job(app, job, keeper=keeper)
    assert calls == []


def test_a_job_is_one_unit_of_work_committed_at_its_end_or_rolled_back(app, org):
    from kvalitet.arshjul.models import OnceMarker

    def good():
        db.session.add(OnceMarker(key="good"))

    def bad():
        db.session.add(OnceMarker(key="bad"))
        db.session.flush()
        raise RuntimeError("boom")

    assert scheduler.run_job(app, {"id": "t.good", "func": good}, use_lease=False)
    assert not scheduler.run_job(app, {"id": "t.bad", "func": bad}, use_lease=False)
    keys = set(db.session.scalars(select(OnceMarker.key)))
    assert "good" in keys and "bad" not in keys
    assert db.session.scalar(select(func.count()).select_from(OnceMarker)) == 1


def test_jobs_are_discovered_from_every_module(app):
    ids = {job["id"] for job in scheduler.discover_jobs()}
    assert {"arshjul.generate", "arshjul.report_draft", "notify.reminders",
            "notify.escalation", "notify.digests", "notify.outbox"} <= ids  # fmt: skip
    for job in scheduler.discover_jobs():
        assert callable(job["func"]) and job["trigger"] in ("interval", "cron")


def test_run_all_once_runs_every_job_and_notify_last(app):
    results = scheduler.run_all_once(app)
    assert all(results.values()), results
    order = list(results)
    assert order[-1].startswith("notify.") and not order[0].startswith("notify.")


def test_catch_up_logs_what_it_did_at_info(app, caplog):
    keeper = scheduler.LeaseKeeper(app, holder="catcher")
    assert keeper.beat()
    with caplog.at_level("INFO", logger="kvalitet.scheduler"):
        results = scheduler.catch_up(app, keeper)
    assert set(results) == {job["id"] for job in scheduler.discover_jobs()}
    assert any("catch-up done" in r.message and "notify.reminders=0" in r.message
               for r in caplog.records if r.levelname == "INFO")  # fmt: skip


# --- two real scheduler processes and kill -9 -------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _start(app, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ)
    env.update(
        KVALITET_DATABASE_URL=str(app.config["SQLALCHEMY_DATABASE_URI"]),
        KVALITET_INSTANCE_PATH=str(tmp_path / "instance"),
        KVALITET_SECRET_KEY="test-secret",
        KVALITET_MAIL_SERVER="",
        KVALITET_SCHEDULER_LEASE_SECONDS="6",
        KVALITET_SCHEDULER_HEARTBEAT_SECONDS="1",
    )
    log_path = tmp_path / f"{name}.log"
    with log_path.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "kvalitet", "scheduler"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    return proc, log_path


def _holder() -> str | None:
    db.session.rollback()  # a fresh snapshot
    lease = db.session.get(SchedulerLease, scheduler.LEASE_NAME)
    if lease is None or lease.expires_at < datetime.now(UTC):
        return None
    return lease.holder


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def _make(org, due) -> int:
    # SQLite: this test's write may race the holder's heartbeat commit ("database is
    # locked" on a read transaction turning into a write); try again, as a user would.
    for attempt in range(20):
        try:
            return make_action(org, due).id
        except OperationalError:
            db.session.rollback()
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("could not create the test item")


def _reminders() -> dict[int, int]:
    db.session.rollback()
    return dict(
        db.session.execute(
            select(Notification.item_id, func.count(Notification.id))
            .where(Notification.purpose == "paminnelse")
            .group_by(Notification.item_id)
        ).all()
    )


@pytest.mark.slow
@pytest.mark.long
def test_kill_9_of_the_holder_then_a_new_scheduler_catches_up_within_a_minute_once(
    app, org, tmp_path
):
    db.session.commit()
    first, first_log = _start(app, tmp_path, "first")
    second = third = None
    try:
        assert _wait(lambda: (_holder() or "").split(":")[1:2] == [str(first.pid)], 60), (
            first_log.read_text()
        )
        assert _wait(lambda: "catch-up done" in first_log.read_text(), 60)
        second, second_log = _start(app, tmp_path, "second")
        time.sleep(3)  # the second waits: the first renews its lease every second
        assert str(first.pid) in (_holder() or "")
        # Work becomes due while the first holds the lease; its next reminder run would be
        # in 30 minutes.
        today = clock.today()
        item_ids = [_make(org, today + timedelta(days=n % 2)) for n in range(12)]
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        third, third_log = _start(app, tmp_path, "third")
        started = time.monotonic()
        assert _wait(lambda: len(_reminders()) == len(item_ids), 60), (
            second_log.read_text() + third_log.read_text()
        )
        assert time.monotonic() - started < 60
        time.sleep(4)  # both survivors keep running: still nothing twice
        assert _reminders() == {item_id: 1 for item_id in item_ids}
        assert db.session.scalar(select(func.count(ReminderKey.id))) == len(item_ids)
        holder_pid = int((_holder() or "::").split(":")[1])
        assert holder_pid in (second.pid, third.pid)
        new_log = (second_log if holder_pid == second.pid else third_log).read_text()
        assert "holds the lease" in new_log and "catch-up done" in new_log
        assert "notify.reminders=" in new_log
    finally:
        for proc in (first, second, third):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    # SIGTERM stops cleanly and hands the lease over at once.
    assert _holder() is None
