"""Word building blocks (python-docx), not tied to the kvalitetsberättelse: a document from
the förvaltning's own template or the default one (Word's own style names), a title page,
a table of contents written as real paragraphs (with page numbers from a LibreOffice
rendering when it is installed), numbered headings, running header and page numbers,
tables with widths from their content, repeating header rows and landscape sections.

    doc = new_document(template_bytes_or_None)
    title_page(doc, "Kvalitetsberättelse 2025/26", "Socialförvaltningen",
               [("Diarienummer", "SN 2026/12")])
    toc = add_toc(doc, blocks)                 # placeholder page numbers
    header_footer(doc, "Kvalitetsberättelse 2025/26 · Socialförvaltningen")
    add_blocks(doc, blocks, chart_png)         # headings, paragraphs, fitted tables, charts
    data = save(doc)
    data = with_page_numbers(data, toc)        # optional: fill the toc's page numbers

`layout.number_headings` numbers the headings first; `layout.fit_tables` is applied by
`add_blocks`.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from kvalitet.rapport.layout import (
    DOCUMENT_FONT,
    MARGIN_PT,
    PAGE_HEIGHT_PT,
    PAGE_WIDTH_PT,
    TABLE_FONT_PT,
    fit_tables,
    heading_text,
    landscape_runs,
    toc_entries,
    unbreakable,
)

Block = dict[str, Any]
PLACEHOLDER_PAGE = "00"
ACCENT = RGBColor(0x1D, 0x3D, 0x5C)
NOTE = RGBColor(0x8A, 0x4B, 0x00)

# --- the document and its styles -------------------------------------------------------------


class TemplateError(ValueError):
    """An uploaded file that is not a usable Word template (message in Swedish)."""


def check_template(data: bytes) -> None:
    """Raise TemplateError unless `data` is a .docx (or .dotx) python-docx can open."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise TemplateError("Filen är inte en Word-mall (.docx eller .dotx).")
        _open(data)
    except TemplateError:
        raise
    except Exception:
        raise TemplateError("Filen kunde inte läsas som en Word-mall (.docx eller .dotx).")


def _open(data: bytes) -> Any:
    # A .dotx is a .docx with another content type: python-docx opens it once that is changed.
    source = io.BytesIO(data)
    with zipfile.ZipFile(source) as archive:
        types = archive.read("[Content_Types].xml").decode("utf-8")
        if "template.main+xml" in types:
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                for item in archive.infolist():
                    content = archive.read(item.filename)
                    if item.filename == "[Content_Types].xml":
                        content = types.replace("template.main+xml", "document.main+xml").encode()
                    copy.writestr(item, content)
            source = io.BytesIO(out.getvalue())
    source.seek(0)
    return Document(source)


def new_document(template: bytes | None = None) -> Any:
    """An empty document: the förvaltning's template (its styles, fonts, headers, cover
    logo in the header) with its body emptied, or the default municipal look built on
    python-docx's template (Word's own style names: Title, Heading 1–3, Caption, Table Grid,
    TOC Heading, toc 1–2), A4 with 2.2 cm margins, Arial."""
    if template:
        doc = _open(template)
        body = doc.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        _ensure_styles(doc, default=False)
        return doc
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Pt(PAGE_WIDTH_PT), Pt(PAGE_HEIGHT_PT)
    section.left_margin = section.right_margin = Pt(MARGIN_PT)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.2)
    _ensure_styles(doc, default=True)
    return doc


def _style(doc: Any, name: str, kind: Any = WD_STYLE_TYPE.PARAGRAPH) -> Any:
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
        if kind == WD_STYLE_TYPE.PARAGRAPH:
            style.base_style = doc.styles["Normal"]
        return style


