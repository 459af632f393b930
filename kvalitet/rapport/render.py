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
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, render_template
from PIL import Image, ImageDraw, ImageFont

from kvalitet.core.charts import PALETTE, bar_chart_svg
from kvalitet.core.numbers import format_number
from kvalitet.items import documents
from kvalitet.rapport import word
from kvalitet.rapport.document import local_time
from kvalitet.rapport.layout import fit_tables, landscape_runs, number_headings, unbreakable

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
    return format_number(value)


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
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


# --- HTML and PDF -------------------------------------------------------------------------


def _data_uri(data: bytes) -> str:
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def print_html(document: dict[str, Any], **context: Any) -> str:
    """The print template (WeasyPrint) for a document: title page, toc with page numbers,
    numbered headings, fitted tables with wide ones on landscape pages."""
    context.setdefault("chart_uri", chart_data_uri)
    blocks = document["blocks"]
    if not any("num" in b for b in blocks if b["t"] == "h"):
        number_headings(blocks, bool(document.get("options", {}).get("numbered", True)))
    version = context.get("version")
    logo = context.pop("logo", None)
    context.update(
        runs=landscape_runs(fit_tables(blocks)),
        facts=title_facts(document, version),
        logo_uri=_data_uri(logo) if logo else "",
        compiled_local=document_time(document),
        unbreak=unbreakable,
    )
    if has_request_context():
        return render_template("rapport/print.html", doc=document, **context)
    # Outside a request (scheduler, benchmark, background job): the templates need one.
    with current_app.test_request_context():
        return render_template("rapport/print.html", doc=document, **context)


def pdf_bytes(
    document: dict[str, Any],
    progress: Callable[[int, str], None] | None = None,
    **context: Any,
) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    report = progress or (lambda percent, message: None)
    html = print_html(document, **context)
    report(15, "Sätter sidorna")
    # Nothing but the inline (data:) images may be loaded: no files, no network.
    fetcher = URLFetcher(allowed_protocols={"data"})
    rendered = HTML(string=html, url_fetcher=fetcher).render()
    report(80, "Skriver PDF-filen")
    data = bytes(rendered.write_pdf())
    report(100, "Klar")
    return data


# --- Word ---------------------------------------------------------------------------------


def document_time(document: dict[str, Any]) -> str:
    """When the document was compiled, in Europe/Stockholm."""
    return document.get("compiled_at_local") or local_time(document["compiled_at"])


def title_facts(document: dict[str, Any], version: Any | None) -> list[tuple[str, str]]:
    if "facts" in document:  # a document that says what its title page lists (IVO summary)
        return [(str(label), str(value)) for label, value in document["facts"]]
    period = document["period"]
    facts = [
        (
            period.get("noun", "Kvalitetsår"),
            f"{period['label']} ({period['start']} – {period['end']})",
        ),
        ("Plan", document.get("plan", "")),  # a goal follow-up report's verksamhetsplan
        ("Diarienummer", document.get("diarienummer", "")),
        ("Beslutad av nämnden", document.get("beslutsdatum", "")),
    ]
    if version is not None:
        who = version.frozen_by.name if version.frozen_by else document.get("compiled_by", "")
        facts.append(("Version", f"Fryst version {version.number}, {local_time(version.frozen_at)}"
                      f", {who}"))  # fmt: skip
    else:
        facts.append(("Status", f"Utkast sammanställt {document_time(document)} av "
                      f"{document.get('compiled_by', '')}"))  # fmt: skip
    return facts


def docx_bytes(
    document: dict[str, Any],
    version: Any | None = None,
    *,
    template: bytes | None = None,
    logo: bytes | None = None,
    page_numbers: bool = True,
    progress: Callable[[int, str], None] | None = None,
    profile: Path | None = None,
) -> bytes:
    """The document as Word: title page, table of contents (real paragraphs; page numbers
    from LibreOffice's rendering when `page_numbers`), numbered headings, running header and
    page numbers, fitted tables (wide ones on landscape pages), charts."""
    report = progress or (lambda percent, message: None)
    doc = word.new_document(template)
    compact = bool(document.get("options", {}).get("compact", False))
    if compact:  # a short document: no page of its own for the title, chapters run on
        doc.styles["Heading 1"].paragraph_format.page_break_before = False
    doc.core_properties.title = f"{document['title']} – {document['unit']}"
    doc.core_properties.author = document.get("compiled_by", "")
    doc.core_properties.language = "sv-SE"
    note = f"Kontrollsumma (SHA-256): {version.sha256}" if version is not None else ""
    word.title_page(doc, document["title"], document["unit"], title_facts(document, version),
                    logo=logo, note=note, new_page=not compact)  # fmt: skip
    blocks = document["blocks"]
    if not any("num" in b for b in blocks if b["t"] == "h"):
        # A version frozen before headings were numbered: number them as they were set.
        number_headings(blocks, bool(document.get("options", {}).get("numbered", True)))
    with_toc = bool(document.get("options", {}).get("toc", True))
    entries = word.add_toc(doc, blocks) if with_toc else []
    word.header_footer(doc, f"{document['title']} · {document['unit']}")
    report(20, "Skapar tabeller och diagram")
    word.add_blocks(doc, blocks, chart_png)
    data = word.save(doc)
    if page_numbers and entries:
        report(55, "Räknar fram sidnummer till innehållsförteckningen")
        data = word.with_page_numbers(data, entries, profile)
    else:
        data = word.fill_page_numbers(data, [None] * len(entries))
    report(100, "Klar")
    return data


# Every kind's documents (kvalitet.items.documents) are drawn by these renderers.
documents.register("pdf", lambda document: pdf_bytes(document))
documents.register("docx", lambda document: docx_bytes(document))
