"""A small city from bench.generate for the tests that page through lists and search hits."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import update

from bench.generate import Writer, generate_items, populate
from kvalitet.extensions import db
from kvalitet.items.models import Item


def tied_city(
    units: int, items: int, seed: int, people: int, items_seed: int, tied: datetime
) -> Any:
    """`units` units with `people` people over two years and `items` items in the first two
    enheter; a third of the items share the creation time `tied`, so that an order by
    creation time has ties for the paging to get right. Not committed."""
    city = populate(units, seed=seed, years=2, people=people)
    generate_items(items, city, Writer(), random.Random(items_seed), enheter=city.enheter[:2])  # noqa: S311
    db.session.execute(update(Item).where(Item.id % 3 == 0).values(created_at=tied))
    return city
