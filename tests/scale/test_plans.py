"""No list query scans `item` or `audit_entry` sequentially on PostgreSQL.

Plans depend on the table sizes (on a few thousand rows a sequential scan is the right
plan), so this runs on the benchmark database only: set KVALITET_BENCH_DATABASE_URL to a
PostgreSQL database made by `python -m bench.generate --items 100000` (or more). It then
runs the inbox, every list (pages, filters), every detail page and the API lists once for
the enhetschef, the kvalitetsutvecklare and SAS, and EXPLAINs every SELECT they ran
(bench/pages.py; `python -m bench.pages --check` does the same with timings).
"""

from __future__ import annotations

import os

import pytest

from bench import pages
from bench.db import app_for

URL = os.environ.get("KVALITET_BENCH_DATABASE_URL", "")


@pytest.mark.skipif(
    not URL.startswith("postgres"),
    reason="needs KVALITET_BENCH_DATABASE_URL: a PostgreSQL database from bench.generate",
)
def test_no_sequential_scan_of_item_or_audit_entry() -> None:
    app = app_for(URL)
    results = pages.measure(app, requests=1)
    with app.app_context():
        problems = pages.explain_seq_scans(results)
    assert results and not problems, "\n\n".join(problems)
