from __future__ import annotations

from typing import Any

from kvalitet.core.roles import Role


def nav(user: Any) -> list[dict[str, Any]]:
    if not user.has_role(Role.ADMIN):
        return []
    return [
        {"label": "Inloggningsspärrar", "endpoint": "auth.locks", "order": 204, "group": "admin"}
    ]
