"""Titles that say what happened: when a reporter writes no short title, one is proposed
from the first words of the description, cut at a word boundary."""

from __future__ import annotations

import re

PROPOSED_TITLE_MAX = 60


def propose_title(text: str | None, limit: int = PROPOSED_TITLE_MAX) -> str:
    """The description's first sentence or words, at most `limit` characters, cut at a word
    boundary with "…" when cut. Empty text gives ""."""
    words = " ".join((text or "").split())
    if not words:
        return ""
    sentence = re.split(r"(?<=[.!?])\s", words, maxsplit=1)[0].rstrip(".!?")
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut and not sentence[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"
