from __future__ import annotations

from kvalitet.avvikelser.models import Avvikelse, AvvikelseStatus
from kvalitet.avvikelser.stats import statistics
from kvalitet.core.periods import current_quality_year
from kvalitet.extensions import db
from kvalitet.risker.models import Risk


def test_demo_seeds_realistic_items(app, monkeypatch):  # type: ignore[no-untyped-def]
    import kvalitet.demo as demo

    monkeypatch.setattr(demo, "MODULES", ["atgarder", "avvikelser", "risker"])
    ctx = demo.build()
    items = db.session.scalars(db.select(Avvikelse)).all()
    assert len(items) > 50
    assert {i.status for i in items} >= {AvvikelseStatus.AVSLUTAD, AvvikelseStatus.RAPPORTERAD}
    assert db.session.scalars(db.select(Risk)).first() is not None
    root = ctx.units["Socialförvaltning Centrum"]
    stats = statistics(root, current_quality_year().previous_year())
    assert stats["total"] > 0 and "Förvaltarenheten" in stats["underreporting"]
