"""Exports read Core rows (items/export.py's _CoreReader): every kind's CSV and Excel file is
byte for byte the file the ORM path writes (relationships, properties such as status_label,
collections such as the causes, the units concerned), for a user who sees everything and for
an enhetschef; and an export reads a constant number of statements per batch."""

from __future__ import annotations

import random
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from bench.generate import BENCH_PASSWORD, Writer, generate_items, populate
from kvalitet.extensions import db
from kvalitet.items import export
from kvalitet.org.models import User
from tests.conftest import Client

LISTS = ["/avvikelser/", "/atgarder/", "/synpunkter/", "/risker/"]


@pytest.fixture
def city(app: Any) -> Any:
    with app.app_context():
        city = populate(300, seed=7, years=2, people=100)
        generate_items(900, city, Writer(), random.Random(8), enheter=city.enheter[:3])  # noqa: S311
        db.session.commit()
        yield city


def _export(app: Any, email: str, url: str) -> bytes:
    client = Client(app.test_client())
    assert client.login(email, BENCH_PASSWORD).status_code == 302
    response = client.get(url, buffered=False)
    assert response.status_code == 200, (url, response.status_code)
    data = b"".join(response.response)
    response.close()
    return data


def _orm_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(statement: Any) -> None:
        raise TypeError("ORM path for the reference")

    monkeypatch.setattr(export, "_CoreReader", refuse)


@pytest.mark.parametrize("who", ["kvalitet", "chef"])
def test_core_rows_give_the_same_files_as_orm_objects(app, city, monkeypatch, who):
    monkeypatch.setattr(export, "BATCH", 50)
    with app.app_context():
        email = db.session.get(User, city.named[who]).email
    core = {(u, f): _export(app, email, f"{u}?format={f}") for u in LISTS for f in ("csv", "xlsx")}
    _orm_only(monkeypatch)
    for (url, fmt), data in core.items():
        reference = _export(app, email, f"{url}?format={fmt}")
        if fmt == "csv":
            assert data == reference, url
            assert data.count(b"\r\n") > 2 or who == "chef", url
        else:
            rows = list(load_workbook(BytesIO(data), read_only=True).active.values)
            expected = list(load_workbook(BytesIO(reference), read_only=True).active.values)
            assert rows == expected, url


def test_statements_per_batch_stay_constant(app, city, monkeypatch):
    with app.app_context():
        email = db.session.get(User, city.named["kvalitet"]).email
    counts = {}
    for batch in (40, 80):
        monkeypatch.setattr(export, "BATCH", batch)
        statements: list[str] = []

        def count(*args: Any, into: list[str] = statements) -> None:
            into.append(args[2])

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                data = _export(app, email, "/avvikelser/?format=csv")
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
        rows = data.count(b"\r\n") - 1
        batches = -(-rows // batch)
        counts[batch] = (len(statements), batches)
    # Per batch: at most the category list entries, the causes, and the few new owners;
    # twice the batches' size halves the statements' batch part.
    (n40, b40), (n80, b80) = counts[40], counts[80]
    assert b40 > 3
    assert n40 - n80 <= 3 * (b40 - b80) + 2, counts
