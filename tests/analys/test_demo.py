"""The demo: the typical year's analysis activities are analyses, and the last half year's
analysis tasks have their analysis items, linked to their årshjul tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from kvalitet.analys.models import Analys, AnalysPlan
from kvalitet.core import clock
from kvalitet.extensions import db


def test_demo_makes_the_analysis_tasks(app: Any, monkeypatch: Any) -> None:
    import kvalitet.demo as demo

    clock.freeze(datetime(2026, 12, 1, 9, 0))
    monkeypatch.setattr(demo, "MODULES", ["atgarder", "avvikelser", "arshjul", "analys"])
    demo.build()
    assert db.session.scalar(select(func.count()).select_from(AnalysPlan)) == 2
    made = db.session.scalars(select(Analys)).all()
    assert made
    assert all(a.task_id is not None and a.owner_id is not None for a in made)
    assert {(a.period_end - a.period_start).days > 80 for a in made} == {True}
