from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.core.roles import CHEF_ROLES, Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries = [{"label": "Mina ärenden", "endpoint": "items.inbox", "order": 0}]
    if role_paths(user, [*CHEF_ROLES, Role.KVALITETSUTVECKLARE, Role.SAS, Role.MAS]):
        entries.append(
            {"label": "Enheter", "endpoint": "items.units", "order": 90, "group": "plan"}
        )
    return entries
