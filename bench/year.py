"""One quality year of items at the demo förvaltning's tree (the report benchmark,
bench/rapport_times.py): N realistic items over a quality
year, written with bulk inserts (Core executemany, a few thousand rows a statement).

Kinds and shares: avvikelser 55 %, synpunkter 15 %, egenkontroller 12 %, förbättringsåtgärder
8 %, lex Sarah 3 %, the rest avvikelser again; only kinds that are registered are made.
Columns the generator does not know are filled from their type when they are required.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, String, func, insert, select, text
from sqlalchemy.types import JSON

from kvalitet.core.periods import Period
from kvalitet.core.registry import all_kinds
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry, QualityArea, item_quality_area
from kvalitet.org.models import Unit, UnitKind, User

SHARES = [("AVV", 0.62), ("SYN", 0.15), ("EGK", 0.12), ("ATG", 0.08), ("LXS", 0.03)]
CHUNK = 5000


def build_org() -> tuple[Unit, list[Unit], User]:
    """The demo förvaltning's tree (no demo items) and one kvalitetsutvecklare."""
    from kvalitet.demo import TREE
    from kvalitet.org.operations import create_unit, create_user, grant_role

    namnd = create_unit(None, "Socialnämnd Bench", UnitKind.NAMND, None)
    forv = create_unit(None, "Socialförvaltning Bench", UnitKind.FORVALTNING, namnd)
    enheter = []
    for avd_name, names in TREE.items():
        avd = create_unit(None, avd_name, UnitKind.AVDELNING, forv)
        enheter += [create_unit(None, n, UnitKind.ENHET, avd) for n in names]
    user = create_user(None, name="Bench Kvalitet", email="bench@example.se", password="x" * 12,
                       home_unit=forv)  # fmt: skip
    grant_role(None, user, Role.KVALITETSUTVECKLARE, forv)
    db.session.commit()
    return forv, enheter, user


def _filler(column: Any, created: datetime, seq: int) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return seq if column.unique else 0
    if isinstance(kind, DateTime):
        return created
    if isinstance(kind, Date):
        return created.date()
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, String):
        return f"B{seq}" if column.unique else ""
    return ""


def _random_dt(rng: random.Random, period: Period) -> datetime:
    start = datetime.combine(period.start, datetime.min.time(), UTC) + timedelta(hours=8)
    days = (period.end - period.start).days
    return start + timedelta(days=rng.randrange(days + 1), minutes=rng.randrange(600))


def _enum_values(module: str, name: str, fallback: list[str]) -> list[str]:
    try:
        mod = __import__(module, fromlist=[name])
        return [str(v) for v in getattr(mod, name)]
    except (ImportError, AttributeError):
        return fallback


