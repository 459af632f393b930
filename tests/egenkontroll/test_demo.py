"""The demo seed builds the three example controls over two quality years."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from kvalitet import demo
from kvalitet.core import clock
from kvalitet.egenkontroll.models import Egenkontroll, EgenkontrollPlan, EgkStatus, Kontroll
from kvalitet.extensions import db


def test_demo_seed(app, monkeypatch):
    monkeypatch.setattr(demo, "MODULES", ["egenkontroll"])
    ctx = demo.DemoContext(today=date(2026, 11, 20))
    demo.build(ctx)
    assert clock._frozen is None  # the seed restores the clock
    assert db.session.scalar(select(func.count(EgenkontrollPlan.id))) == 2
    titles = set(db.session.scalars(select(Kontroll.title)))
    assert any("skyddade personuppgifter" in t for t in titles)
    assert any("genomförandeplaner" in t for t in titles)
    assert any("Delegationsordning" in t for t in titles)
    counts = dict(
        db.session.execute(
            select(Egenkontroll.status, func.count(Egenkontroll.id)).group_by(Egenkontroll.status)
        ).all()
    )
    assert counts[EgkStatus.GENOMFORD] > 100
    assert counts[EgkStatus.MISSAD] > 0
    assert counts.get(EgkStatus.PLANERAD, 0) > 0  # ahead of today
    first = db.session.scalar(select(func.min(Egenkontroll.planned_date)))
    assert date(2025, 9, 1) <= first <= date(2025, 9, 30)  # previous quality year 2025/26
