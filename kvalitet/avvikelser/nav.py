from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import statistics_paths


def nav(user: Any) -> list[dict[str, Any]]:
    entries = [
        {"label": "Avvikelse", "endpoint": "avvikelser.new", "order": 5, "group": "ny"},
        {"label": "Avvikelser", "endpoint": "avvikelser.index", "order": 10, "group": "arenden"},
    ]
    if statistics_paths(user, "AVV"):
        entries.append(
            {
                "label": "Avvikelser",
                "endpoint": "avvikelser.stats",
                "order": 10,
                "group": "statistik",
            }
        )
    return entries
