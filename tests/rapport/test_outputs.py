"""Word and PDF of the kvalitetsberättelse: the .docx opens in LibreOffice (headless) and the
PDF renders with pdftoppm; both contain the headings and the tables."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.render import chart_png, docx_bytes, pdf_bytes
from tests.rapport.helpers import YEAR, dataset, fake_synpunkter, use_only

EXPECTED = [
    "Inledning",
    "Sammanfattande bedömning",
    "Avdelning A",
    "Analys och slutsatser",
    "Förbättringsarbetet sedan förra uppföljningen",
    "Årets bedömning",
    "Förslag till förbättringsåtgärd",  # a table header
    "Ny introduktionsrutin",  # a table cell
    "Utbildning i sekretess",
    "Klagomål",
]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def document(app, org, monkeypatch):
    dataset(org)
    use_only(monkeypatch, synpunkter=fake_synpunkter)
    rapport = ops.start_report(org.kvalitet, org.forv, YEAR)
    return compile_document(rapport, org.kvalitet)


def test_pdf_renders_with_pdftoppm_and_holds_headings_and_tables(document, tmp_path):
    pdf = pdf_bytes(document)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(path),
                    str(tmp_path / "sida")], check=True, timeout=120)  # fmt: skip
    pages = sorted(tmp_path.glob("sida*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 1000 for p in pages)
    text = _text(pdf)
    for expected in EXPECTED:
        assert expected in text, expected
    assert "sida 2 av" in text  # page numbers in the footer


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice saknas")
def test_docx_converts_with_libreoffice_and_holds_headings_and_tables(document, tmp_path):
    data = docx_bytes(document)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        names = z.namelist()
        footer = " ".join(z.read(n).decode("utf-8") for n in names if "footer" in n)
    # Real headings, tables, a TOC field, page number fields and a chart image.
    assert 'w:val="Heading1"' in xml and 'w:val="Heading2"' in xml
    assert xml.count("<w:tbl>") >= 5
    assert "TOC \\o" in xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert any(n.startswith("word/media/") and n.endswith(".png") for n in names)

    source = tmp_path / "rapport.docx"
    source.write_bytes(data)
    profile = tmp_path / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, timeout=240, capture_output=True,
    )  # fmt: skip
    converted = Path(tmp_path / "rapport.pdf").read_bytes()
    text = _text(converted)
    for expected in EXPECTED:
        assert expected in text, expected


def test_chart_png_is_an_image(document):
    chart = next(b for b in document["blocks"] if b["t"] == "chart")
    png = chart_png(chart)
    assert png.startswith(b"\x89PNG")
