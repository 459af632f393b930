"""Import rows as history: the source's numbers are kept (a number used twice is named by
row and column, and then nothing is imported), rows follow their own year's numbering."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from kvalitet.api import importer
from kvalitet.avvikelser.operations import report_avvikelse
from kvalitet.core import clock, uow
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.items import history
from kvalitet.items.history import moment
from kvalitet.items.models import Item, ListEntry
from kvalitet.org.operations import chefs_of
from tests.api.conftest import category_id


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


def test_rows_written_in_one_batch_keep_each_their_own_dates(org):
    """The import writes a batch of rows in one flush (kvalitet.core.uow.batched): each row's
    item and audit trail must still carry the row's own dates, not the batch's or today's."""
    started = clock.real_now()
    rows = [
        ["Datum", "Enhet", "Kategori", "Beskrivning", "Status", "Avslutad (datum)"],
        ["2022-03-01", "Enhet A1", "Dokumentation", "Första", "Avslutad", "2022-03-20"],
        ["2021-11-15", "Enhet A2", "Dokumentation", "Andra", "", ""],
        ["2023-01-09", "Enhet A1", "Dokumentation", "Tredje", "Avslutad", "2023-02-01"],
    ]
    created, _ = _run(org, rows)
    db.session.commit()
    expected = [
        (date(2022, 3, 1), date(2022, 3, 20)),
        (date(2021, 11, 15), None),
        (date(2023, 1, 9), date(2023, 2, 1)),
    ]
    for item, (registered, closed) in zip(created, expected, strict=True):
        db.session.refresh(item)
        assert item.created_at == moment(registered)
        assert item.closed_at == (moment(closed) if closed else None)
        assert item.ref.startswith(f"AVV-{registered.year}-")
        trail = {e.action: e.at for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.item_id == item.id))}  # fmt: skip
        assert trail["created"] == moment(registered)
        if closed:
            assert trail["transition"] == moment(closed)
        assert trail["imported"] >= started


def test_in_a_batch_a_step_before_what_the_unflushed_item_holds_is_refused(app, org):
    """Inside an import's batch nothing is flushed per row, so the "in order" check must read
    the batch's own pending events: a step dated before the item's report is refused even
    though the item is not in the database yet."""
    with app.test_request_context("/import"), uow.batched():
        # What an import has looked up by its second row: the category and the unit's chef
        # (nothing left to read, so nothing flushes the new item early).
        category = db.session.get(ListEntry, category_id())
        chefs_of(org.a1)
        for day in (date(2023, 5, 2), date(2023, 5, 10)):  # the first makes the year's counter
            with history.recording(org.kvalitet, day, source="test", audit_entry=False):
                item = report_avvikelse(org.kvalitet, unit=org.a1, description="Händelse",
                                        category_id=category.id)  # fmt: skip
        assert item.id is None  # written by the batch's flush, not yet
        with pytest.raises(OperationError, match="före det som redan finns"):
            history.check_time(org.kvalitet, history.moment(date(2023, 5, 9)), item=item)
        history.check_time(org.kvalitet, history.moment(date(2023, 5, 11)), item=item)
    db.session.rollback()
