"""Page benchmark: p50/p95 of every list, filter and detail page through the whole Flask
stack, for an enhetschef, the kvalitetsutvecklare, SAS and MAS, each beside the bare SQL of its
own queries (the same statements and parameters replayed on a raw DB-API connection), with
the ratio and the query count.

    python -m bench.pages --database URL [--requests 20] [--check]

The database is one made by bench.generate (its named users). `--check` also runs EXPLAIN of
every SELECT the list pages ran (PostgreSQL) and fails if a plan has a sequential scan of
`item` or `audit_entry`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app, g
from sqlalchemy import event, func, or_, select

from bench.db import app_for
from bench.generate import BENCH_PASSWORD
from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.extensions import db
from kvalitet.items.models import Comment, Item, ItemLink
from kvalitet.items.queries import detail_url
from kvalitet.org.models import Unit, UnitKind, User

LISTS = {
    "AVV": "/avvikelser/",
    "ATG": "/atgarder/",
    "RSK": "/risker/",
    "LXS": "/lexsarah/",
    "SYN": "/synpunkter/",
    "EGK": "/egenkontroll/",
}
# MAS sees the health-care avvikelser and lex Maria everywhere through a branch of its own.
USERS = ("chef", "kvalitet", "sas", "mas")
SEQ_SCAN_TABLES = ("item", "audit_entry")


@dataclass
class Result:
    who: str
    label: str
    url: str
    status: int
    times: list[float]
    sql_times: list[float]
    queries: int
    selects: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return _pct(self.times, 0.95)

    @property
    def sql_p50(self) -> float:
        return statistics.median(self.sql_times) if self.sql_times else 0.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _richest_item(user: User, code: str) -> Item | None:
    """The visible item of the kind with the most links and comments (the heaviest page)."""
    spec = next((s for s in all_kinds() if s.code == code), None)
    if spec is None:
        return None
    links = (
        select(func.count(ItemLink.id))
        .where(or_(ItemLink.source_id == Item.id, ItemLink.target_id == Item.id))
        .scalar_subquery()
    )
    comments = select(func.count(Comment.id)).where(Comment.item_id == Item.id).scalar_subquery()
    recent = (
        select(Item.id)
        .where(visible_clause(user, [spec]))
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(200)
        .subquery()
    )
    return db.session.scalar(
        select(Item)
        .where(Item.id.in_(select(recent.c.id)))
        .order_by(links.desc(), comments.desc(), Item.id)
        .limit(1)
    )


def pages_for(user: User) -> list[tuple[str, str]]:
    enhet = db.session.scalar(
        select(Unit.id).where(Unit.kind == UnitKind.ENHET).order_by(Unit.path).limit(1)
    )
    pages = [("inkorg", "/"), ("inkorg försenade", "/?visa=forsenade")]
    specs = {s.code: s for s in all_kinds()}
    for code, path in LISTS.items():
        if code not in specs:
            continue
        state = next(iter(specs[code].workflow.open_states), "")
        pages += [
            (f"{code} sida 1", path),
            (f"{code} sida 40", f"{path}?page=40"),
            (f"{code} status", f"{path}?status={state}"),
            (f"{code} enhet", f"{path}?enhet={enhet}"),
            (f"{code} öppna", f"{path}?oppna=1"),
            (f"{code} äldst först", f"{path}?sortering=aldst"),
        ]
        item = _richest_item(user, code)
        if item is not None:
            with current_app.test_request_context():
                pages.append((f"{code} ärende", detail_url(item)))
    if "LXM" in specs and user.has_role("mas"):  # lex Maria's board is MAS's (no list filters)
        pages += [("LXM tavla", "/lexmaria/"), ("LXM alla steg", "/lexmaria/?steg=alla")]
        item = _richest_item(user, "LXM")
        if item is not None:
            with current_app.test_request_context():
                pages.append(("LXM ärende", detail_url(item)))
    for code in LISTS:
        if code in specs:
            pages.append((f"API {code}", f"/api/v1/{_slug(specs[code])}?per_page=50"))
    return pages + SEARCHES


# The search page: a word in about one item in six of bench.generate's texts, two words, a
# word with the kind facet chosen, page 40 of the word, and a number found in one title.
SEARCHES = [
    ("sök ett ord", "/sok?q=journalf%C3%B6ring"),
    ("sök två ord", "/sok?q=fallolycka+nattpersonal"),
    ("sök ord typ", "/sok?q=journalf%C3%B6ring&typ=AVV"),
    ("sök sida 40", "/sok?q=journalf%C3%B6ring&page=40"),
    ("sök sällsynt", "/sok?q=553021"),
]


def _slug(spec: Any) -> str:
    from kvalitet.api.serialize import slug

    return str(slug(spec))


def _token(user: User) -> str:
    from kvalitet.api.tokens import create_token

    _row, token = create_token(user, user, name="bench")
    db.session.commit()
    return str(token)


def _replay(selects: list[tuple[str, Any]]) -> float:
    """Run the statements on the raw DB-API connection, fetching every row."""
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        t0 = time.perf_counter()
        for statement, parameters in selects:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        elapsed = time.perf_counter() - t0
        raw.rollback()
        return elapsed
    finally:
        raw.close()


def measure(
    app: Any,
    requests: int,
    users: tuple[str, ...] = USERS,
    only: Callable[[str], bool] | None = None,
    save_html: str = "",
) -> list[Result]:
    results: list[Result] = []
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        for who in users:
            user = db.session.scalar(select(User).where(User.email == f"bench.{who}@example.se"))
            assert user is not None, f"no bench.{who}: generate the database with bench.generate"
            client = app.test_client()
            vars(g).clear()  # the previous user's request is over
            login = client.post("/logga-in", data={"email": user.email, "password": BENCH_PASSWORD})
            assert login.status_code == 302, f"bench login of {who} failed ({login.status_code})"
            headers = {"Authorization": f"Bearer {_token(user)}"}
            pages = pages_for(user)
            db.session.remove()
            for label, url in pages:
                if only is not None and not only(label):
                    continue
                extra = headers if label.startswith("API") else {}
                statements: list[tuple[str, Any]] = []

                def capture(
                    conn: Any,
                    cursor: Any,
                    statement: str,
                    parameters: Any,
                    *a: Any,
                    into: list[tuple[str, Any]] = statements,
                ) -> None:
                    into.append((statement, parameters))

                times: list[float] = []
                status = 0
                for n in range(requests + 1):
                    vars(g).clear()  # a fresh request, as on a server
                    db.session.remove()
                    if n == 1:
                        event.listen(db.engine, "before_cursor_execute", capture)
                    t0 = time.perf_counter()
                    response = client.get(url, headers=extra)
                    elapsed = time.perf_counter() - t0
                    status = response.status_code
                    if n == 1 and save_html:
                        _save(save_html, who, label, response.get_data(as_text=True))
                    if n == 1:
                        event.remove(db.engine, "before_cursor_execute", capture)
                    if n:  # the first request warms caches
                        times.append(elapsed)
                selects = [
                    (s, p)
                    for s, p in statements
                    if s.lstrip().upper().startswith(("SELECT", "WITH"))
                ]
                sql_times = [_replay(selects) for _ in range(min(requests, 10))]
                results.append(
                    Result(who, label, url, status, times, sql_times, len(statements), selects)
                )
                print(_line(results[-1]), flush=True)
    return results


def _save(directory: str, who: str, label: str, body: str) -> None:
    """The page's HTML without its CSRF tokens, to compare two versions of the code."""
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', body)
    body = re.sub(r'(<meta name="csrf-token" content=")[^"]*"', r'\1"', body)
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{who}_{label}")
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{name}.html").write_text(body)


