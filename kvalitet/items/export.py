"""Export of a filtered list to CSV or Excel. The caller passes the SAME SQL query that the
list page uses (already filtered by the permission clause), so an export holds exactly the
rows the user may see."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kvalitet.core import clock

Column = tuple[str, Callable[[Any], Any]]  # (Swedish header, value getter)

MAX_EXPORT_ROWS = 100_000


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.strftime("%Y-%m-%d %H:%M") if local else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(_cell(v)) for v in value)
    return value


def _safe_text(value: Any) -> Any:
    # Keep spreadsheet programs from running text as a formula (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows_of(items: Iterable[Any], columns: Sequence[Column]) -> list[list[Any]]:
    return [[_safe_text(_cell(getter(item))) for _, getter in columns] for item in items]


def csv_response(items: Iterable[Any], columns: Sequence[Column], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _ in columns])
    writer.writerows(rows_of(items, columns))
    data = "\ufeff" + buffer.getvalue()  # BOM: Excel opens UTF-8 with å, ä, ö correctly
    return Response(
        data.encode("utf-8"),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def xlsx_bytes(items: Iterable[Any], columns: Sequence[Column], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([header for header, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows_of(items, columns):
        sheet.append(row)
    for index, (header, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(header) + 4))
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(items: Iterable[Any], columns: Sequence[Column], filename: str) -> Response:
    return Response(
        xlsx_bytes(items, columns, filename),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def export_response(
    fmt: str, items: Iterable[Any], columns: Sequence[Column], filename: str
) -> Response:
    """fmt is "csv" or "xlsx"; anything else is treated as csv."""
    if fmt == "xlsx":
        return xlsx_response(items, columns, filename)
    return csv_response(items, columns, filename)
