"""Scheduler job times: `python -m bench.scheduler_times [--items N] [--overdue K] [--users U]
[--only JOB,...] [--profile]`.

Generates N items (default 100,000; SQLite, or KVALITET_BENCH_DATABASE_URL), gives K of the
open ones (default 30,000) an owner and a due date long past, and U users (default 3,000) a
waiting digest entry each, then runs each scheduler job twice as the scheduler does (one
unit of work, `run_job`): the first run (the backlog) and a steady run right after (nothing
new). Prints the time, the SQL queries and what the job returned. Targets: escalation
backlog < 60 s, digests for 3,000 users < 10 s, a steady sweep < 2 s. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, insert, select, update

from bench.scale_common import city, load


def backlog(c: dict[str, Any], overdue: int, users: int) -> None:
    from kvalitet.core.roles import Role
    from kvalitet.extensions import db
    from kvalitet.items.models import Item
    from kvalitet.items.queries import open_clause
    from kvalitet.notify.models import DigestEntry, Notification, NotifyPreference
    from kvalitet.org.models import RoleAssignment, User

    chef = c["users"]["enhetschef"]
    ids = list(db.session.scalars(select(Item.id).where(open_clause()).limit(overdue)))
    for start in range(0, len(ids), 5000):
        db.session.execute(
            update(Item)
            .where(Item.id.in_(ids[start : start + 5000]))
            .values(owner_id=c["users"]["kvalitetsutvecklare"].id, due_date=date(2026, 9, 1))
        )
    # Every enhet gets a chef (who is told about the backlog at their enhet).
    for index, unit in enumerate(c["enheter"][1:]):
        email = f"chef{index}@example.se"
        db.session.execute(insert(User).values(name=f"Chef {index}", email=email,
                                               home_unit_id=unit.id))  # fmt: skip
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.execute(insert(RoleAssignment).values(user_id=user_id, unit_id=unit.id,
                                                         role=str(Role.ENHETSCHEF)))  # fmt: skip
    db.session.add(NotifyPreference(user_id=chef.id, mail_mode="direkt"))
    enheter = c["enheter"]
    rows = [{"name": f"Medarbetare {n}", "email": f"m{n}@example.se",
             "home_unit_id": enheter[n % len(enheter)].id} for n in range(users)]  # fmt: skip
    db.session.execute(insert(User), rows)
    new = list(db.session.scalars(select(User.id).where(User.email.like("m%@example.se"))))
    item = ids[0]
    db.session.execute(insert(Notification), [{"user_id": u, "item_id": item, "message": "Bench",
                                               "purpose": "info"} for u in new])  # fmt: skip
    notes = db.session.execute(select(Notification.id, Notification.user_id)).all()
    db.session.execute(insert(DigestEntry), [{"notification_id": n, "user_id": u}
                                             for n, u in notes if u in set(new)])  # fmt: skip
    db.session.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler_times", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=30_000)
    parser.add_argument("--users", type=int, default=3_000)
    parser.add_argument("--only", default="", help="job ids, e.g. notify.escalation,notify.digests")
    parser.add_argument("--profile", action="store_true", help="cProfile each first run")
    args = parser.parse_args(argv)
    only = [j for j in args.only.split(",") if j]
    from kvalitet.arshjul.scheduler import ordered_jobs, run_job
    from kvalitet.core import clock
    from kvalitet.extensions import db

    with city(args.items) as c:
        backlog(c, args.overdue, args.users)
        print(f"Schemalagda jobb: {args.items} ärenden, {args.overdue} försenade, "
              f"{args.users} användare med sammandrag, databas {c['engine']}")  # fmt: skip
        print(f"  belastning: {load()}")
        clock.freeze(datetime(2026, 10, 15, 8, 0))
        steady_total = 0.0
        figures: dict[str, float] = {}
        jobs = [j for j in ordered_jobs() if j["id"] != "notify.outbox"]
        for job in [j for j in jobs if not only or j["id"] in only]:
            for run in ("första", "stabil"):
                profile = cProfile.Profile() if args.profile and run == "första" else None
                queries: list[str] = []
                listener = lambda *a, q=queries: q.append(str(a[2]))  # noqa: E731
                event.listen(db.engine, "before_cursor_execute", listener)
                started = time.perf_counter()
                if profile is not None:
                    profile.enable()
                ok = run_job(c["app"], job, use_lease=False)
                took = time.perf_counter() - started
                if profile is not None:
                    profile.disable()
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
                event.remove(db.engine, "before_cursor_execute", listener)
                figures[f"{job['id']}:{run}"] = took
                if run == "stabil":
                    steady_total += took
                print(f"  {job['id']:28s} {run:7s} {took:7.2f} s  {len(queries):6d} frågor"
                      f"  {'ok' if ok else 'FEL'}")  # fmt: skip
        checks = [("eskalering, kö", figures.get("notify.escalation:första", 0), 60.0),
                  ("sammandrag", figures.get("notify.digests:första", 0), 10.0),
                  ("stabil körning av alla jobb", steady_total, 2.0)]  # fmt: skip
    for name, took, target in checks:
        print(f"  mål {name} < {target:.0f} s: {took:.2f} s {'OK' if took < target else 'MISSAT'}")
    return 0 if all(t < g for _, t, g in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