def _line(r: Result) -> str:
    ratio = r.p50 / r.sql_p50 if r.sql_p50 else float("nan")
    return (
        f"{r.who:<9} {r.label:<20} {r.p50 * 1000:7.1f} {r.p95 * 1000:7.1f} ms   "
        f"SQL {r.sql_p50 * 1000:7.1f} ms  ×{ratio:5.1f}  {r.queries:3d} q  HTTP {r.status}"
    )


HEADER = f"{'roll':<9} {'sida':<20} {'p50':>7} {'p95':>7}      SQL p50       kvot   frågor"


def _timed(statement: str, parameters: Any) -> float:
    """The best of three runs of one statement on a raw DB-API connection (seconds)."""
    best = []
    for _ in range(3):
        best.append(_replay([(statement, parameters)]))
    return min(best)


def print_statements(results: list[Result]) -> None:
    """Each page's SELECTs, slowest first, with their time and parameters (to EXPLAIN)."""
    for r in results:
        print(f"\n== {r.who} {r.label} ({r.url})")
        timed = sorted(((_timed(s, p), s, p) for s, p in r.selects), key=lambda t: -t[0])
        for elapsed, statement, parameters in timed:
            print(f"-- {elapsed * 1000:.1f} ms  {parameters!r}\n{statement}")


def explain_seq_scans(results: list[Result]) -> list[str]:
    """EXPLAIN every SELECT the pages ran (PostgreSQL); the plans that scan item or
    audit_entry sequentially."""
    if db.engine.dialect.name != "postgresql":
        return []
    problems: list[str] = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for r in results:
            for statement, parameters in r.selects:
                cursor.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                for table in SEQ_SCAN_TABLES:
                    if f"Seq Scan on {table} " in plan + " ":
                        problems.append(
                            f"{r.who} {r.label}: Seq Scan on {table}\n{statement}\n{plan}"
                        )
        raw.rollback()
    finally:
        raw.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--check", action="store_true", help="EXPLAIN: no Seq Scan on item")
    parser.add_argument("--only", default="", help="only pages whose label contains this")
    parser.add_argument(
        "--users", nargs="+", default=list(USERS), help=f"bench users (default {' '.join(USERS)})"
    )
    parser.add_argument(
        "--statements", action="store_true", help="print each page's SELECTs and their time"
    )
    parser.add_argument(
        "--save-html", default="", help="write each page's HTML (no CSRF tokens) to this folder"
    )
    args = parser.parse_args(argv)
    app = app_for(args.database)
    with app.app_context():
        items = db.session.scalar(select(func.count(Item.id)))
        engine = db.engine.dialect.name
    print(f"Sidor: {items} ärenden, {engine}, {args.requests} anrop per sida (ms)")
    print(HEADER)
    only = (lambda label: args.only in label) if args.only else None
    results = measure(app, args.requests, tuple(args.users), only=only, save_html=args.save_html)
    if args.statements:
        with app.app_context():
            print_statements(results)
    slow = [r for r in results if r.p95 > 0.100]
    print(f"\n{len(results)} sidor; p95 över 100 ms: {len(slow)}; över 15 frågor: "
          f"{sum(1 for r in results if r.queries > 15)}; kvot över 3: "
          f"{sum(1 for r in results if r.sql_p50 and r.p50 / r.sql_p50 > 3)}")  # fmt: skip
    if args.check:
        with app.app_context():
            problems = explain_seq_scans(results)
        for p in problems:
            print(p)
        print(f"EXPLAIN: {len(problems)} planer med Seq Scan på {', '.join(SEQ_SCAN_TABLES)}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
