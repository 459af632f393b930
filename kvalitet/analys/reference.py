"""Reference data: the typical year's analysis activities are analyses (once)."""

from __future__ import annotations

from kvalitet.analys.operations import mark_typical_year


def seed() -> None:
    mark_typical_year()
