"""A generated city in miniature for the statistics tests: the bench generator's items over
two quality years, plus what it does not make (causes, answers to questions, answer days,
age groups, cancelled items, items without a category)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update

from bench.rapport_times import build_org
from kvalitet.avvikelser.models import ALDERSGRUPPER, Avvikelse, AvvikelseOrsak, Orsak
from kvalitet.core.periods import quality_year
from kvalitet.egenkontroll.models import Egenkontroll, Fraga, Kontroll, SvarRad
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import Unit, UnitKind
from kvalitet.synpunkter.models import Synpunkt


def generated_city(items: int = 3000, seed: int = 5) -> dict[str, Any]:
    from bench.generate import generate

    rng = random.Random(seed)  # noqa: S311 repeatable test data
    forv, enheter, user = build_org()
    year = quality_year(2025)
    generate(items, year, forv, enheter, seed=seed)
    generate(items // 2, year.previous_year(), forv, enheter, seed=seed + 1)
    ids = list(db.session.scalars(select(Item.id).order_by(Item.id)))
    cancelled = rng.sample(ids, len(ids) // 20)
    db.session.execute(
        update(Item).where(Item.id.in_(cancelled)).values(cancelled_at=Item.created_at)
    )
    avv = list(db.session.scalars(select(Avvikelse.id)))
    causes = [
        {"avvikelse_id": i, "orsak": str(o)}
        for i in rng.sample(avv, len(avv) // 3)
        for o in rng.sample(list(Orsak), rng.randrange(1, 3))
    ]
    db.session.execute(insert(AvvikelseOrsak), causes)
    ages = list(ALDERSGRUPPER)
    for i in rng.sample(avv, len(avv) // 4):
        db.session.execute(
            update(Avvikelse).where(Avvikelse.id == i).values(age_group=rng.choice(ages))
        )
    db.session.execute(
        update(Avvikelse)
        .where(Avvikelse.id.in_(rng.sample(avv, len(avv) // 10)))
        .values(category_id=None)
    )
    for i in db.session.scalars(select(Synpunkt.id)):
        if rng.random() < 0.7:
            db.session.execute(
                update(Synpunkt).where(Synpunkt.id == i).values(answer_days=rng.randrange(40))
            )
    kontroller = list(db.session.scalars(select(Kontroll)))
    fragor = []
    for kontroll in kontroller:
        for n in range(3):
            fraga = Fraga(kontroll_id=kontroll.id, text=f"Fråga {n + 1} om {kontroll.title}",
                          sort_order=n)  # fmt: skip
            db.session.add(fraga)
            fragor.append(fraga)
    db.session.flush()
    by_kontroll: dict[int, list[Fraga]] = {}
    for fraga in fragor:
        by_kontroll.setdefault(fraga.kontroll_id, []).append(fraga)
    rows = []
    performed = db.session.execute(
        select(Egenkontroll.id, Egenkontroll.kontroll_id).where(Egenkontroll.status == "genomford")
    ).all()
    for egk_id, kontroll_id in performed:
        for fraga in by_kontroll.get(kontroll_id, []):
            for case_no in range(1, 3):
                rows.append({"egenkontroll_id": egk_id, "fraga_id": fraga.id, "case_no": case_no,
                             "answer": rng.choice(["ja", "nej", "ej_aktuellt"])})  # fmt: skip
    if rows:
        db.session.execute(insert(SvarRad), rows)
    db.session.commit()
    avdelningar = list(
        db.session.scalars(select(Unit).where(Unit.kind == UnitKind.AVDELNING).order_by(Unit.id))
    )
    return {"forv": forv, "avdelningar": avdelningar, "enheter": enheter, "user": user,
            "year": year, "days": timedelta(days=1)}  # fmt: skip
