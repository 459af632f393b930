from __future__ import annotations

from typing import Any

from kvalitet.core.roles import Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    if user.has_role(
        Role.ADMIN, Role.KVALITETSUTVECKLARE, Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.SAS,
        Role.MAS, Role.LASARE,
    ):  # fmt: skip
        entries.append(
            {"label": "Årshjul", "endpoint": "arshjul.year", "order": 60, "group": "plan"}
        )
    return entries
