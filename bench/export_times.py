"""Export times: `python -m bench.export_times [--items N | --database URL] [--repeat R]
[--only csv|xlsx]`.

With --database, on an existing city from bench.generate (e.g. kvalitet_city100k; its users
bench.kvalitet@ and bench.chef@). Otherwise generates N items (default 100,000; SQLite, or
KVALITET_BENCH_DATABASE_URL). Exports the
avvikelser list as the kvalitetsutvecklare (every row, up to MAX_EXPORT_ROWS) and as an
enhetschef (one enhet), as CSV and Excel, R times each (default 3), and prints the time to
the first byte and to the last, the rows and the file size. Targets for 50,000 rows: first
byte < 1 s, complete < 15 s. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from bench.db import app_for
from bench.generate import BENCH_PASSWORD
from bench.scale_common import Browser, city, load, login, p50_p95

FIRST_BYTE, COMPLETE = 1.0, 15.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_times", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="", help="an existing city from bench.generate")
    parser.add_argument("--only", default="", help="csv or xlsx only")
    args = parser.parse_args(argv)
    ok = True
    with _clients(args) as clients:
        print(f"  belastning: {load()}")
        for role, client in clients.items():
            for fmt in ("csv", "xlsx"):
                if args.only and fmt != args.only:
                    continue
                firsts, totals, size, rows = [], [], 0, 0
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    response = client.get(f"/avvikelser/?format={fmt}", buffered=False)
                    chunks = iter(response.response)
                    first = next(chunks)
                    firsts.append(time.perf_counter() - started)
                    data = first + b"".join(chunks)
                    totals.append(time.perf_counter() - started)
                    response.close()
                    size = len(data)
                if fmt == "csv":
                    rows = data.count(b"\r\n") - 1
                else:
                    sheet = load_workbook(BytesIO(data), read_only=True).active
                    rows = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
                f50, f95 = p50_p95(firsts)
                t50, t95 = p50_p95(totals)
                if rows >= 50_000 or role == "enhetschef":
                    ok = ok and f95 < FIRST_BYTE and t95 < COMPLETE * max(1, rows / 50_000)
                print(
                    f"  {role:20s} {fmt:4s} {rows:7d} rader {size / 1e6:6.1f} MB  första byte "
                    f"p50 {f50:5.2f} s p95 {f95:5.2f} s  klar p50 {t50:6.2f} s p95 {t95:6.2f} s"
                    f"  ({load()})",
                    flush=True,
                )
    print(f"  mål första byte < {FIRST_BYTE:.0f} s, klar < {COMPLETE:.0f} s per 50 000 rader: "
          f"{'OK' if ok else 'FÖR LÅNGSAMT'}")  # fmt: skip
    return 0 if ok else 1


@contextmanager
def _clients(args: Any) -> Iterator[dict[str, Browser]]:
    if args.database:
        app = app_for(args.database, RATELIMIT_ENABLED=False)
        with app.app_context():
            print(f"Export: stad i {args.database.rsplit('/', 1)[-1]}")
            roles = (("kvalitetsutvecklare", "kvalitet"), ("enhetschef", "chef"))
            yield {role: _login(app, f"bench.{who}@example.se") for role, who in roles}
        return
    with city(args.items) as c:
        print(f"Export: {args.items} ärenden 2025/26 (+{args.items // 2} året innan), databas "
              f"{c['engine']}, genererat på {c['generated_s']:.0f} s")  # fmt: skip
        yield {role: login(c["app"], c["users"][role].email)
               for role in ("kvalitetsutvecklare", "enhetschef")}  # fmt: skip


def _login(app: Any, email: str) -> Browser:
    app.config["WTF_CSRF_ENABLED"] = False
    client = Browser(app.test_client())
    answer = client.post("/logga-in", data={"email": email, "password": BENCH_PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


if __name__ == "__main__":
    sys.exit(main())
