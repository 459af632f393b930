"""An import of 10,000 rows completes in under a minute (measured; the figure is printed)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.extensions import db
from kvalitet.items.models import Item

ROWS = int(os.environ.get("KVALITET_IMPORT_ROWS", "10000"))


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("KVALITET_IMPORT_ROWS"),
                    reason="measurement: KVALITET_IMPORT_ROWS=10000 to run")  # fmt: skip
def test_ten_thousand_rows_in_under_a_minute(org, capsys):
    lines = ["Datum;Enhet;Kategori;Beskrivning;Status;Avslutad (datum)"]
    for n in range(ROWS):
        month = 1 + n % 12
        lines.append(f"2023-{month:02d}-{1 + n % 27:02d};Enhet A{1 + n % 2};Dokumentation;"
                     f"Händelse nummer {n};Avslutad;2024-{month:02d}-28")  # fmt: skip
    data = "\n".join(lines).encode("utf-8")
    kind = importer.import_kind("avvikelser")
    started = time.perf_counter()
    headers, rows = importer.read_table("stor.csv", data)
    created, _ = importer.run_import(
        kind, org.kvalitet, headers, rows, importer.guess_mapping(kind, headers), "stor.csv"
    )
    db.session.commit()
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n{ROWS} rader importerade på {seconds:.1f} s")
    assert len(created) == ROWS
    assert db.session.scalar(select(func.count(Item.id)).where(Item.kind == "AVV")) == ROWS
    assert seconds < 60 * ROWS / 10000
