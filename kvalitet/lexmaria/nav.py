from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.core.roles import Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    if role_paths(user, [Role.MAS]):
        entries += [
            {"label": "Lex Maria", "endpoint": "lexmaria.board", "order": 22, "group": "arenden"},
            {
                "label": "Loggkontroll lex Maria",
                "endpoint": "lexmaria.log_review",
                "order": 23,
                "group": "arenden",
            },
        ]
    if role_paths(user, [Role.MAS, Role.KVALITETSUTVECKLARE, Role.ADMIN, Role.LASARE]):
        entries.append(
            {
                "label": "Patientsäkerhetsberättelse",
                "endpoint": "psb.index",
                "order": 71,
                "group": "plan",
            }
        )
    return entries
