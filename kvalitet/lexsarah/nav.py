from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.core.roles import CHEF_ROLES, Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"label": "Lex Sarah (missförhållande)", "endpoint": "lexsarah.new", "order": 15,
         "group": "ny"},
    ]  # fmt: skip
    if role_paths(user, [Role.SAS, *CHEF_ROLES]):
        entries.append(
            {"label": "Lex Sarah", "endpoint": "lexsarah.board", "order": 20, "group": "arenden"}
        )
    if role_paths(user, CHEF_ROLES):
        entries.append({"label": "Spridning lex Sarah", "endpoint": "lexsarah.spreading",
                        "order": 21, "group": "arenden"})  # fmt: skip
    if role_paths(
        user, [Role.SAS, Role.KVALITETSUTVECKLARE, Role.AVDELNINGSCHEF, Role.LASARE, Role.ADMIN]
    ):
        entries.append({"label": "Lex Sarah", "endpoint": "lexsarah.stats", "order": 40,
                        "group": "statistik"})  # fmt: skip
    return entries