def _ensure_styles(doc: Any, default: bool) -> None:
    """Styles the renderer uses exist in every template; the default template also gets
    the municipal look (fonts, colours, Heading 1 on a new page)."""
    names = ("Title", "Subtitle", "Caption", "List Bullet", "TOC Heading", "Heading 1",
             "Heading 2", "Heading 3", "Heading 4", "Header", "Footer")  # fmt: skip
    for name in names:
        _style(doc, name)
    toc1, toc2, toc3 = _style(doc, "toc 1"), _style(doc, "toc 2"), _style(doc, "toc 3")
    _style(doc, "Table Grid", WD_STYLE_TYPE.TABLE)
    if not default:
        return
    normal = doc.styles["Normal"]
    normal.font.name = DOCUMENT_FONT
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)
    _east_asia(normal, DOCUMENT_FONT)
    for name, size in (("Title", 28), ("Subtitle", 15), ("Heading 1", 17), ("Heading 2", 13.5),
                       ("Heading 3", 11.5), ("Heading 4", 10.5), ("TOC Heading", 17)):  # fmt: skip
        style = doc.styles[name]
        style.font.name = DOCUMENT_FONT
        _east_asia(style, DOCUMENT_FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = ACCENT
        style.font.italic = False
    doc.styles["Heading 1"].paragraph_format.page_break_before = True
    doc.styles["Heading 1"].paragraph_format.space_before = Pt(0)
    doc.styles["Caption"].font.size = Pt(9.5)
    doc.styles["Caption"].font.bold = True
    doc.styles["Caption"].font.italic = False
    doc.styles["Caption"].font.color.rgb = RGBColor(0x21, 0x25, 0x29)
    for style, indent, bold in ((toc1, 0, True), (toc2, 0.6, False), (toc3, 1.2, False)):
        style.font.bold = bold
        style.paragraph_format.left_indent = Cm(indent)
        style.paragraph_format.space_after = Pt(2)
        style.paragraph_format.space_before = Pt(6 if bold else 0)


def _east_asia(style: Any, font: str) -> None:
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    # Theme fonts (Calibri Light in python-docx's template) win over named ones: drop them.
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), font)


def paragraph(doc: Any, text: str = "", style: str | None = None) -> Any:
    """doc.add_paragraph with the style set by id (python-docx looks a style name up by
    scanning every style, which dominates the time of a long document)."""
    para = doc.add_paragraph(text)
    if style:
        ids: dict[str, str] = doc.__dict__.setdefault("_kvalitet_style_ids", {})
        if style not in ids:
            ids[style] = doc.styles[style].style_id
        para._p.get_or_add_pPr().style = ids[style]
    return para


def text_width_emu(doc: Any) -> int:
    section = doc.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin)


# --- fields ---------------------------------------------------------------------------------


def _fld(run: Any, kind: str) -> None:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    run._r.append(element)


def _instr(run: Any, instruction: str) -> None:
    element = OxmlElement("w:instrText")
    element.set(qn("xml:space"), "preserve")
    element.text = f" {instruction} "
    run._r.append(element)


def add_field(paragraph: Any, instruction: str, result: str = "1") -> None:
    """A simple field (PAGE, NUMPAGES) with a shown result."""
    _fld(paragraph.add_run(), "begin")
    _instr(paragraph.add_run(), instruction)
    _fld(paragraph.add_run(), "separate")
    paragraph.add_run(result)
    _fld(paragraph.add_run(), "end")


# --- title page, header and footer ------------------------------------------------------------


