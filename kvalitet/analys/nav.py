from __future__ import annotations

from typing import Any

from kvalitet.analys.kinds import MANAGERS
from kvalitet.analys.signals import KIND_LABELS
from kvalitet.core.permissions import role_paths, statistics_roles


def nav(user: Any) -> list[dict[str, Any]]:
    roles = {r for kind in KIND_LABELS for r in statistics_roles(kind)} | set(MANAGERS)
    if not role_paths(user, roles):
        return []
    return [
        {"label": "Samlad analys", "endpoint": "analys.index", "order": 62, "group": "statistik"}
    ]
