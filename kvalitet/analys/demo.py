"""Demo: the typical year's analysis activities are analyses; the tasks of the last half
year get their analysis, the older ones with a conclusion and the step "klar"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kvalitet.analys.models import AnalysPlan
from kvalitet.analys.operations import create_for_task, mark_typical_year
from kvalitet.arshjul.models import ArshjulUppgift
from kvalitet.demo import DemoContext
from kvalitet.extensions import db


def seed(ctx: DemoContext) -> None:
    mark_typical_year()
    planned = select(AnalysPlan.aktivitet_id)
    tasks = db.session.scalars(
        select(ArshjulUppgift)
        .where(
            ArshjulUppgift.aktivitet_id.in_(planned),
            ArshjulUppgift.planned_date >= ctx.today - timedelta(days=200),
        )
        .order_by(ArshjulUppgift.planned_date)
    ).all()
    for task in tasks:
        create_for_task(task)
    db.session.flush()
