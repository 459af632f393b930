"""Statistics page times: `python -m bench.stats_times [--items N | --database URL] [--repeat R]`.

With --database, on a city made by bench.generate (e.g. 1,000,000 items), as its named
users bench.chef, bench.kvalitet and bench.sas. Otherwise generates N items (default 100,000)
in quality year 2025/26 and N/2 the year before (SQLite,
or the PostgreSQL server in KVALITET_BENCH_DATABASE_URL), then requests every statistics
page R times (default 20) as an enhetschef, the kvalitetsutvecklare and a SAS, and prints
p50/p95 and the number of SQL queries per page. Target: p95 < 300 ms. Not a test.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import event, func, select

from bench.db import app_for
from bench.generate import BENCH_PASSWORD
from bench.scale_common import city, load, login, p50_p95, timed
from kvalitet.extensions import db
from kvalitet.items.models import Item

PAGES = ["/avvikelser/statistik", "/synpunkter/statistik", "/egenkontroll/statistik",
         "/lexsarah/statistik"]  # fmt: skip
TARGET = 0.300


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats_times", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database", default="", help="an existing bench.generate city")
    parser.add_argument("--page", action="append", default=[],
                        help="only the pages containing this (lexsarah); repeatable")  # fmt: skip
    args = parser.parse_args(argv)

    if args.database:
        app = app_for(args.database)
        with app.app_context():
            items = db.session.scalar(select(func.count(Item.id)))
            print(f"Statistiksidor: {items} ärenden, databas {db.engine.dialect.name}")
            print(f"  belastning: {load()}")
            clients = {who: login(app, f"bench.{who}@example.se", BENCH_PASSWORD)
                       for who in ("chef", "kvalitet", "sas")}  # fmt: skip
            worst = measure(clients, args.repeat, args.page)
    else:
        with city(args.items) as c:
            made = f"genererat på {c['generated_s']:.0f} s"
            print(f"Statistiksidor: {args.items} ärenden 2025/26 (+{args.items // 2} året "
                  f"innan), databas {c['engine']}, {made}")  # fmt: skip
            print(f"  belastning: {load()}")
            clients = {role: login(c["app"], user.email) for role, user in c["users"].items()}
            worst = measure(clients, args.repeat, args.page)
    print(f"  mål p95 < {TARGET * 1000:.0f} ms: {'OK' if worst < TARGET else 'FÖR LÅNGSAMT'}")
    return 0 if worst < TARGET else 1


def measure(clients: dict[str, Any], repeat: int, only: list[str] | None = None) -> float:
    """p50/p95 and statements of every statistics page (or those containing one of `only`)
    for each logged-in client; the worst p95."""
    worst = 0.0
    pages = [p for p in PAGES if not only or any(o in p for o in only)]
    for role, client in clients.items():
        for page in pages:
            first = client.get(page)
            if first.status_code != 200:
                print(f"  {role:20s} {page:26s} svar {first.status_code} (ingen behörighet)")
                continue
            queries: list[str] = []
            listener = lambda *a, q=queries: q.append(str(a[2]))  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            times, _ = timed(lambda c=client, p=page: c.get(p), repeat)  # type: ignore[misc]
            event.remove(db.engine, "before_cursor_execute", listener)
            p50, p95 = p50_p95(times)
            worst = max(worst, p95)
            print(f"  {role:20s} {page:26s} p50 {p50 * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms"
                  f"  {len(queries) / repeat:5.1f} frågor/sida", flush=True)  # fmt: skip
    return worst


if __name__ == "__main__":
    sys.exit(main())
