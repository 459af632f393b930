"""Import of existing lists: map columns, preview with row-level errors, all valid rows or
nothing (by default nothing if any row is bad, naming row and column), an audit entry per
imported item naming the file."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.notify.models import Notification
from tests.api.conftest import category_id

CATEGORY = "Dokumentation"


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(";".join(r) for r in rows).encode("utf-8")


def _avvikelse_rows(bad_unit: str | None = None) -> list[list[str]]:
    return [
        ["Datum", "Enhet", "Kategori", "Beskrivning", "Status"],
        ["2025-10-01", "Enhet A1", CATEGORY, "Journalanteckning saknades", "Avslutad"],
        ["2025-11-12", "Enhet A1", CATEGORY, "Beslut skickades till fel adress", ""],
        ["2025-12-03", bad_unit or "Enhet A1", CATEGORY, "Utbetalning försenad", ""],
    ]


def _count(kind: str) -> int:
    return db.session.scalar(select(func.count(Item.id)).where(Item.kind == kind)) or 0


def _upload(web, kind: str, filename: str, data: bytes):
    start = web.get("/import")
    assert start.status_code == 200
    return web.post("/import", {"kind": kind, "file": (io.BytesIO(data), filename)},
                    content_type="multipart/form-data")  # fmt: skip


def _mapping_form(html: str) -> dict[str, str]:
    """The selected option of every mapping select, as the browser would send it."""
    form = {}
    for name, body in re.findall(r'<select[^>]*name="(map_[a-z_]+)"[^>]*>(.*?)</select>', html,
                                 re.S):  # fmt: skip
        chosen = re.search(r'<option value="(\d*)" selected', body)
        form[name] = chosen.group(1) if chosen else ""
    return form


def test_one_bad_row_imports_nothing_and_names_row_and_column(org, login_as):
    assert category_id(CATEGORY)
    web = login_as(org.kvalitet)
    uploaded = _upload(web, "avvikelser", "gamla.csv", _csv(_avvikelse_rows("Enhet Okänd")))
    assert uploaded.status_code == 302
    url = uploaded.headers["Location"]
    page = web.get(url)
    html = page.get_data(as_text=True)
    mapping = _mapping_form(html)
    assert mapping["map_unit"] == "1" and mapping["map_description"] == "3"  # guessed

    preview = web.post(url, {**mapping, "action": "forhandsgranska"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Rad 4, kolumn ”Enhet”: Okänd enhet ”Enhet Okänd”." in text
    assert _count("AVV") == 0

    imported = web.post(url, {**mapping, "action": "importera"})
    text = imported.get_data(as_text=True)
    assert imported.status_code == 422
    assert "Inget importerades: rad 4, kolumn ”Enhet”" in text
    assert _count("AVV") == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "imported")) == 0  # fmt: skip


def test_valid_excel_file_imports_every_row_with_audit_and_no_notifications(org, login_as):
    book = Workbook()
    sheet = book.active
    for row in _avvikelse_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    web = login_as(org.kvalitet)
    url = _upload(web, "avvikelser", "avvikelser 2025.xlsx", buffer.getvalue()).headers["Location"]
    mapping = _mapping_form(web.get(url).get_data(as_text=True))
    done = web.post(url, {**mapping, "action": "importera"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    items = db.session.scalars(select(Item).where(Item.kind == "AVV").order_by(Item.id)).all()
    assert [i.description for i in items] == [r[3] for r in _avvikelse_rows()[1:]]
    assert items[0].status == "avslutad" and items[0].closed_at is not None
    assert items[1].status == "rapporterad"
    assert items[0].created_at.date().isoformat() in ("2025-09-30", "2025-10-01")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "imported")
                                 .order_by(AuditEntry.id)).all()  # fmt: skip
    assert [e.summary for e in entries] == [
        f"Importerad från avvikelser 2025.xlsx (rad {n})" for n in (2, 3, 4)
    ]
    assert entries[0].target == "import:avvikelser 2025.xlsx"
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_partial_import_skips_bad_rows_when_chosen(org, login_as):
    web = login_as(org.kvalitet)
    url = _upload(web, "avvikelser", "lista.csv",
                  _csv(_avvikelse_rows("Enhet Okänd"))).headers["Location"]  # fmt: skip
    mapping = _mapping_form(web.get(url).get_data(as_text=True))
    done = web.post(url, {**mapping, "action": "importera", "partial": "y"})
    assert done.status_code == 302
    assert _count("AVV") == 2


def test_chef_cannot_import_into_another_unit(org, app):
    kind = importer.import_kind("avvikelser")
    today_rows = [row[1:] for row in _avvikelse_rows("Enhet B1")]  # no dates: today's list
    headers, rows = importer.read_table("x.csv", _csv(today_rows))
    mapping = importer.guess_mapping(kind, headers)
    with pytest.raises(importer.ImportFailed) as error:
        importer.run_import(kind, org.chef_a1, headers, rows, mapping, "x.csv")
    assert "rad 4, kolumn ”Enhet”" in error.value.message
    assert "behörighet" in error.value.message
    assert _count("AVV") == 0
    # Rows with their own dates are history: only a kvalitetsutvecklare or admin.
    headers, rows = importer.read_table("x.csv", _csv(_avvikelse_rows()))
    with pytest.raises(importer.ImportFailed) as error:
        importer.run_import(kind, org.chef_a1, headers, rows, importer.guess_mapping(
            kind, headers), "x.csv")  # fmt: skip
    assert error.value.message.startswith("Inget importerades: rad 2, kolumn ”Datum”: Bara "
                                          "kvalitetsutvecklare och administratörer")  # fmt: skip
    assert _count("AVV") == 0


def test_personnummer_in_a_row_is_refused_with_row_and_column(org):
    kind = importer.import_kind("synpunkter")
    data = _csv([["Enhet", "Vad det gäller", "Typ", "Mottagen"],
                 ["Enhet A1", "Klagomål på bemötande", "Klagomål", "2025-10-02"],
                 ["Enhet A1", "Gäller 19121212-1212", "klagomal", "2025-10-03"]])  # fmt: skip
    headers, rows = importer.read_table("syn.csv", data)
    mapping = importer.guess_mapping(kind, headers)
    results = importer.check_rows(kind, org.registrator, headers, rows, mapping, "syn.csv")
    assert results[0].ok and not results[1].ok
    assert results[1].number == 3 and results[1].errors[0][0] == "Vad det gäller"
    with pytest.raises(importer.ImportFailed):
        importer.run_import(kind, org.registrator, headers, rows, mapping, "syn.csv")
    assert _count("SYN") == 0
    # Without the bad row the synpunkter are registered with diarienummer and dates.
    created, _ = importer.run_import(kind, org.registrator, headers, rows[:1], mapping, "syn.csv")
    assert created[0].received_date.isoformat() == "2025-10-02"
    assert created[0].typ == "klagomal"


def test_atgarder_import_and_bad_files(org):
    kind = importer.import_kind("atgarder")
    data = _csv([["Åtgärd", "Enhet", "Ansvarig", "Klart senast"],
                 ["Ny rutin för expediering", "Enhet A1", org.chef_a1.email, "2026-03-31"],
                 ["Utbildning i dokumentation", "Enhet A1", "", "31/13/2026"]])  # fmt: skip
    headers, rows = importer.read_table("atg.csv", data)
    mapping = importer.guess_mapping(kind, headers)
    with pytest.raises(importer.ImportFailed) as error:
        importer.run_import(kind, org.avdchef_a, headers, rows, mapping, "atg.csv")
    assert "rad 3, kolumn ”Klart senast”" in error.value.message
    created, _ = importer.run_import(kind, org.avdchef_a, headers, rows[:1], mapping, "atg.csv")
    assert created[0].owner_id == org.chef_a1.id
    for name, content in (("x.txt", b"a;b"), ("x.csv", b""), ("x.xlsx", b"not excel"),
                          ("x.csv", b"Rubrik\n")):  # fmt: skip
        with pytest.raises(importer.ImportFailed):
            importer.read_table(name, content)


def test_medarbetare_may_not_import_and_uploads_are_private(org, login_as):
    assert login_as(org.med_a1).get("/import").status_code == 403
    web = login_as(org.kvalitet)
    url = _upload(web, "avvikelser", "a.csv", _csv(_avvikelse_rows())).headers["Location"]
    assert login_as(org.chef_a1).get(url).status_code == 404
    assert web.get("/import/" + "0" * 32).status_code == 404
    bad = web.post("/import", {"kind": "avvikelser", "file": (io.BytesIO(b"x"), "a.pdf")},
                   content_type="multipart/form-data")  # fmt: skip
    assert bad.status_code == 422 and "CSV-fil" in bad.get_data(as_text=True)
