"""Read throughput: gunicorn on loopback against a database made by bench.generate.

    python -m bench.throughput --database URL [--workers 2 4] [--clients 8 32] [--seconds 30]

For each number of workers and of clients: the clients log in (enhetschefer, the
kvalitetsutvecklare, SAS) and read, as fast as answers come, a mix of the inbox, the lists
(first and later pages, filters) and detail pages. Prints requests per second, errors,
p50/p95, the machine's load and the resident memory of each worker. Exit status 1 on any
error (status >= 500 or a connection error).
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from bench.db import normalised
from bench.generate import BENCH_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LISTS = ["/avvikelser/", "/atgarder/", "/synpunkter/", "/egenkontroll/", "/risker/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refs(url: str) -> dict[str, list[str]]:
    """Recent item refs per kind and unit, for the detail pages in the mix."""
    engine = create_engine(normalised(url))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT kind, unit_id, ref FROM item WHERE kind IN ('AVV','SYN','ATG','RSK') "
                "ORDER BY created_at DESC LIMIT 20000"
            )
        ).all()
    engine.dispose()
    refs: dict[str, list[str]] = collections.defaultdict(list)
    for kind, _unit, ref in rows:
        refs[kind].append(ref)
    return refs


DETAIL = {"AVV": "/avvikelser/", "SYN": "/synpunkter/", "ATG": "/atgarder/", "RSK": "/risker/"}


class Client(threading.Thread):
    def __init__(self, base: str, email: str, refs: dict[str, list[str]], until: float):
        super().__init__(daemon=True)
        self.base, self.email, self.refs, self.until = base, email, refs, until
        self.http = requests.Session()
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
        kind = self.rng.choice(list(DETAIL))
        return DETAIL[kind] + self.rng.choice(self.refs[kind] or ["X"])

    def run(self) -> None:
        page = self.http.get(self.base + "/logga-in", timeout=60)
        token = page.text.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        self.http.post(self.base + "/logga-in", timeout=60, allow_redirects=False,
                       data={"email": self.email, "password": BENCH_PASSWORD,
                             "csrf_token": token})  # fmt: skip
        while time.perf_counter() < self.until:
            t0 = time.perf_counter()
            try:
                status: Any = self.http.get(
                    self.base + self.path(), timeout=60, allow_redirects=False
                ).status_code
            except requests.RequestException:
                status = "connection error"
            self.times.append(time.perf_counter() - t0)
            self.statuses[status] += 1


def _rss_mb(pid: int) -> list[float]:
    """Resident memory of the gunicorn workers (the children of the master)."""
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def run(url: str, workers: int, clients: int, seconds: int, refs: dict[str, list[str]]) -> bool:
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
        emails = ["bench.chef@example.se", "bench.kvalitet@example.se", "bench.sas@example.se"]
        emails += [f"chef{n}@example.se" for n in range(2, 61)]
        until = time.perf_counter() + seconds + 5  # five seconds to log in
        threads = [Client(base, emails[i % len(emails)], refs, until) for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(5)
        started = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
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
    print(f"  {workers} workers, {clients:2d} klienter: {len(times) / elapsed:6.1f} anrop/s, "
          f"p50 {p50 * 1000:6.0f} ms, p95 {p95 * 1000:6.0f} ms, fel {errors}, "
          f"status {dict(statuses)}, RSS per worker {', '.join(f'{r:.0f}' for r in rss)} MB, "
          f"belastning {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}", flush=True)  # fmt: skip
    return errors == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args(argv)
    refs = _refs(args.database)
    print(f"Genomströmning mot {args.database.split(':')[0]}, {args.seconds} s per körning, "
          f"{os.cpu_count()} kärnor")  # fmt: skip
    ok = True
    for workers in args.workers:
        for clients in args.clients:
            ok = run(args.database, workers, clients, args.seconds, refs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
