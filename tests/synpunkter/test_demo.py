"""The demo data of synpunkter: realistic spread, every step, and statistics that add up."""

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.periods import current_quality_year
from kvalitet.demo import DemoContext
from kvalitet.extensions import db
from kvalitet.synpunkter import demo
from kvalitet.synpunkter.models import Synpunkt
from kvalitet.synpunkter.stats import statistics


def test_demo_seed(app, org):
    units = {u.name: u for u in (org.namnd, org.forv, org.avd_a, org.a1, org.a2, org.avd_b, org.b1)}
    ctx = DemoContext(
        units=units,
        users={"registrator": org.registrator},
        chefs={"Enhet A1": org.chef_a1, "Enhet A2": org.chef_a2, "Enhet B1": org.chef_b1},
        staff={"Enhet A1": [org.med_a1], "Enhet A2": [org.med_a2]},
    )
    frozen_before = clock._frozen
    demo.seed(ctx)
    assert clock._frozen == frozen_before
    statuses = dict(
        db.session.execute(select(Synpunkt.status, func.count()).group_by(Synpunkt.status)).all()
    )
    assert sum(statuses.values()) == 70
    assert statuses.get("besvarad", 0) > 20 and statuses.get("avslutad", 0) > 0
    numbers = db.session.scalars(select(Synpunkt.diarienummer)).all()
    assert len(set(numbers)) == len(numbers)
    stats = statistics(org.namnd, current_quality_year())
    previous = statistics(org.namnd, current_quality_year().previous_year())
    assert stats["total"] > 0 and previous["total"] > 0
    assert 0 < (previous["answer_share"] or 0) < 1
