"""Two real scheduler processes on the same database make each reminder exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import Notification, ReminderKey
from tests.notify.helpers import make_action

ROOT = Path(__file__).resolve().parents[2]


def _start(app, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        KVALITET_DATABASE_URL=str(app.config["SQLALCHEMY_DATABASE_URI"]),
        KVALITET_INSTANCE_PATH=str(tmp_path / "instance"),
        KVALITET_SECRET_KEY="test-secret",
        KVALITET_MAIL_SERVER="",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "kvalitet", "scheduler", "--once", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.mark.parametrize("args", [(), ("--no-lease",)], ids=["with-lease", "without-lease"])
def test_two_processes_make_each_reminder_once(app, org, tmp_path, args):
    today = clock.today()
    item_ids = [make_action(org, today + timedelta(days=n % 2)).id for n in range(30)]
    db.session.remove()
    procs = [_start(app, tmp_path, *args) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert db.session.scalar(select(func.count(ReminderKey.id))) == 30
    per_item = dict(
        db.session.execute(
            select(Notification.item_id, func.count(Notification.id))
            .where(Notification.purpose == "paminnelse")
            .group_by(Notification.item_id)
        ).all()
    )
    assert per_item == {item_id: 1 for item_id in item_ids}
    # With the lease only one of the two processes ran the jobs.
    if not args:
        ran = ["notify.reminders: kördes\n" in out for out in outputs]
        assert sorted(ran) == [False, True] or all(ran), outputs
