from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import role_paths
from kvalitet.synpunkter.kinds import MANAGERS


def nav(user: Any) -> list[dict[str, Any]]:
    if role_paths(user, MANAGERS):
        return [{"label": "Synpunkter", "endpoint": "synpunkter.index", "order": 40}]
    # Every employee can register a synpunkt given orally at a meeting.
    return [{"label": "Registrera synpunkt", "endpoint": "synpunkter.oral", "order": 40}]