def _kind_fields(
    code: str, rng: random.Random, created: datetime, seq: int, ctx: dict[str, Any]
) -> dict[str, Any]:
    day = created.date()
    if code == "AVV":
        return {
            "event_at": created - timedelta(hours=rng.randrange(48)),
            "noticed_at": created,
            "category_id": rng.choice(ctx["categories"]) if ctx["categories"] else None,
            "sex": rng.choice(["kvinna", "man", "okant", None]),
            "health_care": rng.random() < 0.1,
            "severity": rng.choice([1, 2, 3, 4, None]),
        }
    if code == "SYN":
        answered = rng.random() < 0.8
        return {
            "diarienummer": f"BENCH{ctx['seed']}-{seq:07d}",
            "diarie_year": day.year,
            "diarie_seq": ctx["seed"] * 1_000_000 + seq,
            "received_date": day,
            "typ": rng.choice(ctx["syn_typ"]),
            "kalla": rng.choice(ctx["syn_kalla"]),
            "kanal": rng.choice(ctx["syn_kanal"]),
            "ack_due": day + timedelta(days=3),
            "acknowledged_date": day + timedelta(days=rng.randrange(6)),
            "answer_due": day + timedelta(days=14),
            "answered_date": day + timedelta(days=rng.randrange(25)) if answered else None,
        }
    if code == "EGK":
        units, kontroller = ctx["units"], ctx["kontroller"]
        per_day = len(units) * max(1, len(kontroller))
        planned = ctx["period"].start + timedelta(days=(seq // per_day) % 365)
        return {
            "kontroll_id": kontroller[(seq // len(units)) % len(kontroller)],
            "occurrence_unit_id": units[seq % len(units)],
            "planned_date": planned,
            "performed_on": planned + timedelta(days=rng.randrange(10))
            if rng.random() < 0.8
            else None,
        }
    if code == "LXS":
        decided = rng.random() < 0.7
        return {
            "reported_at": created,
            "assessed_at": created + timedelta(days=2),
            "outcome": rng.choice(ctx["lxs_outcome"]) if decided else None,
            "allvarligt": rng.random() < 0.2 if decided else None,
            "decision_date": day + timedelta(days=20) if decided else None,
        }
    if code == "ATG":
        return {"carry_over": rng.random() < 0.1, "atgard_typ": "forbattring"}
    return {}


def _egenkontroll_setup(scope: Unit, year: int) -> list[int]:
    try:
        from kvalitet.egenkontroll.models import EgenkontrollPlan, Kontroll
    except ImportError:
        return []
    plan = EgenkontrollPlan(year=year, name="Egenkontrollplan (bench)", scope_unit_id=scope.id)
    db.session.add(plan)
    db.session.flush()
    ids = []
    for title in ["Journalgranskning", "Tidsfrister utredning", "Uppföljning av insatser",
                  "Sekretess i post", "Genomförandeplaner"]:  # fmt: skip
        kontroll = Kontroll(plan_id=plan.id, title=title, rule_data={})
        db.session.add(kontroll)
        db.session.flush()
        ids.append(kontroll.id)
    db.session.commit()
    return ids


def generate(n: int, period: Period, scope: Unit, enheter: list[Unit], seed: int = 7) -> int:
    """Insert n items with created dates in `period` at `enheter`. Returns how many."""
    rng = random.Random(seed)  # noqa: S311 repeatable benchmark data, not security
    specs = {spec.code: spec for spec in all_kinds()}
    shares = [(code, share) for code, share in SHARES if code in specs]
    ctx: dict[str, Any] = {
        "period": period,
        "seed": seed,
        "units": [u.id for u in enheter],
        "categories": list(
            db.session.scalars(
                select(ListEntry.id).where(ListEntry.list_key == "avvikelse_kategori")
            )
        ),
        "areas": list(db.session.scalars(select(QualityArea.id))),
        "syn_typ": _enum_values("kvalitet.synpunkter.models", "SynpunktTyp", ["klagomal"]),
        "syn_kalla": _enum_values("kvalitet.synpunkter.models", "Kalla", ["brukare"]),
        "syn_kanal": _enum_values("kvalitet.synpunkter.models", "Kanal", ["e_tjanst"]),
        "lxs_outcome": _enum_values("kvalitet.lexsarah.models", "Utfall", ["missforhallande"]),
    }
    if "EGK" in specs:
        ctx["kontroller"] = _egenkontroll_setup(scope, period.start.year)
        if not ctx["kontroller"]:
            shares = [s for s in shares if s[0] != "EGK"]
    next_id = (db.session.scalar(select(func.max(Item.id))) or 0) + 1
    base_seq = (db.session.scalar(select(func.max(Item.ref_seq))) or 0) + 100000
    codes = [code for code, _ in shares]
    weights = [share for _, share in shares]
    item_rows: list[dict[str, Any]] = []
    child_rows: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    area_rows: list[dict[str, Any]] = []
    counters = dict.fromkeys(codes, 0)
    for index in range(n):
        code = rng.choices(codes, weights)[0]
        spec = specs[code]
        seq = counters[code]
        counters[code] += 1
        created = _random_dt(rng, period)
        states = list(spec.workflow.states)
        status = rng.choice(states)
        item_id = next_id + index
        item_rows.append({
            "id": item_id, "kind": code, "ref": f"{code}-B{period.start.year}-{base_seq + index}",
            "ref_year": period.start.year, "ref_seq": base_seq + index,
            "title": f"{spec.label} {seq + 1}", "description": "",
            "unit_id": rng.choice(ctx["units"]),
            "status": status, "created_at": created, "updated_at": created, "version": 1,
            "closed_at": created + timedelta(days=rng.randrange(1, 40))
            if status in spec.workflow.closed_states else None,
        })  # fmt: skip
        known = _kind_fields(code, rng, created, seq, ctx)
        # An avvikelse's health-care flag is item's as well (models.Avvikelse.health_care).
        item_rows[-1]["health_care"] = bool(known.get("health_care", False))
        if code == "EGK":
            item_rows[-1]["unit_id"] = known["occurrence_unit_id"]
        table = spec.model.__table__
        row: dict[str, Any] = {"id": item_id}
        for column in table.columns:
            if column.name == "id":
                continue
            if column.name in known:
                row[column.name] = known[column.name]
            elif not column.nullable and column.default is None:
                row[column.name] = _filler(column, created, base_seq + index)
        child_rows[code].append(row)
        if code == "ATG" and ctx["areas"]:
            area_rows.append({"item_id": item_id, "quality_area_id": rng.choice(ctx["areas"])})
    for start in range(0, len(item_rows), CHUNK):
        db.session.execute(insert(Item.__table__), item_rows[start : start + CHUNK])
    for code, rows in child_rows.items():
        table = specs[code].model.__table__
        # Rows must share keys for executemany: fill the keys some rows lack with None.
        keys = {k for r in rows for k in r}
        rows = [{k: r.get(k) for k in keys} for r in rows]
        for start in range(0, len(rows), CHUNK):
            db.session.execute(insert(table), rows[start : start + CHUNK])
    if area_rows:
        db.session.execute(insert(item_quality_area), area_rows)
    if db.engine.dialect.name == "postgresql":
        # Ids were given explicitly: move the sequence past them for later inserts.
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence('item', 'id'), (SELECT max(id) FROM item))")
        )
    db.session.commit()
    return n


def day_count(period: Period) -> int:
    return (period.end - period.start).days + 1


__all__ = ["build_org", "date", "day_count", "generate"]
