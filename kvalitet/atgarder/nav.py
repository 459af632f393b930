from __future__ import annotations

from typing import Any


def nav(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "label": "Förbättringsåtgärder",
            "endpoint": "atgarder.index",
            "order": 40,
            "group": "arenden",
        }
    ]
