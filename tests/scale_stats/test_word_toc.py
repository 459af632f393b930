"""The Word report's table of contents gets its page numbers from LibreOffice's rendering,
read with poppler's pdftotext (word.page_texts; pypdf's extraction in Python was most of the
Word download's time at 100,000 items). The numbers are right: in a second, independent
rendering read with pypdf, each entry's heading is printed on the page its number says, and
both extractors find the same pages."""

from __future__ import annotations

import io
import shutil

import pytest
from docx import Document
from pypdf import PdfReader

from kvalitet.rapport import word
from kvalitet.rapport.layout import heading_text, toc_entries
from kvalitet.rapport.render import docx_bytes
from tests.rapport.test_outputs import document  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(
    word.soffice() is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice and poppler-utils (scripts/system-deps.sh test)",
)


def test_toc_page_numbers_are_the_pages_of_the_headings(document, monkeypatch):  # noqa: F811
    data = docx_bytes(document)
    toc = [p for p in Document(io.BytesIO(data)).paragraphs if p.style.name.startswith("toc ")]
    entries = toc_entries(document["blocks"])
    assert len(toc) == len(entries) > 3
    numbers = [int(p.text.rsplit("\t", 1)[1]) for p in toc]
    assert numbers == sorted(numbers) and numbers[0] > 1
    rendered = word.to_pdf_with_libreoffice(data)
    pages = [word._normal(p.extract_text() or "") for p in PdfReader(io.BytesIO(rendered)).pages]
    for block, number in zip(entries, numbers, strict=True):
        assert word._normal(heading_text(block)) in pages[number - 1], (block["text"], number)
    # pdftotext and pypdf agree on where each heading is.
    by_poppler = word.heading_pages(rendered, entries)
    monkeypatch.setattr(word.shutil, "which", lambda name: None)
    assert word.heading_pages(rendered, entries) == by_poppler == numbers
