"""Demo årshjul: the typical year from the start of the previous quality year, its tasks up to
now, most of them done, some not, a few overdue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kvalitet.arshjul.models import ArshjulUppgift, ArsStatus
from kvalitet.arshjul.operations import generate_occurrences
from kvalitet.arshjul.reference import seed_typical_year
from kvalitet.core import clock
from kvalitet.core.periods import quality_year_of
from kvalitet.demo import DemoContext
from kvalitet.extensions import db


def seed(ctx: DemoContext) -> None:
    today = ctx.today
    start = quality_year_of(today).previous_year().start
    made = seed_typical_year(start)
    db.session.flush()
    for akt in made:
        akt.created_at = clock.local_midnight_utc(start)
    db.session.flush()
    generate_occurrences(since=start, until=today + timedelta(days=45))
    tasks = db.session.scalars(
        select(ArshjulUppgift).where(ArshjulUppgift.planned_date < today - timedelta(days=3))
    )
    for task in tasks:
        roll = ctx.rng.random()
        if roll < 0.82:
            task.status = ArsStatus.GENOMFORD
            done_day = task.planned_date - timedelta(days=ctx.rng.randint(0, 5))
            task.closed_at = clock.local_midnight_utc(done_day) + timedelta(hours=10)
        elif roll < 0.9:
            task.status = ArsStatus.EJ_GENOMFORD
            task.closed_at = clock.local_midnight_utc(task.planned_date) + timedelta(hours=15)
        # the rest stay open: overdue
    db.session.flush()
