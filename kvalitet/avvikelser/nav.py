from __future__ import annotations

from typing import Any

from kvalitet.avvikelser.views import STATS_ROLES
from kvalitet.core.permissions import role_paths


def nav(user: Any) -> list[dict[str, Any]]:
    entries = [
        {"label": "Avvikelse", "endpoint": "avvikelser.new", "order": 5, "group": "ny"},
        {"label": "Avvikelser", "endpoint": "avvikelser.index", "order": 10, "group": "arenden"},
    ]
    if role_paths(user, STATS_ROLES):
        entries.append(
            {
                "label": "Avvikelser",
                "endpoint": "avvikelser.stats",
                "order": 10,
                "group": "statistik",
            }
        )
    return entries
