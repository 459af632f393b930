"""Retention rules every installation starts with, inactive until the kvalitetsutvecklare
has checked them against the förvaltning's dokumenthanteringsplan."""

from __future__ import annotations

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.gallring.models import GallringRule

DEFAULT_RULES = {"AVV": 5, "LXS": 10, "SYN": 2}


def seed() -> None:
    existing = set(db.session.scalars(select(GallringRule.kind)))
    for kind, years in DEFAULT_RULES.items():
        if kind not in existing:
            db.session.add(GallringRule(kind=kind, years=years, active=False))
    db.session.flush()
