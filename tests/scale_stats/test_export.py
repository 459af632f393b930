"""Exports stream: the response is written batch by batch while the rows are read with
yield_per, the Excel file is a real workbook (openpyxl reads it: bold header, frozen first
row, the same cells as before), and the permission clause still decides the rows."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from bench.generate import generate
from kvalitet.core.periods import quality_year
from kvalitet.extensions import db
from kvalitet.items import export
from kvalitet.items.models import Item


def _city(org, n: int = 1500) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    generate(n, quality_year(2025), org.forv, [org.a1, org.b1], seed=3)
    refs = dict(db.session.execute(select(Item.ref, Item.unit_id).where(Item.kind == "AVV")).all())
    mine = {r for r, u in refs.items() if u == org.a1.id}
    other = {r for r, u in refs.items() if u == org.b1.id}
    assert len(mine) > export.BATCH * 2 and other
    return mine, other


def test_excel_streams_in_batches_and_shows_only_the_users_rows(org, login_as, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export, "BATCH", 100)
    mine, other = _city(org)
    db.session.commit()
    client = login_as(org.chef_a1)
    response = client.get("/avvikelser/?format=xlsx", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 3  # frame, a piece per batch of rows, the zip's directory
    data = b"".join(chunks)
    response.close()
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Nummer", "Rubrik", "Enhet"] and sheet["A1"].font.b
    refs = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert refs == mine and not refs & other
    first = next(sheet.iter_rows(min_row=2, values_only=True))
    assert first[2] == "Enhet A1"  # strings as inline strings, read back as text


def test_csv_streams_and_keeps_the_permission_clause(org, login_as, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export, "BATCH", 100)
    mine, other = _city(org)
    db.session.commit()
    response = login_as(org.chef_a1).get("/avvikelser/?format=csv", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 3  # the header, then a piece per batch
    raw = b"".join(chunks).decode("utf-8")
    response.close()
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Nummer"
    refs = {r[0] for r in rows[1:]}
    assert refs == mine and not refs & other


def test_cells_keep_their_types_and_text_is_escaped(app):  # type: ignore[no-untyped-def]
    class Row:
        def __init__(self, value: object) -> None:
            self.value = value

    values = [Row(12), Row(2.5), Row("<b>&\"ö\"</b>"), Row("=SUMMA(A1)"), Row(True), Row(None),
              Row("styr\x07tecken")]  # fmt: skip
    data = export.xlsx_bytes(values, [("Värde", lambda r: r.value)], "Test")
    sheet = load_workbook(io.BytesIO(data)).active
    got = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert got == [12, 2.5, '<b>&"ö"</b>', "'=SUMMA(A1)", "Ja", None, "styrtecken"]
