from __future__ import annotations

from typing import Any

from kvalitet.core.roles import Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    if user.has_role(Role.ADMIN):
        entries += [
            {"label": "Enheter (admin)", "endpoint": "admin.units", "order": 200, "group": "admin"},
            {"label": "Användare", "endpoint": "admin.users", "order": 201, "group": "admin"},
            {
                "label": "Granskningslogg",
                "endpoint": "admin.audit_log",
                "order": 202,
                "group": "admin",
            },
        ]
    if user.has_role(Role.ADMIN, Role.KVALITETSUTVECKLARE):
        entries.append(
            {"label": "Listor och kvalitetsområden", "endpoint": "admin.lists", "order": 203,
             "group": "admin"}
        )  # fmt: skip
    return entries
