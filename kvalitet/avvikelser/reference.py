"""Lists every installation starts with."""

from __future__ import annotations

from kvalitet.avvikelser.models import CATEGORY_LIST, DEFAULT_CATEGORIES
from kvalitet.demo import seed_list


def seed() -> None:
    seed_list(CATEGORY_LIST, DEFAULT_CATEGORIES)
