"""Menu entry: Kvalitetsberättelse, for everyone who may see a report or write in one."""

from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.core.roles import CHEF_ROLES, Role


def nav(user: Any) -> list[dict[str, Any]]:
    roles = [*CHEF_ROLES, Role.KVALITETSUTVECKLARE, Role.LASARE, Role.ADMIN]
    if role_paths(user, roles):
        return [
            {
                "label": "Kvalitetsberättelse",
                "endpoint": "rapport.index",
                "order": 70,
                "group": "plan",
            }
        ]
    return []
