"""Import rows as history: the source's numbers are kept (a number used twice is named by
row and column, and then nothing is imported), rows follow their own year's numbering."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kvalitet.api import importer
from kvalitet.extensions import db
from kvalitet.items.models import Item


def _run(org, rows):
    data = "\n".join(";".join(r) for r in rows).encode("utf-8")
    kind = importer.import_kind("avvikelser")
    headers, body = importer.read_table("gamla.csv", data)
    return importer.run_import(kind, org.kvalitet, headers, body,
                               importer.guess_mapping(kind, headers), "gamla.csv")  # fmt: skip


HEAD = ["Datum", "Enhet", "Kategori", "Beskrivning", "Källans nummer"]


def test_source_numbers_kept_and_a_duplicate_named_by_row_and_column(org):
    with pytest.raises(importer.ImportFailed) as error:
        _run(
            org,
            [
                HEAD,
                ["2022-03-01", "Enhet A1", "Dokumentation", "Första", "AVV-2022-0012"],
                ["2022-03-02", "Enhet A1", "Dokumentation", "Andra", "AVV-2022-0012"],
            ],
        )
    assert error.value.message == ("Inget importerades: rad 3, kolumn ”Källans nummer”: "
                                   "Numret AVV-2022-0012 finns redan.")  # fmt: skip
    assert db.session.scalar(select(Item.id).limit(1)) is None
    created, _ = _run(org, [
        HEAD, ["2022-03-01", "Enhet A1", "Dokumentation", "Första", "AVV-2022-0012"],
        ["2022-04-01", "Enhet A1", "Dokumentation", "Andra", ""],
        ["2021-05-01", "Enhet A1", "Dokumentation", "Tredje", "Treserva 2021/7"]])  # fmt: skip
    assert [i.ref for i in created] == ["AVV-2022-0012", "AVV-2022-0013", "Treserva 2021/7"]
