"""Documents every kind can print (issue 18, point 7): a kind builds its document as the
block format of the kvalitetsberättelse (`{"title", "unit", "facts", "blocks": [...]}` with
`h`, `p`, `ul`, `note`, `table` blocks) and asks for it as PDF or Word here. The renderers are
the kvalitetsberättelse's (kvalitet.rapport.render registers them when it is imported), so
every document gets the same title page, numbered headings, fitted tables, running header,
page numbers and Swedish number formats. The kinds sit below the report in the layers; this
registry is how they reach its renderers without importing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Renderer = Callable[[dict[str, Any]], bytes]

RENDERERS: dict[str, Renderer] = {}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def register(fmt: str, renderer: Renderer) -> None:
    RENDERERS[fmt] = renderer


def render(document: dict[str, Any], fmt: str) -> bytes:
    """The document as `fmt` ("pdf" or "docx"). KeyError for a format nobody renders."""
    return RENDERERS[fmt](document)
