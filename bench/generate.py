"""Data generator for benchmarks: a big city, `python -m bench.generate --items N`.

The city: a nämnd, a förvaltning, six avdelningar and 60 enheter; 3,000 users with roles
(every user a medarbetare at a home enhet, an enhetschef per enhet, an avdelningschef per
avdelning, kvalitetsutvecklare, SAS, MAS, registratorer, läsare, administratörer); ten
quality years; N items across every registered kind in realistic shares, each with its
kind's own row, about three audit rows (created, a step, an edit or a comment), comments,
links between items, notifications, egenkontroll plans with answers, and a verksamhetsplan
with goals per enhet and year.

Rows are written in batches: COPY (psycopg) on PostgreSQL, SQLAlchemy Core executemany on
SQLite. Columns the generator does not know are filled from their default, or from their
type when they are required (a required foreign key gets a row of the table it names), so a
kind added later is generated too.

Known users for the benchmarks (password BENCH_PASSWORD): bench.chef@example.se (enhetschef
of the first enhet), bench.kvalitet@example.se (kvalitetsutvecklare at the förvaltning),
bench.sas@example.se (SAS at the förvaltning).
"""

from __future__ import annotations

import argparse
import enum
import json
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.types import JSON

from bench import year
from kvalitet.core import summary
from kvalitet.core.audit import AuditEntry
from kvalitet.core.periods import Period, quality_year, quality_year_of
from kvalitet.core.recurrence import Rule
from kvalitet.core.registry import KindSpec, all_kinds
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Comment, Item, ItemLink, ListEntry, QualityArea
from kvalitet.org.models import RoleAssignment, Unit, UnitKind, User
from kvalitet.search import index as search_index

BENCH_PASSWORD = "bench-lösenord-2026"  # noqa: S105 benchmark data, not a secret
# Shares of the items per kind (kinds not registered are skipped, the rest renormalised).
SHARES = {
    "AVV": 0.55, "SYN": 0.14, "EGK": 0.12, "ATG": 0.08, "RSK": 0.03, "LXS": 0.03,
    "MUP": 0.02, "ARS": 0.015, "LXM": 0.01,
}  # fmt: skip
# Not generated: the report texts (kvalitetsberättelse, patientsäkerhetsberättelse) are one
# item per unit, year and section, made by the report benchmark (bench/rapport_times.py);
# a kind registered later and not in SHARES is listed by the command as not generated.
AVDELNINGAR = 6
ENHETER_PER_AVDELNING = 10
USERS = 3000
YEARS = 10
BATCH = 20_000


# --- writing rows -----------------------------------------------------------------------


class Writer:
    """Buffers rows per table and writes them in big batches: COPY on PostgreSQL, Core
    executemany on SQLite. Every row of a table has the same keys (the table's template)."""

    def __init__(self) -> None:
        self.pg = db.engine.dialect.name == "postgresql"
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.tables: dict[str, Table] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.written: dict[str, int] = {}

    def template(self, table: Table, with_id: bool) -> dict[str, Any]:
        key = f"{table.name}:{with_id}"
        if key not in self.templates:
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.primary_key and not with_id and not column.foreign_keys:
                    continue
                row[column.name] = _default(column)
            self.templates[key] = row
        return self.templates[key]

    def add(self, table: Table, values: dict[str, Any], with_id: bool = True) -> None:
        row = {**self.template(table, with_id), **values}
        self.tables[table.name] = table
        self.buffers.setdefault(table.name, []).append(row)

    def flush(self, order: Iterable[str] | None = None) -> None:
        names = list(order) if order is not None else list(self.buffers)
        names += [n for n in self.buffers if n not in names]
        for name in names:
            rows = self.buffers.pop(name, [])
            if rows:
                self._write(self.tables[name], rows)
                self.written[name] = self.written.get(name, 0) + len(rows)

    def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        keys = list(rows[0])
        if not self.pg:
            # The DB-API's executemany with each column's own bind conversion (what Core
            # does per row, without building a statement per batch). The dialect's own
            # type: SQLite's DATETIME writes "… 12:34:00.000000" as the app does; the
            # generic one wrote "… 12:34:00", which a bound timestamp does not equal.
            dialect = db.engine.dialect
            convert = [table.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in keys]
            columns = ", ".join(f'"{k}"' for k in keys)
            marks = ", ".join("?" for _ in keys)
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608
            tuples = [
                tuple(
                    f(row[k]) if f is not None and row[k] is not None else row[k]
                    for f, k in zip(convert, keys, strict=True)
                )
                for row in rows
            ]
            raw = db.session.connection().connection.dbapi_connection
            assert raw is not None
            raw.cursor().executemany(sql, tuples)
            return
        json_keys = {c.name for c in table.columns if isinstance(c.type, JSON)}
        connection = db.session.connection().connection.dbapi_connection
        assert connection is not None
        columns = ", ".join(f'"{k}"' for k in keys)
        statement = f'COPY "{table.name}" ({columns}) FROM STDIN'
        with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row([_copy_value(row[k], k in json_keys) for k in keys])


