from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths, statistics_paths
from kvalitet.synpunkter.kinds import MANAGERS


def nav(user: Any) -> list[dict[str, Any]]:
    # Every employee can register a synpunkt given orally at a meeting.
    entries = [
        {"label": "Muntlig synpunkt", "endpoint": "synpunkter.oral", "order": 20, "group": "ny"}
    ]
    if role_paths(user, MANAGERS):
        entries.append(
            {"label": "Synpunkter och klagomål", "endpoint": "synpunkter.index", "order": 30,
             "group": "arenden"}
        )  # fmt: skip
    if statistics_paths(user, "SYN"):
        entries.append(
            {"label": "Synpunkter och klagomål", "endpoint": "synpunkter.stats", "order": 30,
             "group": "statistik"}
        )  # fmt: skip
    return entries
