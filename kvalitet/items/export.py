"""Export of a filtered list to CSV or Excel. The caller passes the SAME SQL query that the
list page uses (already filtered by the permission clause), so an export holds exactly the
rows the user may see."""

from __future__ import annotations

import csv
import functools
import inspect as pyinspect
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from flask import Response, request, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Mapper, RelationshipDirection, RelationshipProperty, lazyload

from kvalitet.core import clock
from kvalitet.extensions import db, replica_reads

Column = tuple[str, Callable[[Any], Any]]  # (Swedish header, value getter)

MAX_EXPORT_ROWS = 100_000


# Query arguments of a list that say where the reader is, not what the list holds.
PLACE_ARGS = ("page", "format", "efter", "fore")


def export_args() -> dict[str, str]:
    """The list's filters and sort for its CSV and Excel links: the whole filtered list,
    not the page (or cursor) the reader is on."""
    return {k: v for k, v in request.args.items() if k not in PLACE_ARGS}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if type(value) is str or type(value) is int:
        return value
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


BATCH = 2000  # rows fetched (and written) at a time


class RowView:
    """One exported row read as a Core row, looked at like the ORM object the columns' getters
    expect: a column attribute is the row's value; a relationship is the related objects,
    read on first use for the whole batch (and many-to-one targets such as the unit or the
    owner once per export); anything else on the model (a property such as `status_label`,
    a method) runs with this view as `self`. No ORM object is built per row, which is
    where a 50,000-row export spent most of its time."""

    __slots__ = ("__dict__", "_batch", "_row")

    def __init__(self, batch: _Batch, row: dict[str, Any]):
        self._batch = batch
        self._row = row

    def __getattr__(self, name: str) -> Any:
        row = self._row
        if name in row:
            return row[name]
        batch = self._batch
        if name in batch.reader.relationships:
            return batch.related(name, self)
        cls = batch.reader.cls
        attribute, bind = _class_attribute(cls, name)
        return attribute.__get__(self, cls) if bind else attribute


@functools.cache
def _class_attribute(cls: Any, name: str) -> tuple[Any, bool]:
    """A model's attribute as the class defines it (a property, a method, a constant), and
    whether it binds to an instance; looked up once per class and name."""
    attribute = pyinspect.getattr_static(cls, name)
    return attribute, hasattr(attribute, "__get__")


class _Batch:
    """The views of one batch, and their relationships as read so far (each one query for
    the batch, asked when a column first needs it)."""

    def __init__(self, reader: _CoreReader, rows: Sequence[Any]):
        self.reader = reader
        keys = reader.keys
        self.views = [RowView(self, dict(zip(keys, row, strict=True))) for row in rows]
        self.loaded: dict[str, dict[Any, Any]] = {}

    def related(self, name: str, view: RowView) -> Any:
        reader = self.reader
        rel = reader.relationships[name]
        if rel.direction is RelationshipDirection.MANYTOONE:
            fk = reader.foreign_keys[name]
            if name not in self.loaded:
                self.loaded[name] = reader.targets(
                    rel.entity.class_, {v._row[fk] for v in self.views}
                )
            return self.loaded[name].get(view._row[fk])
        if name not in self.loaded:
            self.loaded[name] = reader.collection(rel, [v._row[reader.pk_key] for v in self.views])
        return self.loaded[name].get(view._row[reader.pk_key], [])


