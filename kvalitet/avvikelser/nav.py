from __future__ import annotations

from typing import Any

from kvalitet.avvikelser.views import STATS_ROLES
from kvalitet.core.permissions import role_paths


def nav(user: Any) -> list[dict[str, Any]]:
    entries = [
        {"label": "Rapportera avvikelse", "endpoint": "avvikelser.new", "order": 5},
        {"label": "Avvikelser", "endpoint": "avvikelser.index", "order": 10},
    ]
    if role_paths(user, STATS_ROLES):
        entries.append({"label": "Avvikelsestatistik", "endpoint": "avvikelser.stats", "order": 80})
    return entries
