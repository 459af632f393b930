"""Report times: `python -m bench.rapport_times [--items N | --database URL [--year Y]]
[--check] [--appendix] [--profile] [--keep DIR]` (--profile: cProfile of Word and PDF;
--keep: write the files; --database: the förvaltning's report on an existing
bench.generate city, e.g. the 1,000,000 items, for the quality year starting in Y).

Generates N items (default 50,000) in quality year 2025/26 and N/2 the year before (the
same generator and database choice as `python -m bench`), then times, for the
kvalitetsberättelse as the nämnd receives it:

- compiling the report;
- Word without and with the table of contents' page numbers (one LibreOffice rendering);
- PDF (WeasyPrint);
- a frozen version's download: the first renders and keeps the file, the second reads it;
- with --check: the table-fit checks of the test suite on both files (nothing outside the
  text area, no word broken, LibreOffice's Word rendering has the document's columns).

Target: Word and PDF each under 15 s. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.__main__ import database, machine_load

TARGET_SECONDS = 15.0
PASSWORD = "Bänkprov vid havet 2026"  # noqa: S105 a benchmark user in a throwaway database


def _timed(function: Any, *args: Any, profile: bool = False, **kwargs: Any) -> tuple[Any, float]:
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = function(*args, **kwargs)
    took = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        print(f"--- {function.__name__}: {took:.2f} s")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return result, took


def build_org() -> tuple[Any, list[Any], Any]:
    """bench.generate.build_org for the one-unit-of-work org operations (flush only, no
    `commit=`; bench/generate.py still passes commit=False, which they no longer take)."""
    from kvalitet.demo import TREE
    from kvalitet.extensions import db
    from kvalitet.org.models import Role, UnitKind
    from kvalitet.org.operations import create_unit, create_user, grant_role

    namnd = create_unit(None, "Socialnämnd Bench", UnitKind.NAMND, None)
    forv = create_unit(None, "Socialförvaltning Bench", UnitKind.FORVALTNING, namnd)
    enheter = []
    for avd_name, names in TREE.items():
        avd = create_unit(None, avd_name, UnitKind.AVDELNING, forv)
        enheter += [create_unit(None, n, UnitKind.ENHET, avd) for n in names]
    user = create_user(None, name="Bench Kvalitet", email="bench@example.se",
                       password=PASSWORD, home_unit=forv)  # fmt: skip
    grant_role(None, user, Role.KVALITETSUTVECKLARE, forv)
    db.session.commit()
    return forv, enheter, user


def run(
    items: int, url: str, check: bool, appendix: bool, profile: bool = False, keep: str = ""
) -> dict[str, Any]:
    from sqlalchemy import text

    from bench.generate import generate
    from kvalitet import create_app
    from kvalitet.core.periods import quality_year
    from kvalitet.demo import seed_reference_data
    from kvalitet.extensions import db
    from kvalitet.rapport import operations as ops

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as instance:
        os.environ["KVALITET_INSTANCE_PATH"] = instance
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True,
                          "SERVER_NAME": None})  # fmt: skip
        with app.app_context():
            db.create_all()
            seed_reference_data()
            forv, enheter, user = build_org()
            period = quality_year(2025)
            generate(items, period, forv, enheter, seed=1)
            generate(items // 2, period.previous_year(), forv, enheter, seed=2)
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            out.update(
                timings(
                    ops.start_report(user, forv, 2025),
                    user,
                    appendix,
                    check,
                    profile,
                    keep,
                    freeze=True,
                )
            )
            db.session.remove()
            db.engine.dispose()
    return out


def timings(
    rapport: Any,
    user: Any,
    appendix: bool,
    check: bool,
    profile: bool = False,
    keep: str = "",
    freeze: bool = False,
) -> dict[str, Any]:
    """Compile `rapport`, render Word and PDF (and, with `freeze`, a frozen version's PDF
    twice): the seconds of each and the files' sizes."""
    from kvalitet.extensions import db
    from kvalitet.rapport import jobs
    from kvalitet.rapport import operations as ops
    from kvalitet.rapport.document import compile_document
    from kvalitet.rapport.render import docx_bytes, pdf_bytes

    out: dict[str, Any] = {}
    rapport.bilaga_statistik = appendix
    db.session.commit()  # the statistics are read in worker threads
    db.session.expire_all()
    document, out["compile_s"] = _timed(compile_document, rapport, user)
    out["tables"] = sum(1 for b in document["blocks"] if b["t"] == "table")
    _, out["docx_plain_s"] = _timed(docx_bytes, document, page_numbers=False)
    docx, out["docx_s"] = _timed(docx_bytes, document, profile=profile)
    pdf, out["pdf_s"] = _timed(pdf_bytes, document, profile=profile)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "rapport.docx").write_bytes(docx)
        (Path(keep) / "rapport.pdf").write_bytes(pdf)
    out["docx_kb"], out["pdf_kb"] = len(docx) / 1024, len(pdf) / 1024
    if freeze:
        version = ops.freeze(user, rapport, confirm=True, reason="Benchmark")
        db.session.commit()
        _, out["frozen_first_s"] = _timed(jobs.cached_version_bytes, version, "pdf")
        _, out["frozen_again_s"] = _timed(jobs.cached_version_bytes, version, "pdf")
    if check:
        out["check"] = table_checks(document, docx, pdf)
    return out


