"""The legal references every installation starts with (idempotent: a key that already has
rows is left as the administrator made it)."""

from __future__ import annotations

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.lagrum.lookup import REFERENCES
from kvalitet.lagrum.models import Lagrum


def seed() -> None:
    present = set(db.session.scalars(select(Lagrum.key).distinct()))
    for key, (description, rows) in REFERENCES.items():
        if key in present:
            continue
        for valid_from, text in rows:
            db.session.add(
                Lagrum(key=key, valid_from=valid_from, text=text, description=description)
            )