class _CoreReader:
    """Reads a list's ORM statement (select(Kind)... with the permission clause, filters,
    sort and limit) as Core rows: the same FROM, WHERE, ORDER BY and LIMIT, only the
    columns selected differently, and its loader options dropped (the relationships are
    read per batch here instead)."""

    def __init__(self, statement: Select[Any]):
        descriptions = statement.column_descriptions
        entity = descriptions[0].get("entity") if len(descriptions) == 1 else None
        if entity is None:
            raise TypeError("not a select of one mapped class")
        mapper: Mapper[Any] = inspect(entity)
        self.cls: Any = mapper.class_
        self.keys = [prop.key for prop in mapper.column_attrs]
        columns = [prop.columns[0].label(prop.key) for prop in mapper.column_attrs]
        core = statement.with_only_columns(*columns, maintain_column_froms=True)
        core._with_options = ()  # the ORM loader options (selectinload ...) do not apply
        self.statement = core
        self.pk: Any = mapper.primary_key[0]
        self.pk_key = next(p.key for p in mapper.column_attrs if self.pk in p.columns)
        self.relationships: dict[str, RelationshipProperty[Any]] = {}
        self.foreign_keys: dict[str, str] = {}
        keys_of_column: dict[Any, str] = {c: p.key for p in mapper.column_attrs for c in p.columns}
        for rel in mapper.relationships:
            if rel.direction is RelationshipDirection.MANYTOONE:
                pairs = list(rel.local_remote_pairs or [])
                target_pk = inspect(rel.entity.class_).primary_key
                if len(pairs) != 1 or len(target_pk) != 1 or pairs[0][1] is not target_pk[0]:
                    raise TypeError(f"relationship {rel.key} is not a plain foreign key")
                self.foreign_keys[rel.key] = keys_of_column[pairs[0][0]]
            self.relationships[rel.key] = rel
        self.cache: dict[type, dict[Any, Any]] = {}

    def targets(self, cls: type, ids: set[Any]) -> dict[Any, Any]:
        """Many-to-one targets by primary key, read once per export (units, owners, list
        entries repeat from batch to batch)."""
        known = self.cache.setdefault(cls, {})
        missing = [i for i in ids if i is not None and i not in known]
        pk: Any = inspect(cls).primary_key[0]
        for start in range(0, len(missing), 1000):
            chunk = missing[start : start + 1000]
            query: Select[Any] = select(cls).where(pk.in_(chunk)).options(lazyload("*"))
            for obj in db.session.scalars(query):
                known[inspect(obj).identity[0]] = obj
        return known

    def collection(self, rel: RelationshipProperty[Any], ids: list[Any]) -> dict[Any, list[Any]]:
        """A collection relationship of a batch's rows in one query: {row id: [objects]}."""
        grouped: dict[Any, list[Any]] = {}
        if not ids:
            return grouped
        query: Select[Any] = (
            select(self.pk, rel.entity.class_)
            .select_from(self.cls)
            .join(getattr(self.cls, rel.key))
            .where(self.pk.in_(ids))
            .options(lazyload("*"))
        )
        if rel.order_by:
            query = query.order_by(*rel.order_by)
        for parent, child in db.session.execute(query):
            grouped.setdefault(parent, []).append(child)
        return grouped

    def views(self, rows: Sequence[Any]) -> list[RowView]:
        return _Batch(self, rows).views


def _batches(items: Select[Any] | Iterable[Any]) -> Iterator[list[Any]]:
    """The rows in batches of BATCH: a statement is read as Core rows (_CoreReader) with
    yield_per (a server-side cursor on PostgreSQL), so the whole result is never in memory
    and no ORM object is built per row; the related rows are read once per batch."""
    if isinstance(items, Select):
        try:
            reader = _CoreReader(items)
        except TypeError:
            reader = None
        with replica_reads():  # READ_REPLICA_DATABASE_URL, when set
            if reader is None:
                result = db.session.scalars(items.execution_options(yield_per=BATCH))
                for partition in result.partitions():
                    yield list(partition)
                return
            rows = db.session.execute(reader.statement.execution_options(yield_per=BATCH))
            for partition in rows.partitions():
                yield reader.views(partition)
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


_LETTERS = [get_column_letter(i) for i in range(1, 200)]


def _xml_row(number: int, values: list[Any]) -> str:
    cells = []
    for letter, value in zip(_LETTERS, values, strict=False):
        if isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        elif value != "":
            text = str(value)
            if not text.isalnum():
                text = escape(_ILLEGAL_XML.sub("", text))
            cells.append(
                f'<c r="{letter}{number}" t="inlineStr"><is><t xml:space="preserve">{text}</t>'
                "</is></c>"
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
