"""The figures a writer saw, compared at freezing (issue 18, "figures that changed since the
texts were written").

When a text is saved, the key figures of its unit for the report's year (the rows of
`document.key_figure_rows`, "Område: Mått" → this year's value as printed) are stored on the
text (`Berattelsetext.figures_seen`). Freezing reads the same rows from the compiled
document (the avdelning's "Nyckeltal, <avdelning>" table, or "Nyckeltal för hela
förvaltningen" for the förvaltning's texts) and lists each figure whose value is not the one
the writer saw: "Avvikelser: Totalt 12 → 14"."""

from __future__ import annotations

from typing import Any

from kvalitet.org.models import Unit
from kvalitet.rapport import document
from kvalitet.rapport.models import Berattelsetext, Kvalitetsberattelse

Figures = dict[str, str]


def _as_figures(rows: list[list[str]]) -> Figures:
    return {f"{row[0]}: {row[1]}": str(row[2]) for row in rows if len(row) >= 3}


def current(rapport: Kvalitetsberattelse, unit: Unit) -> Figures:
    """The key figures of `unit`'s subtree for the report's year, as the report prints them."""
    period = document.period_of(rapport)
    sources = [(m, title, document.load_stats(m)) for m, title in document.STAT_SOURCES]
    cache: dict[tuple[str, int], tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for module, _title, function in sources:
        if function is not None:
            try:
                cache[(module, unit.id)] = (function(unit, period), None)
            except Exception:  # a kind's statistics failing must not stop a text being saved
                cache[(module, unit.id)] = (None, None)
    return _as_figures(document.key_figure_rows(unit, period, sources, cache))


def remember(text: Berattelsetext) -> None:
    """Store on the text the figures its writer sees now."""
    text.figures_seen = current(text.rapport, text.unit)


def in_document(content: dict[str, Any], unit_id: int, root_id: int) -> Figures | None:
    """The key figures of a unit as the compiled document prints them (None: not found)."""
    anchor = "nyckeltal" if unit_id == root_id else f"avd-{unit_id}-statistik"
    blocks = content.get("blocks", [])
    for i, block in enumerate(blocks):
        if block.get("t") == "h" and block.get("id") == anchor:
            for after in blocks[i + 1 :]:
                if after.get("t") == "h":
                    return {}
                if after.get("t") == "table":
                    return _as_figures(after.get("rows", []))
            return {}
    return None


def differences(seen: Figures, now: Figures) -> list[str]:
    """'Område: Mått old → new' for every figure whose value changed (or came or went)."""
    out = []
    for key in [*seen, *(k for k in now if k not in seen)]:
        before, after = seen.get(key, "–"), now.get(key, "–")
        if before != after:
            out.append(f"{key} {before} → {after}")
    return out
