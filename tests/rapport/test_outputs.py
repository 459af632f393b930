"""Word and PDF of the kvalitetsberättelse: the .docx opens in LibreOffice (headless) and the
PDF renders with pdftoppm; both hold the title page, a filled table of contents, numbered
headings, page numbers, the tables; times are Swedish time and numbers Swedish."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx import Document
from pypdf import PdfReader

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.render import chart_png, docx_bytes, pdf_bytes
from kvalitet.rapport.word import to_pdf_with_libreoffice
from tests.rapport.helpers import YEAR, dataset, fake_synpunkter, use_only

EXPECTED = [
    "1 Inledning",
    "2 Sammanfattande bedömning",
    "3 Avdelning A",
    "3.1 Analys och slutsatser",
    "Förbättringsarbetet sedan förra uppföljningen",
    "Årets bedömning",
    "Förslag till förbättringsåtgärd",  # a table header
    "Ny introduktionsrutin",  # a table cell
    "Utbildning i sekretess",
    "Klagomål",
    "SN 2026/0042",  # diarienummer on the title page
    "2026-10-20",  # the nämnd's decision
]
needs_lo = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice saknas")


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


@pytest.fixture
def document(app, org, monkeypatch):
    dataset(org)
    use_only(monkeypatch, synpunkter=fake_synpunkter)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    rapport.diarienummer = "SN 2026/0042"
    rapport.beslutsdatum = date(2026, 10, 20)
    db.session.commit()
    # 07:44 UTC is 08:44 in Stockholm (winter time).
    clock.freeze(datetime(2026, 11, 3, 7, 44, tzinfo=UTC))
    try:
        return compile_document(rapport, org.kvalitet)
    finally:
        clock.freeze(None)


def test_pdf_renders_with_pdftoppm_and_holds_headings_and_tables(document, tmp_path):
    pdf = pdf_bytes(document)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(path),
                    str(tmp_path / "sida")], check=True, timeout=120)  # fmt: skip
    pages = sorted(tmp_path.glob("sida*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 1000 for p in pages)
    texts = _pages(pdf)
    text = " ".join(texts)
    for expected in EXPECTED:
        assert expected in text, expected
    assert "2026-11-03 08:44" in texts[0] and "07:44" not in texts[0]
    assert "Sida 2 av" in texts[1]  # page numbers in the footer
    assert "Kvalitetsberättelse 2025/26 · Förvaltning" in texts[1]  # running header
    assert "Sida" not in texts[0]  # not on the title page
    # The toc on page 2 gives the page of each chapter.
    toc = re.search(r"3 Avdelning A\W*(\d+)", texts[1])
    assert toc is not None
    assert texts[int(toc.group(1)) - 1].count("3 Avdelning A") >= 1


@needs_lo
def test_docx_opens_with_a_filled_toc_and_numbered_headings(document, tmp_path):
    data = docx_bytes(document)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        settings = z.read("word/settings.xml").decode("utf-8")
        names = z.namelist()
        header = " ".join(z.read(n).decode("utf-8") for n in names if "header" in n)
        footer = " ".join(z.read(n).decode("utf-8") for n in names if "footer" in n)
    # Real headings (Word's own styles), tables, page number fields and a chart image.
    assert 'w:val="Heading1"' in xml and 'w:val="Heading2"' in xml
    assert xml.count("<w:tbl>") >= 5
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert "Kvalitetsberättelse 2025/26 · Förvaltning" in header
    assert "updateFields" not in settings  # nothing to update when opened
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in names)

    doc = Document(io.BytesIO(data))
    toc = [p.text for p in doc.paragraphs if p.style.name.startswith("toc ")]
    assert toc[0].startswith("1 Inledning\t")
    assert any(t.startswith("3.1 Analys och slutsatser\t") for t in toc)
    # Every entry has its page number (from LibreOffice's rendering) ...
    numbers = {t.split("\t")[0]: int(t.split("\t")[1]) for t in toc}
    assert all(n >= 3 for n in numbers.values())
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "3 Avdelning A" in headings and "3.1 Analys och slutsatser" in headings
    title = " ".join(p.text for p in doc.paragraphs[:15])
    assert "SN 2026/0042" in title and "2026-10-20" in title
    assert "2026-11-03 08:44" in title and "UTC" not in title

    # ... and LibreOffice prints each heading on the page the toc says.
    pages = _pages(to_pdf_with_libreoffice(data, tmp_path / "lo"))
    text = " ".join(pages)
    for expected in EXPECTED:
        assert expected in text, expected
    for heading in ("3 Avdelning A", "4 Avdelning B", "2 Sammanfattande bedömning"):
        assert heading in pages[numbers[heading] - 1], heading


def test_numbering_can_be_turned_off(app, org, monkeypatch):
    use_only(monkeypatch)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    rapport.numrerade_rubriker = False
    rapport.bilaga_statistik = False
    db.session.commit()
    doc = compile_document(rapport, org.kvalitet)
    assert not [b for b in doc["blocks"] if b["t"] == "h" and b.get("num")]
    assert not [b for b in doc["blocks"] if b["t"] == "h" and b["text"].startswith("Bilaga")]
    word = Document(io.BytesIO(docx_bytes(doc, page_numbers=False)))
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == ["Inledning", "Sammanfattande bedömning"]


def test_chart_png_is_an_image(document):
    chart = next(b for b in document["blocks"] if b["t"] == "chart")
    png = chart_png(chart)
    assert png.startswith(b"\x89PNG")
