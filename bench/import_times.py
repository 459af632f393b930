"""Import times: `python -m bench.import_times [--rows N] [--kind avvikelser] [--profile]`.

Builds an organisation in a fresh database (SQLite, or KVALITET_BENCH_DATABASE_URL), writes
a CSV of N history rows (default 10,000: dated, closed, in the past quality year) and imports
it as the kvalitetsutvecklare through kvalitet.api.importer, the same call as the import page
and the CLI, committed once. Prints the preview (check) time, the import time, rows per
second and the machine's load. Target: 10,000 rows in under a minute. `--profile` prints the
20 most expensive functions of the import. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time

from bench.__main__ import database
from bench.scale_common import load

TARGET_S_PER_10K = 60.0


def rows_for(kind: str, n: int, units: list[str]) -> bytes:
    if kind == "atgarder":
        lines = ["Registrerad (datum);Enhet;Vad ska göras (rubrik);Kvalitetsområden;Status;"
                 "Avslutad (datum)"]  # fmt: skip
        for i in range(n):
            month = 1 + i % 12
            lines.append(f"2023-{month:02d}-{1 + i % 27:02d};{units[i % len(units)]};Åtgärd {i};"
                         f"Trygghet och säkerhet;Genomförd;2024-{month:02d}-28")  # fmt: skip
    elif kind == "synpunkter":
        lines = ["Mottagen (datum);Enhet;Vad det gäller;Typ;Status;Avslutad (datum)"]
        for i in range(n):
            month = 1 + i % 12
            lines.append(f"2023-{month:02d}-{1 + i % 27:02d};{units[i % len(units)]};"
                         f"Synpunkt {i};Klagomål;Avslutad;2024-{month:02d}-28")  # fmt: skip
    elif kind == "lexsarah":  # each case through bedömning, utredning and beslut
        lines = ["Enhet;Rubrik;Vad hände;Rapporterad (datum);Bedömd (datum);Bedömning;"
                 "Bedömningens motivering;Utredning (datum);Utredningen (sammanfattning);"
                 "Beslut (datum);Beslutets utfall;Allvarligt missförhållande;"
                 "Beslutets motivering;Avslutad (datum)"]  # fmt: skip
        for i in range(n):
            month = 1 + i % 12
            day = 1 + i % 20
            lines.append(f"{units[i % len(units)]};Händelse {i};Vad som hände {i}.;"
                         f"2023-{month:02d}-{day:02d};2023-{month:02d}-{day + 1:02d};"
                         f"Missförhållande;Utreds.;2023-{month:02d}-{day + 3:02d};Utredningen.;"
                         f"2023-{month:02d}-{day + 5:02d};Ej missförhållande;nej;Motivering.;"
                         f"2023-{month:02d}-{day + 6:02d}")  # fmt: skip
    elif kind == "risker":
        lines = ["Registrerad (datum);Enhet;Risk (rubrik);Riskanalys (beskrivning);"
                 "Sannolikhet (1–4);Konsekvens (1–4);Följs upp (datum)"]  # fmt: skip
        for i in range(n):
            month = 1 + i % 12
            grade = f"{1 + i % 4};{1 + (i // 4) % 4}"
            lines.append(f"2023-{month:02d}-{1 + i % 27:02d};{units[i % len(units)]};Risk {i};"
                         f"Analys {i}.;{grade};2024-{month:02d}-28")  # fmt: skip
    else:
        lines = ["Datum;Enhet;Kategori;Beskrivning;Status;Avslutad (datum)"]
        for i in range(n):
            month = 1 + i % 12
            lines.append(f"2023-{month:02d}-{1 + i % 27:02d};{units[i % len(units)]};"
                         f"Dokumentation;Händelse {i};Avslutad;2024-{month:02d}-28")  # fmt: skip
    return "\n".join(lines).encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_times", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--kind", default="avvikelser",
                        choices=("avvikelser", "synpunkter", "atgarder", "lexsarah",
                                 "risker"))  # fmt: skip
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from bench.rapport_times import PASSWORD, build_org
    from kvalitet import create_app
    from kvalitet.api import importer
    from kvalitet.demo import seed_reference_data
    from kvalitet.extensions import db
    from kvalitet.items.models import Item
    from kvalitet.org.models import Role
    from kvalitet.org.operations import create_user, grant_role

    with database() as url, tempfile.TemporaryDirectory() as instance:
        os.environ["KVALITET_INSTANCE_PATH"] = instance
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": False,
                          "SERVER_NAME": None, "RATELIMIT_ENABLED": False})  # fmt: skip
        # In a request, as the import page runs (the per-request caches of the policy and of
        # the notices' recipients apply as they do there).
        with app.test_request_context("/import"):
            db.create_all()
            seed_reference_data()
            forv, enheter, kvu = build_org()
            # A förvaltning's enheter have chefs: each row's notice is addressed (and dropped).
            for n, unit in enumerate(enheter[:6]):
                chef = create_user(None, name=f"Chef {n}", email=f"chef{n}@example.se",
                                   password=PASSWORD, home_unit=unit)  # fmt: skip
                grant_role(None, chef, Role.ENHETSCHEF, unit)
            db.session.commit()
            if args.kind == "lexsarah":  # SAS takes the cases' steps (bedömning, beslut)
                grant_role(None, kvu, Role.SAS, forv)
                db.session.commit()
            kind = importer.import_kind(args.kind)
            assert kind is not None
            data = rows_for(args.kind, args.rows, [u.name for u in enheter[:6]])
            headers, rows = importer.read_table("bench.csv", data)
            mapping = importer.guess_mapping(kind, headers)
            engine = db.engine.dialect.name

            started = time.perf_counter()
            results = importer.check_rows(kind, kvu, headers, rows, mapping, "bench.csv")
            checked = time.perf_counter() - started
            bad = [r for r in results if not r.ok]
            if bad:
                print(f"  fel i raderna: {bad[0].number} {bad[0].errors}")
                return 1

            profiler = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            created, _ = importer.run_import(kind, kvu, headers, rows, mapping, "bench.csv")
            db.session.commit()
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
            count = db.session.scalar(select(func.count(Item.id)).where(Item.kind == kind.code))
            ok = count == args.rows and seconds < TARGET_S_PER_10K * args.rows / 10_000
            print(f"Import: {args.rows} {args.kind}, databas {engine}, belastning: {load()}")
            print(f"  förhandsgranskning {checked:6.1f} s ({args.rows / checked:6.0f} rader/s)")
            print(f"  import             {seconds:6.1f} s ({args.rows / seconds:6.0f} rader/s), "
                  f"{count} ärenden i databasen")  # fmt: skip
            print(f"  mål < {TARGET_S_PER_10K:.0f} s per 10 000 rader: "
                  f"{'OK' if ok else 'FÖR LÅNGSAMT'}")  # fmt: skip
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
                print(out.getvalue())
            del created
            db.session.remove()
            db.engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
