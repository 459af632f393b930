"""Read throughput: gunicorn on loopback against a database made by bench.generate.

    python -m bench.throughput --database URL [--workers 2 4] [--clients 8 32] [--seconds 30]

For each number of workers and of clients: the clients log in (enhetschefer, the
kvalitetsutvecklare, SAS) and read, as fast as answers come, a mix of the inbox (20 %), the
lists (first and later pages, filters; 50 %) and detail pages (30 %: items the user may see,
and FOREIGN_SHARE of them any unit's, a 404). gunicorn runs with the repository's
gunicorn.conf.py, production's settings. After everyone has logged in and a warm-up, prints
requests per second, errors, p50/p95, the machine's load, the resident memory of each
worker and the CPU time per request of the workers and of PostgreSQL's backends;
`--py-spy FILE` samples the first worker. Exit status 1 on any error (status >= 500 or a
connection error).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
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
from flask import g
from sqlalchemy import create_engine, select, text

from bench.db import app_for, normalised
from bench.generate import BENCH_PASSWORD
from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import User

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LISTS = ["/avvikelser/", "/atgarder/", "/synpunkter/", "/egenkontroll/", "/risker/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DETAIL = {"AVV": "/avvikelser/", "SYN": "/synpunkter/", "ATG": "/atgarder/", "RSK": "/risker/"}
# Of the detail pages, this share asks for a recent item of any unit, which the user mostly
# may not see (a 404, as it should be: the policy's refusal is part of the mix); the rest
# open items the user may see, as people do.
FOREIGN_SHARE = 0.1


def _refs(url: str) -> dict[str, list[str]]:
    """Recent item refs per kind, of any unit (the mix's 404s)."""
    rows = _rows(
        url,
        "SELECT kind, unit_id, ref FROM item WHERE kind IN ('AVV','SYN','ATG','RSK') "
        "ORDER BY created_at DESC LIMIT 20000",
    )
    refs: dict[str, list[str]] = collections.defaultdict(list)
    for kind, _unit, ref in rows:
        refs[kind].append(ref)
    return refs


def _visible_refs(url: str, emails: list[str]) -> dict[str, dict[str, list[str]]]:
    """Per user, recent refs per kind of items that user may see (the policy's own clause)."""
    app = app_for(url)
    specs = [s for s in all_kinds() if s.code in DETAIL]
    out: dict[str, dict[str, list[str]]] = {}
    with app.app_context():
        for email in emails:
            user = db.session.scalar(select(User).where(User.email == email))
            refs: dict[str, list[str]] = collections.defaultdict(list)
            if user is not None:
                for spec in specs:
                    refs[spec.code] = list(
                        db.session.scalars(
                            select(Item.ref)
                            .where(visible_clause(user, [spec]))
                            .order_by(Item.id.desc())
                            .limit(200)
                        )
                    )
            out[email] = {k: v for k, v in refs.items() if v}
            db.session.remove()
            vars(g).clear()
    return out


class Client(threading.Thread):
    def __init__(
        self,
        base: str,
        email: str,
        refs: dict[str, list[str]],
        mine: dict[str, list[str]],
        go: threading.Event,
        stop: threading.Event,
    ):
        super().__init__(daemon=True)
        self.base, self.email, self.refs, self.mine = base, email, refs, mine
        self.go, self.stop = go, stop
        self.logged_in = threading.Event()
        self.http = requests.Session()
        self.measuring = False  # set by the main thread after the warm-up
        self.times: list[float] = []
        self.statuses: collections.Counter[Any] = collections.Counter()
        self.rng = random.Random(email)  # noqa: S311 a request mix, not security

    def path(self) -> str:
        roll = self.rng.random()
        if roll < 0.2:
            return "/"
        if roll < 0.7:
            base = self.rng.choice(LISTS)
            return base + self.rng.choice(
                ["", "?page=2", "?page=20", "?oppna=1", "?sortering=aldst"]
            )
        refs = self.refs if self.rng.random() < FOREIGN_SHARE or not self.mine else self.mine
        kind = self.rng.choice(sorted(refs))
        return DETAIL[kind] + self.rng.choice(refs[kind] or ["X"])

    def run(self) -> None:
        page = self.http.get(self.base + "/logga-in", timeout=60)
        token = page.text.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        self.http.post(self.base + "/logga-in", timeout=60, allow_redirects=False,
                       data={"email": self.email, "password": BENCH_PASSWORD,
                             "csrf_token": token})  # fmt: skip
        self.logged_in.set()
        self.go.wait()
        while not self.stop.is_set():
            counted = self.measuring
            t0 = time.perf_counter()
            try:
                status: Any = self.http.get(
                    self.base + self.path(), timeout=60, allow_redirects=False
                ).status_code
            except requests.RequestException:
                status = "connection error"
            if counted:
                self.times.append(time.perf_counter() - t0)
                self.statuses[status] += 1


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (seconds; gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _workers(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database (the workers'
    pooled connections); none on SQLite."""
    if not normalised(url).startswith("postgresql"):
        return []
    rows = _rows(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()",
    )
    return [int(pid) for (pid,) in rows]


def _rows(url: str, statement: str) -> list[Any]:
    """The rows of one statement on a connection of its own, outside the app."""
    engine = create_engine(normalised(url))
    with engine.connect() as conn:
        rows = list(conn.execute(text(statement)).all())
    engine.dispose()
    return rows


def py_spy_binary() -> str:
    found = BIN / "py-spy"
    return str(found) if found.exists() else (shutil.which("py-spy") or "py-spy")


def _rss_mb(pid: int) -> list[float]:
    """Resident memory of the gunicorn workers (the children of the master)."""
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


EMAILS = ["bench.chef@example.se", "bench.kvalitet@example.se", "bench.sas@example.se"] + [
    f"chef{n}@example.se" for n in range(2, 61)
]


def run(
    url: str,
    workers: int,
    clients: int,
    seconds: int,
    refs: dict[str, list[str]],
    mine: dict[str, dict[str, list[str]]],
    py_spy: str = "",
    warmup: int = 5,
) -> bool:
    instance = tempfile.mkdtemp(prefix="kvalitet-throughput-")
    env = {
        **os.environ,
        "KVALITET_INSTANCE_PATH": instance,
        "KVALITET_DATABASE_URL": normalised(url),
        "KVALITET_SECRET_KEY": "throughput",
        "KVALITET_SESSION_COOKIE_SECURE": "false",
        "KVALITET_RATELIMIT_ENABLED": "false",
    }
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 our own gunicorn, fixed arguments
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "kvalitet:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/logga-in", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        # Everyone logs in first (argon2 takes a while under load), then a warm-up (each
        # worker's first pages compile their templates), then the measured seconds.
        go, stop = threading.Event(), threading.Event()
        emails = [EMAILS[i % len(EMAILS)] for i in range(clients)]
        threads = [Client(base, e, refs, mine.get(e, {}), go, stop) for e in emails]
        for t in threads:
            t.start()
        for t in threads:
            t.logged_in.wait(timeout=300)
        go.set()
        time.sleep(warmup)
        workers_pids = _workers(server.pid)
        backends = _backends(url)
        spy = None
        if py_spy:  # the first worker's stacks, sampled for the measured seconds (collapsed)
            spy = subprocess.Popen(  # noqa: S603 a profiler of our own worker
                [py_spy_binary(), "record", "--pid", str(workers_pids[0]), "--duration",
                 str(seconds), "--format", "raw", "--nonblocking", "--output", py_spy],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        cpu_before = _cpu_seconds(workers_pids), _cpu_seconds(backends)
        for t in threads:
            t.measuring = True
        started = time.perf_counter()
        time.sleep(seconds)
        for t in threads:
            t.measuring = False
        elapsed = time.perf_counter() - started
        cpu_python = _cpu_seconds(workers_pids) - cpu_before[0]
        later = [p for p in _backends(url) if p not in backends]  # connected since: all theirs
        cpu_sql = _cpu_seconds(backends) - cpu_before[1] + _cpu_seconds(later)
        backends += later
        stop.set()
        for t in threads:
            t.join(timeout=120)
        done = sum(len(t.times) for t in threads)
        if spy is not None:
            spy.wait(timeout=60)
        rss = _rss_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=150)  # workers finish the requests they hold
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    times = sorted(x for t in threads for x in t.times)
    statuses: collections.Counter[Any] = collections.Counter()
    for t in threads:
        statuses.update(t.statuses)
    errors = sum(n for s, n in statuses.items() if s == "connection error" or s >= 500)
    load = os.getloadavg()
    p50 = times[len(times) // 2] if times else 0
    p95 = times[int(len(times) * 0.95)] if times else 0
    print(f"  {workers} workers, {clients:2d} klienter: {done / elapsed:6.1f} anrop/s, "
          f"p50 {p50 * 1000:6.0f} ms, p95 {p95 * 1000:6.0f} ms, fel {errors}, "
          f"status {dict(statuses)}, RSS per worker {', '.join(f'{r:.0f}' for r in rss)} MB, "
          f"belastning {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}", flush=True)  # fmt: skip
    if done:
        print(f"    CPU per anrop: gunicorn {cpu_python / done * 1000:.1f} ms, PostgreSQL "
              f"{cpu_sql / done * 1000:.1f} ms ({len(backends)} anslutningar), "
              f"{done} anrop mätta", flush=True)  # fmt: skip
    return errors == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--py-spy",
        default="",
        help="sample the first worker with py-spy (pip install py-spy) into this file "
        "(collapsed stacks; with several runs, the last one's)",
    )
    args = parser.parse_args(argv)
    refs = _refs(args.database)
    most = max(args.clients)
    mine = _visible_refs(args.database, [EMAILS[i % len(EMAILS)] for i in range(most)])
    print(f"Genomströmning mot {args.database.split(':')[0]}, {args.seconds} s per körning, "
          f"{os.cpu_count()} kärnor")  # fmt: skip
    ok = True
    for workers in args.workers:
        for clients in args.clients:
            ok = run(args.database, workers, clients, args.seconds, refs, mine, args.py_spy) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
