"""Tables that fit: widths from the content, wide tables on landscape pages or split, no
word broken inside, nothing outside the page, checked on the rendered files (PDF text
positions with pdfplumber; LibreOffice's rendering of the Word file)."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from sqlalchemy import select

from kvalitet.demo import build
from kvalitet.extensions import db
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.fitcheck import broken_words, dedupe, expected_columns, inspect
from kvalitet.rapport.layout import (
    LANDSCAPE_PT,
    PORTRAIT_PT,
    column_needs,
    fit_table,
    fit_tables,
    landscape_runs,
    text_width,
)
from kvalitet.rapport.models import Kvalitetsberattelse
from kvalitet.rapport.render import docx_bytes, pdf_bytes
from kvalitet.rapport.word import to_pdf_with_libreoffice

LONG = "Handläggare"


def wide_table(columns: int, caption: str) -> dict:
    heads = ["Fråga"] + [f"{LONG} {n}" for n in range(1, columns)]
    question = "Egenkontrollfråga nummer {} om dokumentationen i akten"
    rows = [
        [question.format(r)] + [f"{r * n} av {r * n + 3}" for n in range(1, columns)]
        for r in range(1, 30)
    ]
    return {"t": "table", "caption": caption, "columns": heads, "rows": rows}


def test_widths_come_from_the_content_and_hold_every_word():
    block = {"t": "table", "caption": "x", "columns": ["Mått", "2025/26", "Förändring"],
             "rows": [["Median antal dagar till avslut", "1 234", "+12"]]}  # fmt: skip
    [fitted] = fit_table(block)
    assert fitted["landscape"] is False
    widths = [w * PORTRAIT_PT for w in fitted["widths"]]
    assert abs(sum(fitted["widths"]) - 1) < 0.01
    assert widths[0] > widths[1]  # the text column gets the room
    for width, (minimum, _) in zip(widths, column_needs(block["columns"], block["rows"]),
                                   strict=True):  # fmt: skip
        assert width >= minimum - 0.5
    assert text_width("Förändring", bold=True) < widths[2]


def test_a_wide_table_goes_landscape_and_a_wider_one_is_split():
    nine = fit_table(wide_table(9, "Nio kolumner"))
    assert len(nine) == 1 and nine[0]["landscape"] is True
    parts = fit_table(wide_table(16, "Sexton kolumner"))
    assert len(parts) >= 2
    assert all(p["columns"][0] == "Fråga" and p["landscape"] for p in parts)
    assert parts[0]["caption"].endswith(f"(del 1 av {len(parts)})")
    # Every column is in exactly one part, and each part fits its words.
    assert sum(len(p["columns"]) - 1 for p in parts) == 15
    for part in parts:
        needs = column_needs(part["columns"], part["rows"])
        assert sum(n[0] for n in needs) <= LANDSCAPE_PT
    # The heading before a landscape table goes with it to the landscape page.
    blocks = [{"t": "h", "level": 3, "text": "Rubrik", "id": "r"}, *nine,
              {"t": "p", "text": "Efter."}]  # fmt: skip
    runs = landscape_runs(blocks)
    assert [(wide, [b["t"] for b in run]) for wide, run in runs] == [
        (True, ["h", "table"]), (False, ["p"])]  # fmt: skip


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice saknas")
def test_every_table_of_the_demo_report_fits_in_pdf_and_word(app, tmp_path):
    build()
    db.session.commit()  # the statistics are read in worker threads with their own sessions
    rapport = db.session.scalars(
        select(Kvalitetsberattelse).order_by(Kvalitetsberattelse.first_year.desc())
    ).first()
    document = compile_document(rapport)
    # The real report's tables plus two wider than any page: one for landscape, one to split.
    document["blocks"] += [wide_table(9, "Resultat per fråga och enhet"),
                           wide_table(16, "Resultat per fråga, alla enheter")]  # fmt: skip
    fitted = fit_tables(document["blocks"])
    assert any(b.get("landscape") for b in fitted) and any(b.get("part") for b in fitted)
    tables = [b for b in fitted if b["t"] == "table" and b["rows"]]
    assert len(tables) > 60

    pdf = inspect(pdf_bytes(document))
    assert pdf.outside == []
    assert broken_words(pdf.words, fitted) == []

    data = docx_bytes(document, page_numbers=False)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert 'w:orient="landscape"' in xml
    assert xml.count("<w:tblHeader") == len(tables)  # a repeating header row each
    word = inspect(to_pdf_with_libreoffice(data, tmp_path / "lo"), tables=True)
    assert word.outside == []
    assert broken_words(word.words, fitted) == []
    assert dedupe(word.columns) == dedupe(expected_columns(document["blocks"]))
