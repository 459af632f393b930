"""The read-path benchmarks: `python -m bench [--items N] [--database URL]`.

Generates a big city of N items (bench/generate.py) in a fresh database, unless --database
names one made before, then prints p50/p95 of every page beside the bare SQL of its queries
with the EXPLAIN check (bench/pages.py), and the throughput of gunicorn with 2 and 4
workers at 8 and 32 clients with each worker's memory (bench/throughput.py). The report,
Word and PDF are timed by bench/rapport_times.py.

The fresh database is a SQLite file in a temporary directory, or on the PostgreSQL server in
KVALITET_BENCH_DATABASE_URL (a database named kvalitet_bench is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import generate, pages, throughput


@contextmanager
def database() -> Iterator[str]:
    pg = os.environ.get("KVALITET_BENCH_DATABASE_URL", "")
    if not pg:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'bench.sqlite'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(pg).set(drivername="postgresql+psycopg")
    # A name of this process's own: two benchmarks (or engineers) on one server must not
    # drop each other's database mid-run (the fixed name "kvalitet_bench" did).
    name = f"kvalitet_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--items", type=int, default=100_000, help="items in the city")
    parser.add_argument(
        "--database",
        default=os.environ.get("KVALITET_BENCH_CITY_URL", ""),
        help="a database made by bench.generate (default: generate one)",
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30, help="per throughput run")
    args = parser.parse_args(argv)
    status = 0
    with database() as url:
        city = args.database or url
        if not args.database:
            t0 = time.perf_counter()
            generate.main(["--items", str(args.items), "--database", city])
            print(f"generera: {time.perf_counter() - t0:.0f} s, belastning {machine_load()}")
        print(f"belastning {machine_load()}")
        status |= pages.main(["--database", city, "--requests", str(args.requests), "--check"])
        print(f"belastning {machine_load()}")
        status |= throughput.main(["--database", city, "--seconds", str(args.seconds)])
    return status


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f} (1/5/15 min) på {os.cpu_count()} kärnor"


if __name__ == "__main__":
    sys.exit(main())
