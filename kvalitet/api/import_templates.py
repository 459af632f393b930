"""Downloadable import templates, one per kind: an Excel file (.xlsx) with the header row,
an example row and the allowed values (a second sheet, "Tillåtna värden", and a drop-down
list on every column that has a fixed set of values), and the same as CSV (semicolon,
UTF-8 with BOM so that Excel reads å, ä and ö).

The columns are the import's own targets (kvalitet.api.importer), so a template filled in
and uploaded maps itself; the example row imports as it is."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from kvalitet.api.importer import ImportKind, Target
from kvalitet.core.db_setup import swedish
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.org.models import Unit, UnitKind, User

VALUES_SHEET = "Tillåtna värden"

# Example values for text columns, by target name (others get a generic text).
EXAMPLE_TEXT = {
    "description": "Beskriv vad som hände, med egna ord (hela texten).",
    "title": "Kort rubrik för listor",
    "immediate_action": "Vad som gjordes direkt",
    "why": "Varför åtgärden behövs",
    "source_text": "Årets analys",
    "done_text": "Vad som har gjorts",
    "effect_text": "Vilken effekt det fick",
    "source_ref": "",
}
EXAMPLE_DATE = {
    "registered": "2024-10-01",
    "received_date": "2024-10-01",
    "start_date": "2024-10-01",
    "due_date": "2024-12-01",
    "effect_date": "2024-12-15",
    "event_at": "2024-09-30",
}


def allowed_values(target: Target) -> list[str]:
    """The values a column accepts, when it has a fixed set (else [])."""
    if target.convert == "enum":
        return list(target.choices.values())
    if target.convert == "bool":
        return ["ja", "nej"]
    if target.convert.startswith("list:"):
        return list(
            db.session.scalars(
                select(ListEntry.label)
                .where(ListEntry.list_key == target.convert[5:], ListEntry.active.is_(True))
                .order_by(ListEntry.sort_order, swedish(ListEntry.label))
            )
        )
    if target.convert == "unit":
        return list(
            db.session.scalars(
                select(Unit.name)
                .where(Unit.active.is_(True), Unit.kind == UnitKind.ENHET)
                .order_by(swedish(Unit.name))
            )
        )
    if target.convert == "areas":
        return list(
            db.session.scalars(
                select(QualityArea.name)
                .where(QualityArea.active.is_(True))
                .order_by(QualityArea.sort_order, QualityArea.name)
            )
        )
    return []


def example_row(kind: ImportKind, actor: User) -> list[str]:
    """A row that imports as it is (for the kvalitetsutvecklare who downloads it)."""
    row: list[str] = []
    for target in kind.targets:
        allowed = allowed_values(target)
        value = ""
        if target.name in kind.examples:
            value = kind.examples[target.name]
        elif target.name in ("status", "closed", "source_ref"):
            value = ""  # history columns: left to the file's own data
        elif target.convert in ("date", "datetime"):
            value = EXAMPLE_DATE.get(target.name, "2024-10-01")
        elif target.convert == "user":
            value = actor.email
        elif target.convert == "bool":
            value = "nej"
        elif target.convert == "int":
            value = "1"
        elif allowed:
            value = allowed[0]
        elif target.convert == "text":
            value = EXAMPLE_TEXT.get(target.name, "Text")
        row.append(value)
    return row


def template_csv(kind: ImportKind, actor: User) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([t.label for t in kind.targets])
    writer.writerow(example_row(kind, actor))
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(kind: ImportKind, actor: User) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind.label[:31]
    sheet.append([t.label + (" *" if t.required else "") for t in kind.targets])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append(example_row(kind, actor))
    sheet.freeze_panes = "A2"
    values = book.create_sheet(VALUES_SHEET)
    values.append(["Kolumn", "Tillåtna värden (* = krävs; datum ÅÅÅÅ-MM-DD)"])
    values["A1"].font = values["B1"].font = Font(bold=True)
    lists = book.create_sheet("Listor")
    list_column = 0
    for index, target in enumerate(kind.targets, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, min(40, len(target.label) + 4))
        allowed = allowed_values(target)
        note = _note(target)
        values.append([target.label, ", ".join(allowed) if allowed else note])
        if not allowed or target.convert == "areas":
            continue  # several areas in one cell: no single-choice list
        list_column += 1
        column = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=target.label)
        for row, value in enumerate(allowed, start=2):
            lists.cell(row=row, column=list_column, value=value)
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(lists.title)}!${column}$2:${column}${len(allowed) + 1}",
            allow_blank=not target.required,
            showErrorMessage=True,
            errorTitle="Värdet finns inte i listan",
            error=f"Välj ett av värdena i listan för {target.label}.",
        )
        validation.add(f"{letter}2:{letter}20001")
        sheet.add_data_validation(validation)
    values.column_dimensions["A"].width = 34
    values.column_dimensions["B"].width = 90
    lists.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _note(target: Target) -> str:
    notes: dict[str, Any] = {
        "date": "Datum, ÅÅÅÅ-MM-DD",
        "datetime": "Datum och tid, ÅÅÅÅ-MM-DD TT:MM (eller bara datum)",
        "user": "E-postadress till en aktiv användare",
        "int": "Heltal",
    }
    if target.convert == "text":
        return f"Text, högst {target.max_length} tecken"
    return str(notes.get(target.convert, "Text"))
