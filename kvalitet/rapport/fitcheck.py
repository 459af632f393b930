"""Checks that a rendered document's tables fit, read from the PDF's text positions with
pdfplumber (a development dependency: this module is imported by the tests and the
benchmark only, never by the application):

- `inspect(pdf).outside`: characters printed outside the page's text area (left/right
  margins), e.g. a table running off the right margin;
- `broken_words(inspect(pdf).words, blocks)`: words of table cells that are not printed
  whole anywhere (a word broken letter by letter in a narrow column);
- `inspect(pdf, tables=True).columns` / `expected_columns(blocks)`: the number of columns of
  each table as drawn (from its ruling lines) and as the document says, for comparing
  LibreOffice's rendering of the Word file with the document.
"""

from __future__ import annotations

import io
from typing import Any

import pdfplumber

from kvalitet.rapport.layout import MARGIN_PT, NO_BREAK_HYPHEN, WORD_JOINER, fit_tables

TOLERANCE_PT = 2.0


class Inspection:
    """What one pass over a PDF found: text outside the text area, the words printed and
    (when asked) the column count of every ruled table, in page order."""

    def __init__(self) -> None:
        self.outside: list[str] = []
        self.words: set[str] = set()
        self.columns: list[int] = []


def inspect(pdf: bytes, margin: float = MARGIN_PT, tables: bool = False) -> Inspection:
    found = Inspection()
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            left, right = margin - TOLERANCE_PT, float(page.width) - margin + TOLERANCE_PT
            outside = [c for c in page.chars if c["x0"] < left or c["x1"] > right
                       or c["top"] < 0 or c["bottom"] > float(page.height)]  # fmt: skip
            if outside:
                text = "".join(c["text"] for c in outside[:40])
                found.outside.append(f"sida {number}: {len(outside)} tecken utanför: {text!r}")
            for word in page.extract_words(use_text_flow=True):
                found.words.update(_plain(word["text"]).split())
            if tables:
                for table in page.find_tables():
                    rows = table.extract()
                    if rows:
                        found.columns.append(max(len(r) for r in rows))
            page.flush_cache()
    return found


def _plain(text: str) -> str:
    return text.replace(NO_BREAK_HYPHEN, "-").replace(WORD_JOINER, "")


def broken_words(printed: set[str], blocks: list[dict[str, Any]], min_length: int = 3) -> list[str]:
    """Words of the tables' cells and headers that are not printed whole."""
    missing: set[str] = set()
    for block in blocks:
        if block.get("t") != "table" or not block.get("rows"):
            continue
        cells = [str(c) for c in block["columns"]]
        cells += [str(c) for row in block["rows"] for c in row]
        for cell in cells:
            for word in cell.split():
                if (
                    len(word) >= min_length
                    and word not in printed
                    and not _broken_after_hyphen(word, printed)
                ):
                    missing.add(word)
    return sorted(missing)


def _broken_after_hyphen(word: str, printed: set[str]) -> bool:
    """A compound broken at its own hyphen ("Sarah-" / "utredningar"), as Swedish typesetting
    allows: not a word broken inside."""
    parts = word.split("-")
    if len(parts) < 2 or not all(parts):
        return False
    heads = [p + "-" for p in parts[:-1]]
    return all(h in printed or h[:-1] in printed for h in heads) and parts[-1] in printed


def expected_columns(blocks: list[dict[str, Any]]) -> list[int]:
    """Column count of every table the renderers draw (after fitting and splitting)."""
    return [
        len(b["columns"]) for b in fit_tables(blocks) if b.get("t") == "table" and b.get("rows")
    ]


def dedupe(counts: list[int]) -> list[int]:
    """Consecutive equal counts as one (a table continued on the next page is found twice)."""
    out: list[int] = []
    for count in counts:
        if not out or out[-1] != count:
            out.append(count)
    return out
