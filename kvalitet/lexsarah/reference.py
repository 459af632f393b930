"""Lists every installation starts with: IVO's regions (editable under Listor)."""

from __future__ import annotations

from kvalitet.demo import seed_list

IVO_REGIONS = [
    "IVO Region Nord",
    "IVO Region Mitt",
    "IVO Region Öst",
    "IVO Region Sydöst",
    "IVO Region Väst",
    "IVO Region Syd",
]


def seed() -> None:
    seed_list("lexsarah_ivo_region", IVO_REGIONS)
