"""The follow-up as work: tasks in Mina ärenden before each deadline, closed when everything
is reported, reminders by the shared machinery, and the board's reported/missing/late."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.queries import inbox_query
from kvalitet.mal import jobs, periods, queries
from kvalitet.mal import operations as ops
from kvalitet.mal.models import Uppfoljningsuppgift, UppfStatus
from kvalitet.notify.operations import send_reminders
from tests.mal.helpers import plan_with_goal


def test_deadlines_per_period(app: Any) -> None:
    assert periods.deadline(2026, "T1") == date(2026, 5, 15)
    assert periods.deadline(2026, "T2") == date(2026, 9, 15)
    assert periods.deadline(2026, "T3") == date(2027, 1, 31)
    assert periods.deadline(2026, "AR") == date(2027, 1, 31)
    assert periods.deadline(2026, "M03") == date(2026, 4, 15)
    app.config["MAL_DEADLINES"] = {"T2": "09-30"}
    app.config["MAL_CUMULATIVE_PERIODS"] = True
    with app.test_request_context():
        assert periods.deadline(2026, "T2") == date(2026, 9, 30)
        assert periods.period_of(2026, "T2").start == date(2026, 1, 1)


def test_tasks_appear_before_deadline_and_close_when_reported(org: Any) -> None:
    data = plan_with_goal(org)
    clock.freeze(datetime(2026, 4, 20, 8, 0))
    assert ops.generate_tasks() == 0  # T1 deadline 15 May is more than 21 days away
    clock.freeze(datetime(2026, 4, 25, 8, 0))
    assert jobs.generate_tasks() == 1  # T1
    clock.freeze(datetime(2026, 8, 26, 8, 0))
    assert jobs.generate_tasks() == 1  # one responsible person for T2
    assert ops.generate_tasks() == 0  # never twice
    task = db.session.scalar(select(Uppfoljningsuppgift).where(Uppfoljningsuppgift.period == "T2"))
    assert task is not None
    assert (task.owner_id, task.period, task.due_date) == (org.chef_a1.id, "T2", date(2026, 9, 15))
    mine = list(db.session.scalars(inbox_query(org.chef_a1)))
    assert task in mine
    rows = queries.board(data["plan"], "T2")
    assert queries.board_counts(rows) == {"rapporterad": 0, "saknas": 2, "forsenad": 0}
    clock.freeze(datetime(2026, 9, 8, 8, 0))
    assert send_reminders() >= 1  # the shared reminder machinery picks the task up
    ops.save_utfall(org.chef_a1, data["share"], "T2", value=81, value_k=80, value_m=82)
    assert task.status == UppfStatus.ATT_RAPPORTERA  # one still missing
    clock.freeze(datetime(2026, 9, 16, 8, 0))
    rows = queries.board(data["plan"], "T2")
    assert queries.board_counts(rows) == {"rapporterad": 1, "saknas": 0, "forsenad": 1}
    ops.save_utfall(org.chef_a1, data["count"], "T2", value=7)
    db.session.refresh(task)
    assert task.status == UppfStatus.RAPPORTERAD and task.closed_at is not None
    assert task not in list(db.session.scalars(inbox_query(org.chef_a1)))
    clock.freeze(None)
