"""Menu entries of the API module (in the Administration menu, for those who import or
integrate; everyone can reach their API keys at /konto/api-nycklar)."""

from __future__ import annotations

from typing import Any

from kvalitet.api.importer import may_import


def nav(user: Any) -> list[dict[str, Any]]:
    if not may_import(user):
        return []
    return [
        {"label": "Importera listor", "endpoint": "api.import_start", "order": 95,
         "group": "admin"},
        {"label": "API-nycklar", "endpoint": "api.tokens", "order": 96, "group": "admin"},
    ]  # fmt: skip
