"""Lists every installation starts with: the themes of synpunkter (editable by admins)."""

from __future__ import annotations

from kvalitet.demo import seed_list
from kvalitet.synpunkter.models import THEME_LIST

THEMES = [
    "Bemötande",
    "Tillgänglighet",
    "Information",
    "Beslut/insats",
    "Väntetid",
    "Samverkan",
    "Kvalitet i utförandet",
    "Kontinuitet",
    "Övrigt",
]


def seed() -> None:
    seed_list(THEME_LIST, THEMES)
