"""Export of a filtered list to CSV or Excel. The caller passes the SAME SQL query that the
list page uses (already filtered by the permission clause), so an export holds exactly the
rows the user may see."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from flask import Response, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select

from kvalitet.core import clock
from kvalitet.extensions import db, replica_reads

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


BATCH = 500  # rows fetched (and written) at a time


def _batches(items: Select[Any] | Iterable[Any]) -> Iterator[list[Any]]:
    """The rows in batches of BATCH: a statement is run with yield_per (a server-side cursor
    on PostgreSQL), so the whole result is never in memory; its eager loads (selectinload)
    run once per batch."""
    if isinstance(items, Select):
        with replica_reads():  # READ_REPLICA_DATABASE_URL, when set
            result = db.session.scalars(items.execution_options(yield_per=BATCH))
            # The session's identity map holds its objects weakly: a written batch is
            # let go as soon as the next one replaces it.
            for partition in result.partitions():
                yield list(partition)
        return
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_chunks(items: Select[Any] | Iterable[Any], columns: Sequence[Column]) -> Iterator[bytes]:
    """The CSV file in pieces: the header at once, then one piece per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")  # BOM: Excel opens UTF-8 with å, ä, ö correctly
    writer.writerow([header for header, _ in columns])
    yield buffer.getvalue().encode("utf-8")
    for batch in _batches(items):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows_of(batch, columns))
        yield buffer.getvalue().encode("utf-8")


def _streamed(chunks: Iterator[bytes], mimetype: str, filename: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_response(
    items: Select[Any] | Iterable[Any], columns: Sequence[Column], filename: str
) -> Response:
    return _streamed(csv_chunks(items, columns), "text/csv; charset=utf-8", f"{filename}.csv")


def _frame(columns: Sequence[Column], title: str) -> tuple[dict[str, bytes], bytes, bytes]:
    """The workbook around the rows, written by openpyxl in write-only mode (styles, the
    bold header row, column widths, the frozen first row): {part name: bytes} for every part
    but the sheet, and the sheet's XML before and after its data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, (header, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(60, len(header) + 4))
    sheet.freeze_panes = "A2"
    header_cells = []
    for header, _ in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as frame:
        for name in frame.namelist():
            parts[name] = frame.read(name)
    xml = parts.pop(SHEET)
    # The frame's dimension would say "header only"; readers work it out without one.
    xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
    cut = xml.index(b"</sheetData>")
    return parts, xml[:cut], xml[cut:]


SHEET = "xl/worksheets/sheet1.xml"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_row(number: int, values: list[Any]) -> str:
    cells = []
    for index, value in enumerate(values, start=1):
        ref = f"{get_column_letter(index)}{number}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        elif value != "":
            text = escape(_ILLEGAL_XML.sub("", str(value)))
            cells.append(
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


class _Pipe(io.RawIOBase):
    """A write-only, unseekable file whose bytes are taken out as they come (zipfile writes
    a streamed archive to it, with data descriptors)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += b
        return len(b)

    def take(self) -> bytes:
        out = bytes(self.data)
        self.data.clear()
        return out


def xlsx_chunks(
    items: Select[Any] | Iterable[Any], columns: Sequence[Column], title: str
) -> Iterator[bytes]:
    """The Excel file in pieces: the workbook's frame from openpyxl (write-only mode), then
    the sheet's rows batch by batch into the zip stream (inline strings, so no shared-string
    table has to wait for the last row), then the zip's directory."""
    parts, head, tail = _frame(columns, title)
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open(SHEET, mode="w", force_zip64=True) as sheet:
            sheet.write(head)
            yield pipe.take()
            number = 1
            for batch in _batches(items):
                lines = []
                for row in rows_of(batch, columns):
                    number += 1
                    lines.append(_xml_row(number, row))
                sheet.write("".join(lines).encode("utf-8"))
                yield pipe.take()
            sheet.write(tail)
    yield pipe.take()


def xlsx_bytes(items: Iterable[Any], columns: Sequence[Column], title: str) -> bytes:
    return b"".join(xlsx_chunks(items, columns, title))


def xlsx_response(
    items: Select[Any] | Iterable[Any], columns: Sequence[Column], filename: str
) -> Response:
    return _streamed(
        xlsx_chunks(items, columns, filename),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{filename}.xlsx",
    )


def export_response(
    fmt: str, items: Select[Any] | Iterable[Any], columns: Sequence[Column], filename: str
) -> Response:
    """fmt is "csv" or "xlsx"; anything else is treated as csv. `items` is best the list's
    statement (already filtered by the permission clause): it is then read in batches while
    the file streams out, never whole in memory (see docs/deployment.md)."""
    if fmt == "xlsx":
        return xlsx_response(items, columns, filename)
    return csv_response(items, columns, filename)
