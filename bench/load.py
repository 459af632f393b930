"""Load benchmark: gunicorn with three workers, 20 logged-in users at once, a realistic mix.

    python -m bench.load [--seconds 180] [--users 20] [--workers 3]

Each user logs in and then, until the time is up, reads the inbox and lists, opens items,
reports avvikelser, comments and takes workflow steps (chefs start investigations). The
server runs on a fresh instance with the demo data, on SQLite (default) or on the
PostgreSQL server in KVALITET_BENCH_DATABASE_URL. It prints the requests, the errors by
status, p50/p95 per kind of request, and then checks integrity: every avvikelse the users
were told was saved is in the database with its audit row, and reference numbers are unique
and without gaps. Exit status 1 on any response >= 500, connection error or broken integrity.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "Demo-losen-2026"
STAFF = ["medarbetare@demo.kvalitet.se", "chef.utr1@demo.kvalitet.se",
         "chef.utr2@demo.kvalitet.se", "avdchef.bou@demo.kvalitet.se",
         "kvalitet@demo.kvalitet.se", "sas@demo.kvalitet.se"]  # fmt: skip
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(instance: Path) -> str:
    pg = os.environ.get("KVALITET_BENCH_DATABASE_URL", "")
    if not pg:
        return f"sqlite:///{instance / 'kvalitet.sqlite'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(pg).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "kvalitet_load" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "kvalitet_load"'))
    admin.dispose()
    return url.set(database="kvalitet_load").render_as_string(hide_password=False)


class User:
    def __init__(self, base: str, email: str, stats: Stats, created: list[str]):
        self.base, self.email, self.stats, self.created = base, email, stats, created
        self.http = requests.Session()
        self.chef = email.startswith(("chef", "avdchef"))

    def call(self, kind: str, method: str, path: str, **kw: Any) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=60,
                                         allow_redirects=False, **kw)  # fmt: skip
        except requests.RequestException as error:
            self.stats.record(kind, "connection error", time.perf_counter() - t0, str(error))
            return None
        self.stats.record(kind, response.status_code, time.perf_counter() - t0,
                          response.text[:200] if response.status_code >= 500 else "")  # fmt: skip
        return response

    def token(self, path: str) -> str | None:
        page = self.call("read", "GET", path)
        match = CSRF.search(page.text) if page is not None else None
        return match.group(1) if match else None

    def login(self) -> bool:
        token = self.token("/logga-in")
        response = self.call("login", "POST", "/logga-in", data={
            "csrf_token": token, "email": self.email, "password": PASSWORD})  # fmt: skip
        return response is not None and response.status_code == 302

    def report(self) -> None:
        page = self.call("read", "GET", "/avvikelser/ny")
        if page is None or page.status_code != 200:
            return
        token = CSRF.search(page.text)
        unit = re.search(r'<option selected value="(\d+)"', page.text)
        category = re.search(r'name="category_id".*?<option value="(\d+)"', page.text, re.S)
        if not (token and unit and category):
            return
        response = self.call("report", "POST", "/avvikelser/ny", data={
            "csrf_token": token.group(1), "unit_id": unit.group(1),
            "category_id": category.group(1), "event_at": "2026-11-20T10:00",
            "description": f"Lasttest: beslut skickades inte ut ({self.email})",
        })  # fmt: skip
        if response is not None and response.status_code == 302:
            ref = re.search(r"/avvikelser/(AVV-\d{4}-\d+)/kvitto", response.headers["Location"])
            if ref:
                self.created.append(ref.group(1))

    def open_and_act(self) -> None:
        listing = self.call("list", "GET", "/avvikelser/")
        if listing is None or listing.status_code != 200:
            return
        refs = re.findall(r'href="/avvikelser/(AVV-\d{4}-\d+)"', listing.text)
        if not refs:
            return
        ref = random.choice(refs)
        page = self.call("detail", "GET", f"/avvikelser/{ref}")
        if page is None or page.status_code != 200:
            return
        token = CSRF.search(page.text)
        item_id = re.search(r'action="/arende/(\d+)/kommentar"', page.text)
        version = re.search(r'name="version" value="(\d+)"', page.text)
        if not (token and item_id):
            return
        if random.random() < 0.5:
            self.call("comment", "POST", f"/arende/{item_id.group(1)}/kommentar", data={
                "csrf_token": token.group(1), "body": "Följs upp på APT."})  # fmt: skip
        elif self.chef and 'steg/utred"' in page.text and version:
            self.call("step", "POST", f"/arende/{item_id.group(1)}/steg/utred", data={
                "csrf_token": token.group(1), "version": version.group(1)})  # fmt: skip

    def run(self, until: float) -> None:
        if not self.login():
            return
        actions = [
            (0.30, lambda: self.call("read", "GET", "/")),
            (
                0.20,
                lambda: self.call(
                    "list",
                    "GET",
                    random.choice(["/avvikelser/", "/atgarder/", "/egenkontroll/", "/arshjul/"]),
                ),
            ),
            (0.30, self.open_and_act),
            (0.20, self.report),
        ]
        while time.perf_counter() < until:
            roll, acc = random.random(), 0.0
            for share, action in actions:
                acc += share
                if roll <= acc:
                    action()
                    break


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = collections.defaultdict(list)
        self.statuses: collections.Counter[Any] = collections.Counter()
        self.samples: list[str] = []

    def record(self, kind: str, status: Any, seconds: float, sample: str) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[status] += 1
            if sample and len(self.samples) < 5:
                self.samples.append(f"{status}: {sample}")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def check_integrity(url: str, created: list[str], instance: Path) -> list[str]:
    os.environ["KVALITET_INSTANCE_PATH"] = str(instance)
    from sqlalchemy import func, select

    from kvalitet import create_app
    from kvalitet.core.audit import AuditEntry
    from kvalitet.extensions import db
    from kvalitet.items.models import Item

    problems = []
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        found = {
            ref: item_id
            for ref, item_id in db.session.execute(
                select(Item.ref, Item.id).where(Item.ref.in_(created))
            )
        }
        missing = sorted(set(created) - set(found))
        if missing:
            problems.append(f"{len(missing)} reported avvikelser are missing: {missing[:5]}")
        audited = set(
            db.session.scalars(
                select(AuditEntry.item_id).where(
                    AuditEntry.action == "created", AuditEntry.item_id.in_(list(found.values()))
                )
            )
        )
        if len(audited) != len(found):
            problems.append(f"{len(found) - len(audited)} saved items have no 'created' row")
        rows = db.session.execute(
            select(Item.kind, Item.ref_year, func.count(), func.count(func.distinct(Item.ref_seq)),
                   func.min(Item.ref_seq), func.max(Item.ref_seq))
            .group_by(Item.kind, Item.ref_year)
        ).all()  # fmt: skip
        for kind, year, count, distinct, low, high in rows:
            if count != distinct or (low, high) != (1, count):
                problems.append(f"{kind}-{year}: {count} numbers, {distinct} distinct, "
                                f"from {low} to {high}")  # fmt: skip
        db.engine.dispose()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="kvalitet-load-"))
    url = database_url(instance)
    env = {
        **os.environ,
        "KVALITET_INSTANCE_PATH": str(instance),
        "KVALITET_DATABASE_URL": url,
        "KVALITET_SECRET_KEY": "load-benchmark",
        "KVALITET_SESSION_COOKIE_SECURE": "false",
    }
    flask = [str(BIN / "flask"), "--app", "kvalitet"]
    subprocess.run([*flask, "migrate-db"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([*flask, "demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "kvalitet:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/logga-in", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        stats, created = Stats(), []  # type: ignore[var-annotated]
        users = [User(base, STAFF[i % len(STAFF)], stats, created) for i in range(args.users)]
        until = time.perf_counter() + args.seconds
        threads = [threading.Thread(target=u.run, args=(until,)) for u in users]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    load = os.getloadavg()
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    total = sum(stats.statuses.values())
    errors = {k: v for k, v in stats.statuses.items() if k == "connection error" or k >= 500}
    print(f"Lasttest: {engine}, gunicorn {args.workers} workers, {args.users} användare, "
          f"{elapsed:.0f} s, belastning (1/5/15 min) {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} "
          f"på {os.cpu_count()} kärnor")  # fmt: skip
    print(
        f"  anrop: {total} ({total / elapsed:.1f}/s); statuskoder: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items(), key=str))
    )
    print(f"  fel (>= 500 eller anslutning): {sum(errors.values())}")
    for kind, values in sorted(stats.times.items()):
        print(f"  {kind:<8} {len(values):6d} anrop  p50 {pct(values, 0.5) * 1000:6.0f} ms"
              f"  p95 {pct(values, 0.95) * 1000:6.0f} ms")  # fmt: skip
    for sample in stats.samples:
        print("  exempel:", sample)
    problems = check_integrity(url, created, instance)
    print(
        f"  integritet: {len(created)} rapporterade avvikelser kontrollerade, "
        + ("inga fel" if not problems else "; ".join(problems))
    )
    shutil.rmtree(instance, ignore_errors=True)
    return 1 if errors or problems else 0


if __name__ == "__main__":
    sys.exit(main())
