"""Statistics page times: `python -m bench.stats_times [--items N] [--repeat R]`.

Generates N items (default 100,000) in quality year 2025/26 and N/2 the year before (SQLite,
or the PostgreSQL server in KVALITET_BENCH_DATABASE_URL), then requests every statistics
page R times (default 20) as an enhetschef, the kvalitetsutvecklare and a SAS, and prints
p50/p95 and the number of SQL queries per page. Target: p95 < 300 ms. Not a test.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import event

from bench.scale_common import city, load, login, p50_p95, timed

PAGES = ["/avvikelser/statistik", "/synpunkter/statistik", "/egenkontroll/statistik",
         "/lexsarah/statistik"]  # fmt: skip
TARGET = 0.300


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stats_times", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    from kvalitet.extensions import db

    worst = 0.0
    with city(args.items) as c:
        print(f"Statistiksidor: {args.items} ärenden 2025/26 (+{args.items // 2} året innan), "
              f"databas {c['engine']}, genererat på {c['generated_s']:.0f} s")  # fmt: skip
        print(f"  belastning: {load()}")
        for role, user in c["users"].items():
            client = login(c["app"], user.email)
            for page in PAGES:
                first = client.get(page)
                if first.status_code != 200:
                    print(f"  {role:20s} {page:26s} svar {first.status_code} (ingen behörighet)")
                    continue
                queries: list[str] = []
                listener = lambda *a, q=queries: q.append(str(a[2]))  # noqa: E731
                event.listen(db.engine, "before_cursor_execute", listener)
                times, _ = timed(lambda c=client, p=page: c.get(p), args.repeat)  # type: ignore[misc]
                event.remove(db.engine, "before_cursor_execute", listener)
                p50, p95 = p50_p95(times)
                worst = max(worst, p95)
                print(f"  {role:20s} {page:26s} p50 {p50 * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms"
                      f"  {len(queries) / args.repeat:5.1f} frågor/sida")  # fmt: skip
    print(f"  mål p95 < {TARGET * 1000:.0f} ms: {'OK' if worst < TARGET else 'FÖR LÅNGSAMT'}")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
