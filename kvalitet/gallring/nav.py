from __future__ import annotations

from typing import Any

from kvalitet.gallring.operations import may_manage


def nav(user: Any) -> list[dict[str, Any]]:
    if not may_manage(user):
        return []
    return [{"label": "Gallring", "endpoint": "gallring.index", "order": 205, "group": "admin"}]
