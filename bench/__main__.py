"""Run every benchmark and print the figures: `python -m bench [--items N]`.

kvalitetsberättelse: generate N items in one quality year (and half as many the year
before, for the comparison) in a fresh database, then time compiling the report, and
rendering it as Word and PDF. Target: compiling under 10 s for 50,000 items.

The database is a fresh SQLite file in a temporary directory, or the PostgreSQL server in
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

TARGET_SECONDS = 10.0


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
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "kvalitet_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "kvalitet_bench"'))
    try:
        yield url.set(database="kvalitet_bench").render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "kvalitet_bench" WITH (FORCE)'))
        admin.dispose()


def bench_rapport(items: int, url: str) -> dict[str, float]:
    from sqlalchemy import text

    from kvalitet import create_app
    from kvalitet.core.periods import quality_year
    from kvalitet.extensions import db

    with tempfile.TemporaryDirectory() as instance:
        os.environ.setdefault("KVALITET_INSTANCE_PATH", instance)
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True,
                          "SERVER_NAME": None})  # fmt: skip
        with app.app_context():
            from bench.generate import build_org, generate
            from kvalitet.demo import seed_reference_data
            from kvalitet.rapport import operations as ops
            from kvalitet.rapport.document import compile_document
            from kvalitet.rapport.render import docx_bytes, pdf_bytes

            db.create_all()
            seed_reference_data()
            forv, enheter, user = build_org()
            period = quality_year(2025)
            t0 = time.perf_counter()
            generate(items, period, forv, enheter, seed=1)
            generate(items // 2, period.previous_year(), forv, enheter, seed=2)
            if db.engine.dialect.name == "postgresql":
                # As autovacuum would after a load this size: planner statistics.
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            generated = time.perf_counter() - t0
            rapport = ops.start_report(user, forv, 2025)
            db.session.expire_all()
            t0 = time.perf_counter()
            document = compile_document(rapport, user)
            compiled = time.perf_counter() - t0
            t0 = time.perf_counter()
            docx = docx_bytes(document)
            word = time.perf_counter() - t0
            t0 = time.perf_counter()
            pdf = pdf_bytes(document)
            pdf_time = time.perf_counter() - t0
            tables = sum(1 for b in document["blocks"] if b["t"] == "table")
            lists = bench_lists(app, user, enheter[1])
            db.session.remove()
            db.engine.dispose()
    return {
        "items": items + items // 2,
        "generate_s": generated,
        "compile_s": compiled,
        "docx_s": word,
        "docx_kb": len(docx) / 1024,
        "pdf_s": pdf_time,
        "pdf_kb": len(pdf) / 1024,
        "tables": tables,
        "lists": lists,
    }


LIST_PAGES = [
    ("Mina ärenden", "/"),
    ("Avvikelser, sida 1", "/avvikelser/"),
    ("Avvikelser, sida 100", "/avvikelser/?page=100"),
    ("Avvikelser, fritext", "/avvikelser/?q=rutin"),
    ("Avvikelser, enhet + status", "/avvikelser/?enhet={unit}&status=avslutad"),
    ("Förbättringsåtgärder", "/atgarder/"),
    ("Synpunkter", "/synpunkter/"),
    ("Egenkontroller", "/egenkontroll/"),
    ("Avvikelsestatistik", "/avvikelser/statistik"),
    ("Export Excel, enhet", "/avvikelser/?enhet={unit}&format=xlsx"),
]


def bench_lists(app, user, unit) -> list[tuple[str, float, int]]:  # type: ignore[no-untyped-def]
    """Median of 5 requests per list page, as the kvalitetsutvecklare who sees everything
    (the widest permission clause), through the whole Flask stack."""
    from flask import g

    from kvalitet.extensions import db

    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/logga-in", data={"email": user.email, "password": "x" * 12})
    assert response.status_code == 302, "bench login failed"
    results = []
    for label, path in LIST_PAGES:
        url = path.format(unit=unit.id)
        times = []
        status = 0
        for _ in range(5):
            vars(g).clear()  # a fresh request, as on a server (the app context is shared)
            db.session.expire_all()
            t0 = time.perf_counter()
            status = client.get(url).status_code
            times.append(time.perf_counter() - t0)
        times.sort()
        results.append((label, times[len(times) // 2], status))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--items", type=int, default=50000, help="items in the compiled year")
    args = parser.parse_args(argv)
    with database() as url:
        print(f"Kvalitetsberättelse: {args.items} ärenden under kvalitetsåret 2025/26 "
              f"(+{args.items // 2} året innan), databas {url.split(':')[0]}")  # fmt: skip
        r = bench_rapport(args.items, url)
    verdict = "OK" if r["compile_s"] < TARGET_SECONDS else "FÖR LÅNGSAMT"
    print(f"  generera data:      {r['generate_s']:7.2f} s ({r['items']} ärenden)")
    print(
        f"  sammanställa:       {r['compile_s']:7.2f} s ({r['tables']} tabeller), "
        f"mål < {TARGET_SECONDS:.0f} s: {verdict}"
    )
    print(f"  Word (.docx):       {r['docx_s']:7.2f} s ({r['docx_kb']:.0f} kB)")
    print(f"  PDF (WeasyPrint):   {r['pdf_s']:7.2f} s ({r['pdf_kb']:.0f} kB)")
    print("Listor (median av 5 anrop genom hela Flask-stacken, som kvalitetsutvecklare):")
    for label, seconds, status in r["lists"]:
        print(f"  {label:<28} {seconds * 1000:7.0f} ms  (HTTP {status})")
    return 0 if r["compile_s"] < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
