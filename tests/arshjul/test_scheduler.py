"""The scheduler's lease and job discovery."""

from __future__ import annotations

from kvalitet.arshjul import scheduler


def test_lease_first_taker_wins_until_it_expires_or_is_released(app):
    assert scheduler.acquire_lease("a", seconds=60)  # a fresh database: the first try wins
    assert scheduler.acquire_lease("a", seconds=60)  # renewal
    assert not scheduler.acquire_lease("b", seconds=60)
    scheduler.release_lease("a")
    assert scheduler.acquire_lease("b", seconds=60)
    assert not scheduler.acquire_lease("a", seconds=60)
    assert scheduler.acquire_lease("b", seconds=-5)  # renew into the past: expired
    assert scheduler.acquire_lease("a", seconds=60)


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
