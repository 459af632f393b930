from __future__ import annotations

from datetime import date
from typing import Any

from kvalitet.atgarder.models import Atgard
from kvalitet.extensions import db
from kvalitet.items.operations import new_item


def make_action(org: Any, due: date | None, owner: Any = None, unit: Any = None) -> Atgard:
    item = new_item(
        Atgard, None, title="Rutin för loggkontroll", unit_id=(unit or org.a1).id,
        owner_id=(owner or org.chef_a1).id, due_date=due,
    )  # fmt: skip
    db.session.commit()
    return item
