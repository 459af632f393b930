"""Egenkontroller of an earlier year brought in with their results (issue 14): each row is
an occurrence of a control in the year's adopted plan, performed on its own date, with n/N
per question; the results read back as the förvaltning wrote them, nothing is left as due
work, and a file with errors changes nothing and names the row and column."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.core.audit import AuditEntry
from kvalitet.core.recurrence import Rule
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus
from kvalitet.extensions import db
from kvalitet.items import history
from kvalitet.items.queries import inbox_query
from tests.egenkontroll.helpers import make_plan

HEAD = ("Enhet;Kontroll;Planerad (datum);Utförd (datum);Antal granskade ärenden;"
        "Sammanfattning;Fråga 1;Fråga 2")  # fmt: skip


def _import(org, lines: list[str]):  # type: ignore[no-untyped-def]
    kind = importer.import_kind("egenkontroller")
    assert kind is not None
    headers, rows = importer.read_table("egk.csv", "\n".join([HEAD, *lines]).encode())
    mapping = importer.guess_mapping(kind, headers)
    return importer.run_import(kind, org.kvalitet, headers, rows, mapping, "egk.csv")


def _performed() -> int:
    return db.session.scalar(select(func.count(Egenkontroll.id)).where(
        Egenkontroll.status == EgkStatus.GENOMFORD)) or 0  # fmt: skip


def _past_plan(org):  # type: ignore[no-untyped-def]
    """The year's plan brought in first, adopted as history on 1 September 2024 (its
    adoption makes the occurrences due within the next 30 days, as it did then)."""
    plan, _kontroll = make_plan(org, year=2024, rule=Rule("monthly", date(2024, 9, 1), day=15),
                                adopt_on=None)  # fmt: skip
    with history.recording(org.kvalitet, date(2024, 9, 1), source="test"):
        ops.adopt_plan(org.kvalitet, plan)
    db.session.commit()
    # The scheduler's sweep today makes nothing more for the ended year.
    made = db.session.scalar(select(func.count(Egenkontroll.id)))
    ops.generate_due_occurrences()
    assert db.session.scalar(select(func.count(Egenkontroll.id))) == made
    return plan


def test_an_earlier_years_egenkontroller_come_in_with_their_results(app, org):
    _past_plan(org)
    created, results = _import(org, [
        "Enhet A1;Loggkontroll skyddade personuppgifter;2024-10-15;2024-10-21;3;"
        "Alla åtkomster hade skäl.;3/3;2/3",
        # Another spelling of the control; a date the plan's rule does not have.
        "Enhet B1;LOGGKONTROLL skyddade personuppgifter;2024-10-20;2024-10-22;3;"
        "Två brister.;1;0/2",
    ])  # fmt: skip
    db.session.commit()
    assert len(created) == 2 and all(r.ok for r in results)
    first, second = (db.session.get(Egenkontroll, i.id) for i in created)
    assert first.status == EgkStatus.GENOMFORD and first.performed_on == date(2024, 10, 21)
    assert first.summary == "Alla åtkomster hade skäl." and first.ref.startswith("EGK-2024-")
    got = [(r["n"], r["N"], r["ej_aktuellt"]) for r in ops.results(first)]
    assert got == [(3, 3, 0), (2, 3, 0)]
    assert [(r["n"], r["N"], r["ej_aktuellt"]) for r in ops.results(second)] == [
        (1, 3, 0), (0, 2, 1)]  # fmt: skip
    assert second.planned_date == date(2024, 10, 20) and second.occurrence_unit_id == org.b1.id
    # Performed history is nobody's due work.
    for user in (org.chef_a1, org.chef_b1):
        due = {i.id for i in db.session.scalars(inbox_query(user))}
        assert not due & {first.id, second.id}
    # The import is in the audit trail as such, at the real time.
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.item_id == first.id))
    assert "imported" in set(actions)


@pytest.mark.parametrize(("line", "column", "words"), [
    ("Enhet A1;Okänd kontroll;2024-10-15;2024-10-21;3;Text;3/3;2/3", "Kontroll",
     "Ingen kontroll"),
    ("Enhet A1;Loggkontroll skyddade personuppgifter;2024-10-15;2024-10-21;3;Text;4/3;2/3",
     "Fråga 1", "högst 3"),
    ("Enhet A1;Loggkontroll skyddade personuppgifter;2024-10-15;2024-10-21;3;Text;3/3;",
     "Fråga 2", "saknar svar"),
    ("Enhet A1;Loggkontroll skyddade personuppgifter;2024-10-15;2024-10-21;3;Text;många;1",
     "Fråga 1", "t.ex. 4/5"),
])  # fmt: skip
def test_a_file_with_an_error_changes_nothing_and_names_row_and_column(app, org, line, column,
                                                                      words):  # fmt: skip
    _past_plan(org)
    good = ("Enhet B1;Loggkontroll skyddade personuppgifter;2024-11-15;2024-11-18;3;Bra.;"
            "3/3;3/3")  # fmt: skip
    before = _performed()
    with pytest.raises(importer.ImportFailed) as refused:
        _import(org, [good, line])
    assert f"rad 3, kolumn ”{column}”" in refused.value.message
    assert words in refused.value.message
    assert _performed() == before


def test_the_egenkontroll_template_downloads_with_its_columns(org, login_as):
    from io import BytesIO

    from openpyxl import load_workbook

    web = login_as(org.kvalitet)
    assert "/import/mall/egenkontroller.xlsx" in web.get("/import").get_data(as_text=True)
    book = load_workbook(BytesIO(web.get("/import/mall/egenkontroller.xlsx").get_data()))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:4] == ["Enhet *", "Kontroll *", "Planerad (datum) *", "Utförd (datum) *"]
    assert "Fråga 1" in header and "Fråga 10" in header
