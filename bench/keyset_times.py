"""Deep pages by OFFSET and by keyset cursor:
`python -m bench.keyset_times --database URL [--requests N] [--depths 2,40,1000,10000]`.

On a generated city (bench.generate), for the kvalitetsutvecklare (who sees the whole city)
and the enhetschef, the avvikelser list (newest first) and the inbox: page D asked as
`?page=D` (LIMIT/OFFSET) and as `?efter=<token>` (the rows after page D-1's last row, what
the pager's "Nästa" links), p50 of N requests each (default 5) with the statement count.
A keyset page should cost the same at every depth; an OFFSET page grows with it. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from flask import g
from sqlalchemy import event, func, select

from bench.db import app_for
from bench.generate import BENCH_PASSWORD
from kvalitet.avvikelser import views as avvikelser_views
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.items.queries import inbox_query, paginate
from kvalitet.org.models import User

LISTS = {
    "AVV nyast": ("/avvikelser/", lambda u: avvikelser_views.filtered_query(
        u, avvikelser_views.list_filters({}))),
    "AVV äldst": ("/avvikelser/?sortering=aldst", lambda u: avvikelser_views.filtered_query(
        u, avvikelser_views.list_filters({"sortering": "aldst"}))),
    "inkorg": ("/", inbox_query),
}  # fmt: skip


def _token(app: Any, query: Any, url: str, depth: int) -> str | None:
    """The cursor of page `depth - 1`'s last row (found once by OFFSET, not timed)."""
    with app.test_request_context(url, query_string={"page": str(depth - 1)}):
        return paginate(query).next_cursor


def _time(client: Any, url: str, requests: int) -> tuple[float, int, int]:
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(args[2])

    times = []
    status = 0
    for n in range(requests + 1):
        vars(g).clear()
        db.session.remove()
        if n == 1:
            event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        status = client.get(url).status_code
        elapsed = time.perf_counter() - started
        if n == 1:
            event.remove(db.engine, "before_cursor_execute", count)
        if n:
            times.append(elapsed)
    return statistics.median(times) * 1000, len(counted), status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.keyset_times", description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--depths", default="2,40,1000,10000")
    parser.add_argument("--only", default="", help="only lists whose label contains this")
    args = parser.parse_args(argv)
    app = app_for(args.database, RATELIMIT_ENABLED=False)
    app.config["WTF_CSRF_ENABLED"] = False
    depths = [int(d) for d in args.depths.split(",")]
    with app.app_context():
        items = db.session.scalar(select(func.count(Item.id)))
        load = os.getloadavg()[0]
        print(f"Djupa sidor: {items} ärenden, {db.engine.dialect.name}, p50 av "
              f"{args.requests} anrop (ms, frågor); belastning {load:.1f}")  # fmt: skip
        for who in ("kvalitet", "chef"):
            user = db.session.scalar(select(User).where(User.email == f"bench.{who}@example.se"))
            assert user is not None, "generate the database with bench.generate"
            client = app.test_client()
            vars(g).clear()
            login = client.post("/logga-in", data={"email": user.email, "password": BENCH_PASSWORD})
            assert login.status_code == 302, login.status_code
            for label, (url, make) in LISTS.items():
                if args.only and args.only not in label:
                    continue
                for depth in depths:
                    user = db.session.merge(user)
                    token = _token(app, make(user), url, depth)
                    if token is None:
                        break  # the list is shorter than this
                    sep = "&" if "?" in url else "?"
                    offset_ms, offset_q, s1 = _time(
                        client, f"{url}{sep}page={depth}", args.requests
                    )
                    cursor_ms, cursor_q, s2 = _time(client, f"{url}{sep}efter={token}",
                                                    args.requests)  # fmt: skip
                    print(f"  {who:9s} {label:10s} sida {depth:6d}: OFFSET {offset_ms:8.1f} ms "
                          f"({offset_q} frågor, {s1})  markör {cursor_ms:7.1f} ms "
                          f"({cursor_q} frågor, {s2})  belastning {os.getloadavg()[0]:.1f}",
                          flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