def on_city(url: str, first_year: int, appendix: bool, check: bool, keep: str) -> dict[str, Any]:
    """The report of the förvaltning of an existing bench.generate city (its
    kvalitetsutvecklare bench.kvalitet writes it), for the quality year starting in
    `first_year`. The report row is made once and kept; nothing is frozen."""
    from sqlalchemy import select

    from bench.db import app_for
    from kvalitet.extensions import db
    from kvalitet.org.models import Unit, UnitKind, User
    from kvalitet.rapport import operations as ops

    app = app_for(url)
    with app.app_context():
        forv = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.FORVALTNING))
        user = db.session.scalar(select(User).where(User.email == "bench.kvalitet@example.se"))
        assert forv is not None and user is not None, "not a bench.generate city"
        rapport = ops.start_report(user, forv, first_year)
        out = timings(rapport, user, appendix, check, keep=keep)
        db.session.remove()
        db.engine.dispose()
    return out


def table_checks(document: dict[str, Any], docx: bytes, pdf: bytes) -> list[str]:
    from kvalitet.rapport.fitcheck import broken_words, dedupe, expected_columns, inspect
    from kvalitet.rapport.layout import fit_tables
    from kvalitet.rapport.word import to_pdf_with_libreoffice

    fitted = fit_tables(document["blocks"])
    problems = []
    seen = inspect(pdf)
    problems += [f"PDF: {p}" for p in seen.outside]
    problems += [f"PDF: ordet {w!r} är brutet" for w in broken_words(seen.words, fitted)]
    lo = inspect(to_pdf_with_libreoffice(docx), tables=True)
    problems += [f"Word: {p}" for p in lo.outside]
    problems += [f"Word: ordet {w!r} är brutet" for w in broken_words(lo.words, fitted)]
    if dedupe(lo.columns) != dedupe(expected_columns(document["blocks"])):
        problems.append("Word: LibreOffice ritar inte dokumentets antal kolumner")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rapport_times", description=__doc__)
    parser.add_argument("--items", type=int, default=50000, help="items in the compiled year")
    parser.add_argument("--check", action="store_true", help="run the table-fit checks too")
    parser.add_argument("--appendix", action="store_true", help="with the statistics appendix")
    parser.add_argument("--profile", action="store_true", help="cProfile Word and PDF")
    parser.add_argument("--keep", default="", help="write rapport.docx and rapport.pdf here")
    parser.add_argument("--database", default="", help="an existing bench.generate city")
    parser.add_argument("--year", type=int, default=2025, help="with --database: first year")
    args = parser.parse_args(argv)
    bilaga = f"bilaga {'med' if args.appendix else 'utan'}"
    if args.database:
        city = args.database.rsplit("/", 1)[-1]
        print(f"Kvalitetsberättelse som dokument: förvaltningen i {city}, "
              f"kvalitetsåret {args.year}/{(args.year + 1) % 100:02d}, {bilaga}")  # fmt: skip
        print(f"  belastning: {machine_load()}")
        r = on_city(args.database, args.year, args.appendix, args.check, args.keep)
    else:
        with database() as url:
            print(f"Kvalitetsberättelse som dokument: {args.items} ärenden 2025/26 "
                  f"(+{args.items // 2} året innan), databas {url.split(':')[0]}, "
                  f"{bilaga}")  # fmt: skip
            r = run(args.items, url, args.check, args.appendix, args.profile, args.keep)
    ok = r["docx_s"] < TARGET_SECONDS and r["pdf_s"] < TARGET_SECONDS
    print(f"  sammanställa:               {r['compile_s']:7.2f} s ({r['tables']} tabeller)")
    print(f"  Word utan sidnummer i toc:  {r['docx_plain_s']:7.2f} s")
    print(f"  Word (med sidnummer):       {r['docx_s']:7.2f} s ({r['docx_kb']:.0f} kB)")
    print(f"  PDF (WeasyPrint):           {r['pdf_s']:7.2f} s ({r['pdf_kb']:.0f} kB)")
    if "frozen_first_s" in r:
        print(f"  fryst version, första PDF:  {r['frozen_first_s']:7.2f} s")
        print(f"  fryst version, igen:        {r['frozen_again_s']:7.3f} s (sparad fil)")
    print(f"  mål < {TARGET_SECONDS:.0f} s för Word och PDF: {'OK' if ok else 'FÖR LÅNGSAMT'}")
    if "check" in r:
        print(f"  tabellkontroll: {'inga fel' if not r['check'] else ''}")
        for problem in r["check"][:20]:
            print(f"    {problem}")
    return 0 if ok and not r.get("check") else 1


if __name__ == "__main__":
    sys.exit(main())
