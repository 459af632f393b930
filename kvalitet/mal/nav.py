from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.mal.queries import ANY_ROLE


def nav(user: Any) -> list[dict[str, Any]]:
    if not role_paths(user, ANY_ROLE):
        return []
    return [{"label": "Mål och indikatorer", "endpoint": "mal.index", "order": 75, "group": "plan"}]
