"""Import with flexible columns: the header names decide, not the order, and people's ways
of writing them ("VÄRDE (%)", "Nr:", "Antal flickor") are read; the Excel template of the
plan round-trips through the import."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from kvalitet.extensions import db
from kvalitet.mal import importer
from kvalitet.mal.models import Utfall
from tests.mal.helpers import plan_with_goal


def _values(ind: Any, code: str) -> Utfall:
    return db.session.scalar(
        select(Utfall).where(Utfall.indikator_id == ind.id, Utfall.period == code)
    )


def test_columns_in_any_order_and_written_as_people_write_them(org: Any) -> None:
    data = plan_with_goal(org)
    share, count = data["share"], data["count"]
    text = (
        "Kommentar;Antal män;VÄRDE (%);Period;Män;Indikator nr:;Kvinnor;Antal kvinnor;Övrigt\n"
        f"Enkät i april;25;85,5;T1;84;{share.nr};86;30;x\n"
        f";;7;T2;;{count.nr};;;\n"
    )
    result = importer.run(org.kvalitet, data["plan"], "utfall", "u.csv", text.encode())
    assert result.created == 2
    u = _values(share, "T1")
    assert (u.value, u.value_k, u.value_m, u.n_k, u.n_m, u.comment) == (
        85.5, 86, 84, 30, 25, "Enkät i april")  # fmt: skip
    assert _values(count, "T2").value == 7


def test_a_missing_column_is_named(org: Any) -> None:
    data = plan_with_goal(org)
    try:
        importer.run(org.kvalitet, data["plan"], "utfall", "u.csv", b"Nr;Resultat\n1.1.1;5\n")
    except importer.ImportFailed as error:
        assert "saknar kolumnen: Period" in error.message
    else:
        raise AssertionError("a file without Period must be refused")
    assert db.session.scalar(select(func.count(Utfall.id))) == 0


def test_the_template_round_trips(org: Any, login_as: Any) -> None:
    data = plan_with_goal(org)
    web = login_as(org.kvalitet)
    plan_id = data["plan"].id
    assert "import/mall.xlsx" in web.get(f"/mal/plan/{plan_id}/import").get_data(as_text=True)
    response = web.get(f"/mal/plan/{plan_id}/import/mall.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Utfall"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == importer.TEMPLATE_HEADERS["utfall"]
    share, count = data["share"], data["count"]
    assert [r[:2] for r in rows[1:]] == [
        [share.nr, "T1"], [share.nr, "T2"], [share.nr, "T3"], [count.nr, "T2"], [count.nr, "AR"]
    ]  # fmt: skip
    assert "Förklaring" in book.sheetnames
    # Fill in two rows and import the file as it is.
    sheet.cell(2, 3, 81)
    sheet.cell(2, 4, 83)
    sheet.cell(2, 5, 79)
    sheet.cell(2, 6, 40)
    sheet.cell(2, 7, 35)
    sheet.cell(5, 3, 3)
    for row in (6, 4, 3):  # the rows left empty are removed from the end first
        sheet.delete_rows(row, 1)
    out = io.BytesIO()
    book.save(out)
    result = importer.run(org.kvalitet, data["plan"], "utfall", "mall.xlsx", out.getvalue())
    assert result.created == 2
    assert _values(share, "T1").value == 81 and _values(count, "T2").value == 3
    struktur = web.get(f"/mal/plan/{plan_id}/import/mall.xlsx?what=struktur")
    heads = next(load_workbook(io.BytesIO(struktur.data)).active.iter_rows(values_only=True))
    assert list(heads) == importer.TEMPLATE_HEADERS["struktur"]