def _copy_value(value: Any, is_json: bool) -> Any:
    if value is None:
        return None
    if is_json:
        return json.dumps(value)
    return str(value) if isinstance(value, enum.Enum) else value


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is not None:
        arg = getattr(default, "arg", None)
        if getattr(default, "is_callable", False):
            try:
                return arg(None)  # type: ignore[misc,operator]
            except Exception:  # noqa: S110 a default that needs a context: by type
                pass
        elif getattr(default, "is_scalar", False):
            return arg
    if column.nullable:
        return None
    return _by_type(column)


def _by_type(column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 0
    if isinstance(kind, DateTime):
        return datetime(2020, 1, 1, tzinfo=UTC)
    if isinstance(kind, Date):
        return date(2020, 1, 1)
    if isinstance(kind, JSON):
        return {}
    return ""


# --- the city ---------------------------------------------------------------------------


@dataclass
class City:
    namnd: int
    forv: int
    avdelningar: list[int]
    enheter: list[int]
    paths: dict[int, str]
    users: list[int]
    users_at: dict[int, list[int]]  # enhet -> its medarbetare
    chef_of: dict[int, int]  # enhet -> its enhetschef
    named: dict[str, int]  # "chef", "kvalitet", "sas", ... -> user id
    years: list[Period]
    fk: dict[str, list[int]] = field(default_factory=dict)  # table -> ids to refer to
    plans: dict[str, Any] = field(default_factory=dict)  # build_plans


def _next_id(model: Any) -> int:
    return int(db.session.scalar(select(func.max(model.id))) or 0) + 1


def build_city(writer: Writer, rng: random.Random, years: int = YEARS, people: int = USERS) -> City:
    from kvalitet.org.operations import hash_password

    now = datetime.now(UTC)
    uid = _next_id(Unit)
    paths: dict[int, str] = {}

    def unit(name: str, kind: UnitKind, parent: int | None) -> int:
        nonlocal uid
        unit_id, uid = uid, uid + 1
        path = (paths[parent] if parent else "/") + f"{unit_id}/"
        paths[unit_id] = path
        writer.add(Unit.__table__, {
            "id": unit_id, "name": name, "kind": str(kind), "parent_id": parent, "path": path,
            "depth": path.count("/") - 2, "active": True, "public": kind == UnitKind.ENHET,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
        return unit_id

    namnd = unit("Socialnämnden Storstad", UnitKind.NAMND, None)
    forv = unit("Socialförvaltningen Storstad", UnitKind.FORVALTNING, namnd)
    avdelningar, enheter = [], []
    for a in range(AVDELNINGAR):
        avd = unit(f"Avdelning {a + 1}", UnitKind.AVDELNING, forv)
        avdelningar.append(avd)
        enheter += [unit(f"Enhet {a + 1}.{e + 1}", UnitKind.ENHET, avd)
                    for e in range(ENHETER_PER_AVDELNING)]  # fmt: skip
    writer.flush()

    password = hash_password(BENCH_PASSWORD)
    first = _next_id(User)
    users = list(range(first, first + people))
    users_at: dict[int, list[int]] = {e: [] for e in enheter}
    named: dict[str, int] = {}
    chef_of: dict[int, int] = {}
    roles: list[tuple[int, Role, int]] = []
    specials = [("kvalitet", Role.KVALITETSUTVECKLARE, forv), ("sas", Role.SAS, forv),
                ("mas", Role.MAS, forv), ("registrator", Role.REGISTRATOR, forv),
                ("lasare", Role.LASARE, namnd), ("admin", Role.ADMIN, namnd)]  # fmt: skip
    for index, user_id in enumerate(users):
        home = enheter[index % len(enheter)]
        if index < len(enheter):
            email, title = f"chef{index + 1}@example.se", "Enhetschef"
            chef_of[enheter[index]] = user_id
            roles.append((user_id, Role.ENHETSCHEF, enheter[index]))
            if index == 0:
                email, named["chef"] = "bench.chef@example.se", user_id
        elif index < len(enheter) + AVDELNINGAR:
            avd = avdelningar[index - len(enheter)]
            email, title = f"avdchef{index - len(enheter) + 1}@example.se", "Avdelningschef"
            home = avd
            roles.append((user_id, Role.AVDELNINGSCHEF, avd))
        elif index < len(enheter) + AVDELNINGAR + 3 * len(specials):
            n = index - len(enheter) - AVDELNINGAR
            key, role, at = specials[n % len(specials)]
            email = f"bench.{key}@example.se" if n < len(specials) else f"{key}{n}@example.se"
            if n < len(specials):
                named[key] = user_id
            title, home = str(role).capitalize(), forv
            roles.append((user_id, role, at))
        else:
            email, title = f"medarbetare{index + 1}@example.se", "Socialsekreterare"
            users_at[home].append(user_id)
        roles.append((user_id, Role.MEDARBETARE, home if home in users_at else enheter[0]))
        writer.add(User.__table__, {
            "id": user_id, "name": f"Person {index + 1}", "email": email, "title": title,
            "password_hash": password, "active": True, "home_unit_id": home,
            "session_token": f"{rng.getrandbits(64):016x}", "failed_logins": 0,
            "created_at": now, "updated_at": now, "is_demo": False,
        })  # fmt: skip
    writer.flush()
    for user_id, role_name, at in roles:
        writer.add(RoleAssignment.__table__, {
            "user_id": user_id, "role": str(role_name), "unit_id": at,
            "created_at": now, "updated_at": now,
        }, with_id=False)  # fmt: skip
    writer.flush()
    this_year = quality_year_of(datetime.now(UTC).date()).start.year
    periods = [quality_year(y) for y in range(this_year - years + 1, this_year + 1)]
    return City(namnd, forv, avdelningar, enheter, paths, users, users_at, chef_of, named,
                periods)  # fmt: skip


# --- plans and goals (small tables, through the ORM's models) ---------------------------


def build_plans(city: City) -> dict[str, Any]:
    """Egenkontroll plans with kontroller and frågor per year, and a verksamhetsplan with
    goals per enhet and year. Returns ids the items refer to."""
    out: dict[str, Any] = {"kontroller": {}, "fragor": {}, "mal_plans": {}}
    try:
        from kvalitet.egenkontroll.models import EgenkontrollPlan, Fraga, Kontroll
    except ImportError:
        return out
    for period in city.years:
        plan = EgenkontrollPlan(year=period.start.year, name=f"Egenkontrollplan {period.label}",
                                scope_unit_id=city.forv, status="fastställd")  # fmt: skip
        db.session.add(plan)
        db.session.flush()
        ids = []
        for title in ["Journalgranskning", "Tidsfrister utredning", "Uppföljning av insatser",
                      "Sekretess i post", "Genomförandeplaner"]:  # fmt: skip
            rule = Rule("monthly", period.start, day=15)
            kontroll = Kontroll(plan_id=plan.id, title=title, rule_data=rule.to_dict())
            db.session.add(kontroll)
            db.session.flush()
            fragor = [Fraga(kontroll_id=kontroll.id, text=f"Fråga {n + 1}") for n in range(3)]
            db.session.add_all(fragor)
            db.session.flush()
            out["fragor"][kontroll.id] = [f.id for f in fragor]
            ids.append(kontroll.id)
        out["kontroller"][period.start.year] = ids
    try:
        from kvalitet.mal.models import Mal, Verksamhetsplan
    except ImportError:
        return out
    plans = {
        (enhet, period.start.year): Verksamhetsplan(
            unit_id=enhet, year=period.start.year, name=f"Verksamhetsplan {period.label}"
        )
        for period in city.years
        for enhet in city.enheter
    }
    db.session.add_all(plans.values())
    db.session.flush()
    for (enhet, first_year), plan in plans.items():
        out["mal_plans"][(enhet, first_year)] = plan.id
        db.session.add_all(
            Mal(plan_id=plan.id, name=f"Mål {n + 1}", nr=str(n + 1), owner_id=city.chef_of[enhet])
            for n in range(3)
        )
    db.session.flush()
    return out


# --- items ------------------------------------------------------------------------------


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
            "diarienummer": f"SYN-{day.year}-{ctx['serial']:07d}",
            "diarie_year": day.year,
            "diarie_seq": ctx["serial"],
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
        kontroller = ctx["kontroller"].get(ctx["year"]) or next(iter(ctx["kontroller"].values()))
        kontroll = kontroller[seq % len(kontroller)]
        used = ctx["used"].setdefault("egk_used", set())
        while (kontroll, ctx["unit"], day) in used:
            day += timedelta(days=1)
        used.add((kontroll, ctx["unit"], day))
        return {
            "kontroll_id": kontroll,
            "occurrence_unit_id": ctx["unit"],
            "planned_date": day,
            "performed_on": day + timedelta(days=rng.randrange(10)) if rng.random() < 0.8 else None,
        }
    if code == "LXS":
        decided = rng.random() < 0.7
        return {
            "reported_at": created,
            "assessed_at": created + timedelta(days=2),
            "outcome": rng.choice(ctx["lxs_outcome"]) if decided else None,
            "allvarligt": rng.random() < 0.2 if decided else None,
            "decision_date": day + timedelta(days=20) if decided else None,
            "decision_maker_id": ctx["named"].get("sas") if decided else None,
        }
    if code == "ATG":
        return {"carry_over": rng.random() < 0.1, "atgard_typ": "forbattring"}
    if code == "RSK":
        # A real grading (1-4 each): zeros made the risk statistics fail (no level 0).
        likelihood, consequence = rng.randint(1, 4), rng.randint(1, 4)
        return {"likelihood": likelihood, "consequence": consequence,
                "risk_value": likelihood * consequence,
                "review_date": day + timedelta(days=rng.randint(60, 400))}  # fmt: skip
    if code == "ARS":
        used = ctx["used"].setdefault("ars_used", set())
        while (ctx["unit"], day) in used:
            day += timedelta(days=1)
        used.add((ctx["unit"], day))
        return {"plan_unit_id": ctx["unit"], "planned_date": day}
    if code == "MUP":
        plan = ctx["mal_plans"].get((ctx["unit"], ctx["year"]))
        used = ctx["used"].setdefault("mup_used", set())
        people = [ctx["owner"], *ctx["staff"]]
        for period in ("T1", "T2", "T3", "H1", "H2", "ÅR"):
            for person in people:
                if (plan, period, person) not in used:
                    used.add((plan, period, person))
                    return {"plan_id": plan, "person_id": person, "deadline": day,
                            "period": period}  # fmt: skip
        raise RuntimeError("more follow-up tasks than plan × period × person")
    return {}


def _fk_value(column: Column[Any], rng: random.Random, city: City) -> Any:
    table = next(iter(column.foreign_keys)).column.table
    choices = city.fk.get(table.name)
    if not choices:
        choices = city.fk[table.name] = list(
            db.session.scalars(text(f'SELECT id FROM "{table.name}" LIMIT 1000'))  # noqa: S608
        ) or [_one_row(table, rng, city)]
    return rng.choice(choices)


def _one_row(table: Table, rng: random.Random, city: City) -> int:
    """A row of a table the generator does not know (an årshjul aktivitet a task needs):
    defaults, values by type, and its own required foreign keys."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key and not column.foreign_keys:
            continue
        if column.foreign_keys and not column.nullable:
            values[column.name] = _fk_value(column, rng, city)
        else:
            values[column.name] = _default(column)
    result = db.session.execute(insert(table).values(values))
    return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]


def generate_items(
    n: int,
    city: City,
    writer: Writer,
    rng: random.Random,
    progress: Callable[[int], None] | None = None,
    enheter: list[int] | None = None,
) -> int:
    """Insert n items over the city's years, with their kind's rows, audit rows, comments,
    links, notifications and egenkontroll answers. Returns how many items."""
    specs: dict[str, KindSpec] = {spec.code: spec for spec in all_kinds()}
    codes = [c for c in SHARES if c in specs]
    weights = [SHARES[c] for c in codes]
    if not city.plans:
        city.plans = build_plans(city)
    plans = city.plans
    from kvalitet.notify.models import Notification

    svar: Table | None
    try:
        from kvalitet.egenkontroll.models import SvarRad

        svar = SvarRad.__table__
    except ImportError:
        svar = None
    ctx: dict[str, Any] = {
        **plans,
        "used": plans.setdefault("used", {}),  # unique keys taken, across calls
        "named": city.named,
        "categories": list(db.session.scalars(
            select(ListEntry.id).where(ListEntry.list_key == "avvikelse_kategori"))),
        "areas": list(db.session.scalars(select(QualityArea.id))),
        "syn_typ": year._enum_values("kvalitet.synpunkter.models", "SynpunktTyp", ["klagomal"]),
        "syn_kalla": year._enum_values("kvalitet.synpunkter.models", "Kalla", ["brukare"]),
        "syn_kanal": year._enum_values("kvalitet.synpunkter.models", "Kanal", ["e_tjanst"]),
        "lxs_outcome": year._enum_values("kvalitet.lexsarah.models", "Utfall", ["missforhallande"]),
    }  # fmt: skip
    if not plans["kontroller"] and "EGK" in codes:
        weights[codes.index("EGK")] = 0
    if not plans["mal_plans"] and "MUP" in codes:
        weights[codes.index("MUP")] = 0
    db.session.flush()
    required_fk: dict[str, list[Column[Any]]] = {
        code: [
            c
            for c in specs[code].model.__table__.columns
            if c.foreign_keys and not c.nullable and c.name != "id"
        ]
        for code in codes
    }
    from kvalitet.items.models import item_quality_area

    next_id = _next_id(Item)
    seq_base = int(db.session.scalar(select(func.max(Item.ref_seq))) or 0) + 1
    counters = dict.fromkeys(codes, 0)
    # Later years have more items (a growing practice): weights 1.0 .. 1.9.
    year_weights = [1 + 0.1 * i for i in range(len(city.years))]
    now = datetime.now(UTC)
    recent: list[int] = []
    for index in range(n):
        code = rng.choices(codes, weights)[0]
        spec = specs[code]
        seq = counters[code]
        counters[code] += 1
        y = rng.choices(range(len(city.years)), year_weights)[0]
        period = city.years[y]
        start = datetime.combine(period.start, datetime.min.time(), UTC) + timedelta(hours=7)
        last = min(period.end, now.date() - timedelta(days=1))
        created = start + timedelta(days=rng.randrange((last - period.start).days + 1),
                                    minutes=rng.randrange(600))  # fmt: skip
        enhet = rng.choice(enheter or city.enheter)
        staff = city.users_at[enhet] or city.users
        reporter = rng.choice(staff)
        owner = city.chef_of[enhet] if rng.random() < 0.8 else rng.choice(staff)
        old = y < len(city.years) - 1
        closed_states = list(spec.workflow.closed_states)
        open_states = [s for s in spec.workflow.states if s not in closed_states]
        closing = closed_states and (rng.random() < (0.97 if old else 0.55) or not open_states)
        status = rng.choice(closed_states) if closing else rng.choice(open_states)
        closed_at = created + timedelta(days=rng.randrange(1, 60)) if closing else None
        cancelled = rng.random() < 0.01
        item_id = next_id + index
        ctx.update(year=period.start.year, unit=enhet, owner=owner, staff=staff,
                   serial=seq_base + index)  # fmt: skip
        item_row = {
            "id": item_id, "kind": code, "ref": f"{code}-{period.start.year}-{seq_base + index}",
            "ref_year": period.start.year, "ref_seq": seq_base + index,
            "title": f"{spec.label} {seq + 1} om rutiner vid {rng.choice(WORDS)}",
            "description": f"Om {rng.choice(WORDS)} och {rng.choice(WORDS)}.",
            "unit_id": enhet, "owner_id": owner, "reporter_id": reporter,
            "due_date": (created + timedelta(days=30)).date(),
            "status": status, "created_at": created, "updated_at": closed_at or created,
            "version": 2, "closed_at": closed_at,
            "cancelled_at": created + timedelta(days=1) if cancelled else None,
            "cancelled_by_id": owner if cancelled else None,
            "cancel_reason": "Felregistrerad" if cancelled else None,
            "status_before_cancel": status if cancelled else None,
        }  # fmt: skip
        known = _kind_fields(code, rng, created, seq, ctx)
        # An avvikelse's health-care flag is item's as well (models.Avvikelse.health_care).
        item_row["health_care"] = bool(known.get("health_care", False))
        writer.add(Item.__table__, item_row)
        for column in required_fk[code]:
            if known.get(column.name) is None:
                known[column.name] = _fk_value(column, rng, city)
        writer.add(spec.model.__table__, {"id": item_id, **known})
        if code == "ATG" and ctx["areas"]:
            area = rng.choice(ctx["areas"])
            writer.add(item_quality_area, {"item_id": item_id, "quality_area_id": area})
        # The timeline: created, a step, and an edit or a comment (about three rows).
        writer.add(AuditEntry.__table__, {
            "at": created, "user_id": reporter, "item_id": item_id, "action": "created",
            "summary": f"{spec.label} skapades", "after": {"status": spec.workflow.initial},
        }, with_id=False)  # fmt: skip
        writer.add(AuditEntry.__table__, {
            "at": created + timedelta(hours=20), "user_id": owner, "item_id": item_id,
            "action": "transition", "summary": "Status ändrad",
            "before": {"status": spec.workflow.initial}, "after": {"status": status},
        }, with_id=False)  # fmt: skip
        if rng.random() < 0.4:
            writer.add(Comment.__table__, {
                "item_id": item_id, "author_id": owner, "created_at": created + timedelta(hours=5),
                "body": f"Vi följer upp detta på APT. {rng.choice(WORDS).capitalize()}.",
            }, with_id=False)  # fmt: skip
            action, summary = "comment", "Kommentar"
        else:
            action, summary = "edit", "Uppgifter ändrade"
        writer.add(AuditEntry.__table__, {
            "at": created + timedelta(hours=5), "user_id": owner, "item_id": item_id,
            "action": action, "summary": summary,
        }, with_id=False)  # fmt: skip
        if recent and rng.random() < 0.1:
            writer.add(ItemLink.__table__, {
                "source_id": rng.choice(recent), "target_id": item_id,
                "link_type": rng.choice(["relaterad", "atgard", "uppfoljning"]),
                "created_at": created, "created_by_id": owner,
            }, with_id=False)  # fmt: skip
        if rng.random() < 0.5:
            writer.add(Notification.__table__, {
                "user_id": owner, "item_id": item_id, "message": f"Nytt ärende: {code}",
                "url": None, "purpose": "info", "created_at": created,
                "read_at": created + timedelta(days=1) if old else None,
            }, with_id=False)  # fmt: skip
        if code == "EGK" and svar is not None and known.get("performed_on"):
            for fraga in plans["fragor"].get(known["kontroll_id"], []):
                for case_no in (1, 2):
                    writer.add(svar, {
                        "egenkontroll_id": item_id, "fraga_id": fraga, "case_no": case_no,
                        "answer": rng.choice(["ja", "ja", "ja", "nej", "ej_aktuellt"]),
                    }, with_id=False)  # fmt: skip
        recent.append(item_id)
        if len(recent) > 500:
            recent = recent[-250:]
        if (index + 1) % BATCH == 0:
            _flush_items(writer, specs)
            if progress:
                progress(index + 1)
    _flush_items(writer, specs)
    if writer.pg:
        for table in ("item", "audit_entry", "comment", "item_link", "notification", "unit",
                      "user_account", "role_assignment"):  # fmt: skip
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM \"{table}\"))"))  # fmt: skip
    return n


def _flush_items(writer: Writer, specs: dict[str, KindSpec]) -> None:
    child = [spec.model.__table__.name for spec in specs.values()]
    writer.flush(["item", *child, "audit_entry", "comment", "item_link", "notification"])


WORDS = ["läkemedel", "journalföring", "utredning", "bemötande", "sekretess", "tidsfrist",
         "placering", "hembesök", "samverkan", "dokumentation", "fallolycka", "insats",
         "kontaktperson", "försörjningsstöd", "boende", "rutin", "överlämning",
         "nattpersonal"]  # fmt: skip


# The one-year generator of the report benchmark (bench/rapport_times.py), kept as it was.
generate = year.generate
build_org = year.build_org
day_count = year.day_count


# --- the command ------------------------------------------------------------------------


def populate(
    items: int,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
    years: int = YEARS,
    people: int = USERS,
) -> City:
    """Build the city and its items in the app's database (which has the schema)."""
    rng = random.Random(seed)  # noqa: S311 repeatable benchmark data, not security
    writer = Writer()
    if not writer.pg:
        db.session.execute(text("PRAGMA cache_size = -262144"))  # 256 MB while loading
    city = build_city(writer, rng, years, people)
    generate_items(items, city, writer, rng, progress)
    # COPY and executemany go past the session: write the statistics summary and the search
    # index from the rows.
    summary.rebuild()
    search_index.rebuild()
    db.session.commit()
    # Planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would after a load.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return city


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument(
        "--database", required=True, help="sqlite:///path or postgresql://... (emptied first)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from bench.db import fresh_app

    t0 = time.perf_counter()
    app = fresh_app(args.database)
    with app.app_context():
        started = time.perf_counter()
        print(f"schema: {started - t0:.1f} s", flush=True)

        def progress(done: int) -> None:
            rate = done / (time.perf_counter() - started)
            print(f"  {done} ärenden, {rate:,.0f}/s", flush=True)

        populate(args.items, args.seed, progress if args.items >= 100_000 else None)
        counts = {
            t: db.session.scalar(text(f'SELECT count(*) FROM "{t}"'))  # noqa: S608
            for t in (
                "item",
                "audit_entry",
                "comment",
                "item_link",
                "notification",
                "user_account",
                "role_assignment",
                "unit",
            )
        }
    print(f"generated {args.items} items in {time.perf_counter() - started:.1f} s "
          f"(total {time.perf_counter() - t0:.1f} s): {counts}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
