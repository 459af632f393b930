from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.mal import queries, report
from kvalitet.mal.models import (
    MalBedomning,
    MalRapportVersion,
    Uppfoljningsuppgift,
    Utfall,
    Verksamhetsplan,
)


@pytest.mark.long
def test_demo_has_two_years_of_follow_up(app: Any, monkeypatch: Any) -> None:
    import kvalitet.demo as demo

    clock.freeze(datetime(2026, 12, 1, 9, 0))
    monkeypatch.setattr(
        demo, "MODULES", ["atgarder", "avvikelser", "lexsarah", "synpunkter", "egenkontroll", "mal"]
    )
    demo.build()
    plans = db.session.scalars(select(Verksamhetsplan).order_by(Verksamhetsplan.year)).all()
    assert [(p.year, p.unit.name) for p in plans][:2] == [
        (2025, "Socialförvaltning Centrum"),
        (2026, "Socialförvaltning Centrum"),
    ]
    assert any(p.parent_plan_id == plans[1].id for p in plans)
    inds = queries.all_indikatorer(plans[1])
    assert {i.unit_of_measure for i in inds} == {"procent", "antal", "dagar", "janej", "skala"}
    assert {i.direction for i in inds} >= {"hogre", "lagre", "exakt", "intervall"}
    assert any(i.measure for i in inds) and any(i.by_sex for i in inds)
    values = queries.utfall_map(inds)
    assert any(u.computed and u.value is not None for u in values.values())
    assert db.session.scalar(select(Utfall).where(Utfall.value_k.is_not(None))) is not None
    assert db.session.scalars(select(MalBedomning)).first() is not None
    version = db.session.scalar(select(MalRapportVersion))
    assert version is not None and version.period == "T2" and report.verify(version)
    board = queries.board_counts(queries.board(plans[1], "T2"))
    assert board["rapporterad"] > 0 and board["forsenad"] == 1
    assert db.session.scalar(select(Uppfoljningsuppgift)) is not None
    assert queries.internkontroller(plans[1])
    clock.freeze(None)
