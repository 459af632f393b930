"""Renderers of a compiled kvalitetsberättelse: HTML (template), PDF (WeasyPrint, from the
print template) and Word (python-docx: real headings, tables, a table of contents field,
page number fields in the footer, charts as PNG images).

Charts: the page and the PDF use kvalitet.core.charts.bar_chart_svg. Word needs a raster
image, so the same chart is drawn as PNG with Pillow (already installed as WeasyPrint's
dependency; no system library needed), with the DejaVu font when it is present.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from flask import current_app, has_request_context, render_template
from PIL import Image, ImageDraw, ImageFont

from kvalitet.core.charts import PALETTE, bar_chart_svg

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]


def chart_svg(block: dict[str, Any]) -> str:
    return bar_chart_svg(
        block["categories"], [(name, values) for name, values in block["series"]], block["title"]
    )


def chart_data_uri(block: dict[str, Any]) -> str:
    data = base64.b64encode(chart_svg(block).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


# --- PNG charts ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> Any:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for directory in FONT_DIRS:
        if (directory / name).exists():
            return ImageFont.truetype(str(directory / name), size)
    return ImageFont.load_default(size=size)


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return (int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def chart_png(block: dict[str, Any], scale: int = 2) -> bytes:
    """The grouped horizontal bar chart as PNG (twice the size for sharp print)."""
    categories: list[str] = list(block["categories"])
    series: list[tuple[str, list[float]]] = [(n, list(v)) for n, v in block["series"]]
    s = scale
    width, label_w, bar_h, gap = 640 * s, 210 * s, 16 * s, 10 * s
    group_h = max(1, len(series)) * bar_h + gap
    top = 58 * s
    height = top + max(1, len(categories)) * group_h + 10 * s
    maximum = max([v for _, values in series for v in values] + [1])
    plot_w = width - label_w - 60 * s
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    text_color = (33, 37, 41)
    draw.text((0, 4 * s), block["title"], fill=text_color, font=_font(15 * s, bold=True))
    x = 0
    small = _font(12 * s)
    for index, (name, _) in enumerate(series):
        color = _hex(PALETTE[index % len(PALETTE)])
        draw.rectangle([x, 30 * s, x + 12 * s, 42 * s], fill=color)
        draw.text((x + 16 * s, 29 * s), name, fill=text_color, font=small)
        x += int(draw.textlength(name, font=small)) + 36 * s
    for row, category in enumerate(categories):
        y = top + row * group_h
        label = category if len(category) <= 30 else category[:29] + "…"
        tw = draw.textlength(label, font=small)
        draw.text(
            (label_w - 8 * s - tw, y + len(series) * bar_h / 2 - 8 * s),
            label,
            fill=text_color,
            font=small,
        )
        for index, (_, values) in enumerate(series):
            value = values[row] if row < len(values) else 0
            bar = 0 if maximum == 0 else plot_w * value / maximum
            by = y + index * bar_h
            color = _hex(PALETTE[index % len(PALETTE)])
            if bar > 0:
                draw.rectangle([label_w, by, label_w + bar, by + bar_h - 2 * s], fill=color)
            draw.text((label_w + bar + 4 * s, by), _num(value), fill=text_color, font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- HTML and PDF -------------------------------------------------------------------------


def print_html(document: dict[str, Any], **context: Any) -> str:
    context.setdefault("chart_uri", chart_data_uri)
    if has_request_context():
        return render_template("rapport/print.html", doc=document, **context)
    # Outside a request (scheduler, benchmark): the templates' globals need one.
    with current_app.test_request_context():
        return render_template("rapport/print.html", doc=document, **context)


def pdf_bytes(document: dict[str, Any], **context: Any) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = print_html(document, **context)
    # Nothing but the inline (data:) chart images may be loaded: no files, no network.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


# --- Word ---------------------------------------------------------------------------------


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC ...) as begin/instr/separate/result/end runs."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run._r.append(separate)
    paragraph.add_run(placeholder or "1")
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _update_fields_on_open(doc: Any) -> None:
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _table(doc: Any, block: dict[str, Any]) -> None:
    caption = doc.add_paragraph(block["caption"], style="Caption")
    caption.paragraph_format.keep_with_next = True
    rows: list[list[str]] = block["rows"]
    if not rows:
        doc.add_paragraph(block.get("empty") or "Inga uppgifter.").runs[0].italic = True
        return
    columns: list[str] = block["columns"]
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = "Table Grid"
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, columns, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
    for row, values in zip(table.rows[1:], rows, strict=True):
        for cell, text in zip(row.cells, values, strict=False):
            cell.text = str(text)
    if block.get("suppressed"):
        para = doc.add_paragraph("Grupper med färre än 5 personer visas som <5.")
        para.runs[0].italic = True
    doc.add_paragraph()


def docx_bytes(document: dict[str, Any], version: Any | None = None) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    doc.core_properties.title = f"{document['title']} – {document['unit']}"
    doc.core_properties.author = document.get("compiled_by", "")
    doc.core_properties.language = "sv-SE"

    title = doc.add_paragraph(document["title"], style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.LEFT
    doc.add_paragraph(document["unit"], style="Subtitle")
    period = document["period"]
    noun = period.get("noun", "Kvalitetsår")  # "Kalenderår": the patientsäkerhetsberättelse
    doc.add_paragraph(f"{noun} {period['label']}: {period['start']} – {period['end']}")
    status = (
        f"Fryst version {version.number}, {document['compiled_at'][:16].replace('T', ' ')} UTC, "
        f"{document['compiled_by']}. Kontrollsumma (SHA-256): {version.sha256}"
        if version is not None
        else f"Utkast sammanställt {document['compiled_at'][:16].replace('T', ' ')} UTC av "
        f"{document['compiled_by']}."
    )
    doc.add_paragraph(status).runs[0].font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    doc.add_heading("Innehåll", level=1)
    _field(
        doc.add_paragraph(),
        'TOC \\o "1-3" \\h \\z \\u',
        "Högerklicka här och välj Uppdatera fält för att visa innehållsförteckningen.",
    )
    doc.add_page_break()
    _update_fields_on_open(doc)

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{document['title']}, {document['unit']} – sida ")
    _field(footer, "PAGE")
    footer.add_run(" av ")
    _field(footer, "NUMPAGES")

    for block in document["blocks"]:
        kind = block["t"]
        if kind == "h":
            doc.add_heading(block["text"], level=min(block["level"], 4))
        elif kind == "p":
            doc.add_paragraph(block["text"])
        elif kind == "note":
            para = doc.add_paragraph()
            run = para.add_run(block["text"])
            run.italic = True
            run.font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
        elif kind == "table":
            _table(doc, block)
        elif kind == "chart":
            doc.add_picture(io.BytesIO(chart_png(block)), width=Cm(16))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.LEFT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
