from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.risker.kinds import MANAGERS


def nav(user: Any) -> list[dict[str, Any]]:
    if not role_paths(user, MANAGERS):
        return []
    return [{"label": "Riskanalys", "endpoint": "risker.index", "order": 45, "group": "arenden"}]