def title_page(
    doc: Any,
    title: str,
    subtitle: str,
    facts: list[tuple[str, str]],
    logo: bytes | None = None,
    note: str = "",
    new_page: bool = True,
) -> None:
    """Logo, title, the organisation, then a list of facts (year, diarienummer, decision
    date …), a small note (version, checksum) at the bottom; the next content starts on a
    new page (`new_page`; a short document such as the IVO summary goes on below)."""
    if logo:
        with contextlib.suppress(Exception):  # an unreadable logo leaves the page without one
            doc.add_picture(io.BytesIO(logo), height=Cm(2.2))
    for _ in range(3 if new_page else 0):
        doc.add_paragraph()
    paragraph(doc, title, "Title")
    paragraph(doc, subtitle, "Subtitle")
    doc.add_paragraph()
    for label, value in facts:
        if not value:
            continue
        para = doc.add_paragraph()
        para.paragraph_format.space_after = Pt(2)
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
    if note:
        para = doc.add_paragraph()
        para.paragraph_format.space_before = Pt(48)
        run = para.add_run(note)
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    if new_page:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def header_footer(doc: Any, header: str, footer: str = "") -> None:
    """Running header (right) and "Sida X av Y" footer on every page but the title page."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    para = section.header.paragraphs[0]
    para.text = ""
    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = para.add_run(header)
    run.font.size = Pt(8.5)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    para = section.footer.paragraphs[0]
    para.text = ""
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if footer:
        para.add_run(f"{footer} – ")
    para.add_run("Sida ")
    add_field(para, "PAGE")
    para.add_run(" av ")
    add_field(para, "NUMPAGES")
    for run in para.runs:
        run.font.size = Pt(8.5)


# --- table of contents ---------------------------------------------------------------------


def add_toc(
    doc: Any, blocks: list[Block], max_level: int = 2, title: str = "Innehåll"
) -> list[Any]:
    """The table of contents as real paragraphs (style toc 1 / toc 2, dotted tab leader,
    page number at the right margin), present without updating fields. They are wrapped in
    a TOC field, so Word's "Uppdatera fält" can still rebuild it after edits. Page numbers
    are "00" until `with_page_numbers` fills them. Returns the entries' heading blocks."""
    paragraph(doc, title, "TOC Heading")
    entries = toc_entries(blocks, max_level)
    right = Emu(text_width_emu(doc))
    for index, block in enumerate(entries):
        level = int(block.get("level", 1))
        para = paragraph(doc, "", f"toc {min(level, 3)}")
        stops = para.paragraph_format.tab_stops
        stops.add_tab_stop(right, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        if index == 0:
            _fld(para.add_run(), "begin")
            _instr(para.add_run(), 'TOC \\o "1-2" \\h \\z \\u')
            _fld(para.add_run(), "separate")
        para.add_run(heading_text(block))
        para.add_run("\t")
        para.add_run(PLACEHOLDER_PAGE)
        if index == len(entries) - 1:
            _fld(para.add_run(), "end")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    return entries


# --- blocks -----------------------------------------------------------------------------


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
    no_split = OxmlElement("w:cantSplit")
    no_split.set(qn("w:val"), "true")
    tr_pr.append(no_split)


def _fixed_layout(table: Any, widths: list[int]) -> None:
    """Fixed column widths (Word and LibreOffice both keep them): table, grid and every
    cell agree. Works on the XML directly (python-docx's row.cells is quadratic)."""
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(sum(widths) // 635))  # EMU → twentieths of a point
    width.set(qn("w:type"), "dxa")
    tbl_pr.append(width)
    for grid_col, value in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_col.w = Emu(value)
    for tr in table._tbl.tr_lst:
        for tc, value in zip(tr.tc_lst, widths, strict=False):
            tc.width = Emu(value)


def _cell_text(tc: Any, text: str, size: Any, bold: bool = False) -> None:
    paragraph = tc.p_lst[0]
    p_pr = paragraph.get_or_add_pPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:after"), "0")
    p_pr.append(spacing)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        run = paragraph.add_r()
        r_pr = run.get_or_add_rPr()
        if bold:
            r_pr.append(OxmlElement("w:b"))
        half_points = OxmlElement("w:sz")
        half_points.set(qn("w:val"), str(int(size.pt * 2)))
        r_pr.append(half_points)
        run.text = line
        if number < len(lines) - 1:
            run.add_br()


def add_table(doc: Any, block: Block) -> None:
    """A fitted table block (layout.fit_table): caption kept with the table, widths from
    the content, bold shaded header row repeated on every page, rows not split over pages."""
    caption = paragraph(doc, block.get("caption", ""), "Caption")
    caption.paragraph_format.keep_with_next = True
    rows: list[list[Any]] = block.get("rows") or []
    if not rows:
        para = doc.add_paragraph()
        para.add_run(block.get("empty") or "Inga uppgifter.").italic = True
        return
    columns: list[str] = block["columns"]
    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    ids: dict[str, str] = doc.__dict__.setdefault("_kvalitet_style_ids", {})
    if "Table Grid" not in ids:
        ids["Table Grid"] = doc.styles["Table Grid"].style_id
    table._tbl.tblPr.style = ids["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    available = text_width_emu(doc)
    fractions = block.get("widths") or [1 / len(columns)] * len(columns)
    _fixed_layout(table, [int(available * f) for f in fractions])
    size = Pt(TABLE_FONT_PT)
    trs = table._tbl.tr_lst
    header = table.rows[0]
    _repeat_header(header)
    for tc, text in zip(trs[0].tc_lst, columns, strict=True):
        _cell_text(tc, unbreakable(str(text)), size, bold=True)
        _shade_tc(tc, "E9EEF4")
    for tr, values in zip(trs[1:], rows, strict=True):
        tr.get_or_add_trPr().append(_cant_split())
        for tc, text in zip(tr.tc_lst, values, strict=False):
            _cell_text(tc, unbreakable(str(text)), size)
    if block.get("suppressed"):
        para = doc.add_paragraph()
        para.add_run("Grupper med färre än 5 personer visas som <5.").italic = True
    doc.add_paragraph().paragraph_format.space_after = Pt(2)


def _shade_tc(tc: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc.get_or_add_tcPr().append(shading)


def _cant_split() -> Any:
    element = OxmlElement("w:cantSplit")
    element.set(qn("w:val"), "true")
    return element


def _section(doc: Any, landscape: bool) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    short, long_ = Pt(PAGE_WIDTH_PT), Pt(PAGE_HEIGHT_PT)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = long_, short
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = short, long_


def add_blocks(
    doc: Any, blocks: list[Block], chart_png: Callable[[Block], bytes] | None = None
) -> None:
    """Headings (with their numbers), paragraphs, notes, fitted tables (wide ones in
    landscape sections) and charts (PNG from `chart_png`)."""
    fitted = fit_tables(blocks)
    first = True
    for landscape, run in landscape_runs(fitted):
        if landscape:
            _section(doc, True)
        elif not first:
            _section(doc, False)
        first = False
        for index, block in enumerate(run):
            _add_block(doc, block, chart_png, first_in_section=index == 0 and landscape)


def _add_block(
    doc: Any, block: Block, chart_png: Callable[[Block], bytes] | None, first_in_section: bool
) -> None:
    kind = block.get("t")
    if kind == "h":
        level = min(int(block.get("level", 1)), 4)
        para = paragraph(doc, heading_text(block), f"Heading {level}")
        if first_in_section:  # a section break is already a new page
            para.paragraph_format.page_break_before = False
    elif kind == "p":
        doc.add_paragraph(block["text"])
    elif kind == "ul":
        for line in block.get("items", []):
            paragraph(doc, str(line), "List Bullet")
    elif kind == "note":
        para = doc.add_paragraph()
        run = para.add_run(block["text"])
        run.italic = True
        run.font.color.rgb = NOTE
    elif kind == "table":
        add_table(doc, block)
    elif kind == "chart" and chart_png is not None:
        width = min(Cm(15.5), Emu(text_width_emu(doc)))
        doc.add_picture(io.BytesIO(chart_png(block)), width=width)
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.LEFT


def save(doc: Any) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- page numbers in the table of contents ---------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf_with_libreoffice(data: bytes, profile: Path | None = None, timeout: int = 180) -> bytes:
    """The .docx as LibreOffice prints it (headless). One conversion at a time per profile
    (LibreOffice refuses a second process on the same profile)."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = profile or Path(tempfile.gettempdir()) / "kvalitet-lo-profile"
    profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work, open(profile / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        source = Path(work) / "dokument.docx"
        source.write_bytes(data)
        subprocess.run(  # noqa: S603 (soffice found by shutil.which; the arguments are ours)
            [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", work, str(source)],
            check=True, timeout=timeout, capture_output=True,
            env={**os.environ, "HOME": str(profile)},
        )  # fmt: skip
        return (Path(work) / "dokument.pdf").read_bytes()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page: poppler's pdftotext when it is installed (one process for the
    whole file, in C: a 100-page report in well under a second, where pypdf's extraction in
    Python took most of the Word download's time), else pypdf."""
    binary = shutil.which("pdftotext")
    if binary is not None:
        done = subprocess.run(  # noqa: S603 (pdftotext found by shutil.which; our arguments)
            [binary, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, timeout=120,
            check=True,
        )  # fmt: skip
        texts = done.stdout.decode("utf-8", errors="replace").split("\f")
        return texts[:-1] if texts and not texts[-1].strip() else texts
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def heading_pages(pdf: bytes, entries: list[Block]) -> list[int | None]:
    """The page (1-based) where each toc entry's heading is printed, found in order after
    the table of contents itself; None where it could not be found."""
    pages = [_normal(text) for text in page_texts(pdf)]
    if not entries:
        return []
    last = _normal(heading_text(entries[-1]))
    start = next((i + 1 for i, text in enumerate(pages) if last in text), 0)
    found: list[int | None] = []
    page = start
    for block in entries:
        wanted = _normal(heading_text(block))
        hit = next((i for i in range(page, len(pages)) if wanted in pages[i]), None)
        found.append(None if hit is None else hit + 1)
        if hit is not None:
            page = hit
    return found


def fill_page_numbers(data: bytes, pages: list[int | None]) -> bytes:
    """The .docx with the toc's placeholder page numbers replaced, in order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read("word/document.xml").decode("utf-8")
    numbers = iter(pages)
    placeholder = f"<w:t>{PLACEHOLDER_PAGE}</w:t>"

    def replace(_: re.Match[str]) -> str:
        value = next(numbers, None)
        return f"<w:t>{value if value is not None else ''}</w:t>"

    xml = re.sub(re.escape(placeholder), replace, xml, count=len(pages))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/document.xml":
                content = xml.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def with_page_numbers(data: bytes, entries: list[Block], profile: Path | None = None) -> bytes:
    """Fill the toc's page numbers from LibreOffice's rendering of the document (fonts are
    metric-compatible with Word's, so the pages agree). Without LibreOffice, or if it fails,
    the toc keeps its headings and shows no page numbers."""
    pages: list[int | None] = [None] * len(entries)
    if soffice() is not None:
        with contextlib.suppress(Exception):
            pages = heading_pages(to_pdf_with_libreoffice(data, profile), entries)
    return fill_page_numbers(data, pages)
