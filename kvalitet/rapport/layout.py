"""Layout of a block document shared by the Word and PDF renderers, not tied to the
kvalitetsberättelse (the goal follow-up and other documents use the same blocks):

- `number_headings(blocks)`: 1 / 1.1 / 2.1.1 numbers on headings (key "num").
- `fit_table(block)` / `fit_tables(blocks)`: column widths from the content, measured with
  the font the documents are set in, so that no word has to be broken; a table too wide for
  a portrait page goes on a landscape page, and one too wide for that is split into parts
  that repeat the first column.

A document is a list of blocks: {"t": "h", "level", "text", "id"}, {"t": "p", "text"},
{"t": "note", "text"}, {"t": "table", "caption", "columns", "rows"}, {"t": "chart", ...}.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import ImageFont

Block = dict[str, Any]

# A4 with 2.2 cm margins left and right (Word's default template and the print CSS).
CM = 72 / 2.54
PAGE_WIDTH_PT = 21.0 * CM
PAGE_HEIGHT_PT = 29.7 * CM
MARGIN_PT = 2.2 * CM
PORTRAIT_PT = PAGE_WIDTH_PT - 2 * MARGIN_PT
LANDSCAPE_PT = PAGE_HEIGHT_PT - 2 * MARGIN_PT
TABLE_FONT_PT = 9.0
# Left + right cell padding and borders, in points (Word's default cell margins are
# 0.19 cm each side; the print CSS uses 4 pt each side): the larger, plus a little slack.
CELL_PAD_PT = 13.0
# A single word longer than this share of the line may be broken (URLs, long references).
MAX_WORD_SHARE = 0.45
# A column's preferred width is its longest text, but no wider than this (then it wraps).
MAX_PREFERRED_PT = 230.0

FONT_FILES = {
    False: [
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ],
    True: [
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ],
}
# The documents' font: Arial in Word (LibreOffice and the PDF use the metric-compatible
# Liberation Sans), so measuring Liberation Sans measures what is printed.
DOCUMENT_FONT = "Arial"


NO_BREAK_HYPHEN = "\u2011"
WORD_JOINER = "\u2060"
# A hyphen between capitals or digits (AVV-2025-0012, ATG-B2024-25, SN-2026): no break.
_REF_HYPHEN = re.compile(r"(?<=[A-ZÅÄÖ0-9])-(?=[A-ZÅÄÖ0-9])")
_SLASH = re.compile(r"(?<=\w)/(?=\w)")


def unbreakable(text: str) -> str:
    """Text for a table cell with no line break inside a reference (AVV-2025-0012 gets
    no-break hyphens) or after a slash between words (påbörjats/pågår/avslutats): a
    renderer may break a line there, and the columns are sized to hold them whole."""
    text = _REF_HYPHEN.sub(NO_BREAK_HYPHEN, text)
    return _SLASH.sub("/" + WORD_JOINER, text)


# --- headings -------------------------------------------------------------------------------


def number_headings(blocks: list[Block], enabled: bool = True, depth: int = 3) -> list[Block]:
    """Give headings their numbers (1, 1.1, 2.1.1) in "num", in place, and return the blocks.
    A heading with "nonum": True (an appendix) is not numbered and does not count; headings
    below it are not numbered either. With `enabled` False every "num" is removed."""
    counters = [0] * 6
    skipping = False
    for block in blocks:
        if block.get("t") != "h":
            continue
        block.pop("num", None)
        level = int(block.get("level", 1))
        if level == 1:
            skipping = bool(block.get("nonum"))
        if not enabled or skipping or block.get("nonum") or level > depth:
            continue
        counters[level - 1] += 1
        for index in range(level, len(counters)):
            counters[index] = 0
        block["num"] = ".".join(str(n) for n in counters[:level] if n) or "1"
    return blocks


def heading_text(block: Block) -> str:
    """The heading as printed: "2.1.1 Trygghet och säkerhet" (or the text alone)."""
    return f"{block['num']} {block['text']}" if block.get("num") else str(block["text"])


def toc_entries(blocks: list[Block], max_level: int = 2) -> list[Block]:
    return [b for b in blocks if b.get("t") == "h" and int(b.get("level", 1)) <= max_level]


# --- measuring ----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _font(bold: bool) -> Any:
    for name in FONT_FILES[bold]:
        if Path(name).exists():
            # Measured at 10× size for precision, then scaled back.
            return ImageFont.truetype(name, int(TABLE_FONT_PT * 10))
    return None


@lru_cache(maxsize=65536)
def text_width(text: str, bold: bool = False, size: float = TABLE_FONT_PT) -> float:
    """Width of `text` on one line in points at `size`."""
    font = _font(bold)
    if font is None:  # no font file: a generous estimate
        return len(text) * size * 0.6
    return float(font.getlength(text)) / 10 * size / TABLE_FONT_PT


def _longest_word(text: str, bold: bool) -> float:
    return max((text_width(word, bold) for word in text.split()), default=0.0)


def _longest_line(text: str, bold: bool) -> float:
    return max((text_width(line, bold) for line in text.splitlines()), default=0.0)


def column_needs(columns: list[str], rows: list[list[Any]]) -> list[tuple[float, float]]:
    """(minimum, preferred) width in points of each column: the minimum holds its longest
    word, the preferred its longest text on one line (capped)."""
    needs = []
    for index, head in enumerate(columns):
        cells = [str(row[index]) for row in rows if index < len(row)]
        minimum = max([_longest_word(head, True)] + [_longest_word(c, False) for c in cells])
        preferred = max([_longest_line(head, True)] + [_longest_line(c, False) for c in cells])
        needs.append(
            (minimum + CELL_PAD_PT, max(minimum, min(preferred, MAX_PREFERRED_PT)) + CELL_PAD_PT)
        )
    return needs


def distribute(needs: list[tuple[float, float]], available: float) -> list[float]:
    """Widths in points filling `available`: every column gets its minimum, the rest goes
    to the columns that want more, in proportion to how much more they want; when all are
    satisfied the remainder is shared in proportion to the preferred widths."""
    minimum = [min(n[0], available * MAX_WORD_SHARE) for n in needs]
    preferred = [max(p, m) for m, (_, p) in zip(minimum, needs, strict=True)]
    spare = available - sum(minimum)
    if spare <= 0:
        return [available * m / sum(minimum) for m in minimum]
    wants = [p - m for m, p in zip(minimum, preferred, strict=True)]
    if sum(wants) >= spare:
        return [m + spare * w / sum(wants) for m, w in zip(minimum, wants, strict=True)]
    rest = spare - sum(wants)
    return [p + rest * p / sum(preferred) for p in preferred]


# --- fitting tables ------------------------------------------------------------------------


def fit_table(
    block: Block, portrait: float = PORTRAIT_PT, landscape: float = LANDSCAPE_PT
) -> list[Block]:
    """The table as one or more blocks with "widths" (fractions of the line, summing to 1)
    and "landscape" (True when it needs a landscape page). A table whose words do not fit
    even across a landscape page is split into parts, each repeating the first column."""
    columns: list[str] = list(block.get("columns") or [])
    rows: list[list[Any]] = list(block.get("rows") or [])
    if not columns or not rows:
        return [block]
    needs = column_needs(columns, rows)
    minimum = sum(min(n[0], portrait * MAX_WORD_SHARE) for n in needs)
    if minimum <= portrait:
        return [_with_widths(block, needs, portrait, landscape=False)]
    minimum = sum(min(n[0], landscape * MAX_WORD_SHARE) for n in needs)
    if minimum <= landscape:
        return [_with_widths(block, needs, landscape, landscape=True)]
    # Split: the first column, then as many further columns as fit, repeated.
    first = needs[0][0]
    groups: list[list[int]] = [[]]
    used = first
    for index in range(1, len(columns)):
        width = min(needs[index][0], landscape * MAX_WORD_SHARE)
        if groups[-1] and used + width > landscape:
            groups.append([])
            used = first
        groups[-1].append(index)
        used += width
    parts = []
    for number, group in enumerate(groups, start=1):
        keep = [0, *group]
        part = dict(block)
        part["columns"] = [columns[i] for i in keep]
        part["rows"] = [[row[i] if i < len(row) else "" for i in keep] for row in rows]
        part["caption"] = f"{block.get('caption', '')} (del {number} av {len(groups)})"
        part["part"] = [number, len(groups)]
        parts.append(_with_widths(part, [needs[i] for i in keep], landscape, landscape=True))
    return parts


def _with_widths(
    block: Block, needs: list[tuple[float, float]], available: float, landscape: bool
) -> Block:
    widths = distribute(needs, available)
    total = sum(widths)
    out = dict(block)
    out["widths"] = [round(w / total, 4) for w in widths]
    out["landscape"] = landscape
    return out


def fit_tables(blocks: list[Block]) -> list[Block]:
    """Every table of the document fitted (see fit_table); other blocks unchanged."""
    out: list[Block] = []
    for block in blocks:
        if block.get("t") == "table":
            out.extend(fit_table(block))
        else:
            out.append(block)
    return out


def landscape_runs(blocks: list[Block]) -> list[tuple[bool, list[Block]]]:
    """The fitted blocks grouped into runs of (landscape?, blocks): a landscape table takes
    the headings directly before it, and a following note, to its landscape page."""
    flags = [bool(b.get("t") == "table" and b.get("landscape")) for b in blocks]
    for index in range(len(blocks)):
        if not flags[index]:
            continue
        back = index - 1
        while back >= 0 and blocks[back].get("t") == "h" and not flags[back]:
            flags[back] = True
            back -= 1
        ahead = index + 1
        if ahead < len(blocks) and blocks[ahead].get("t") == "note":
            flags[ahead] = True
    runs: list[tuple[bool, list[Block]]] = []
    for block, flag in zip(blocks, flags, strict=True):
        if runs and runs[-1][0] == flag:
            runs[-1][1].append(block)
        else:
            runs.append((flag, [block]))
    return runs
