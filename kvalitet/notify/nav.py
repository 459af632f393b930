from __future__ import annotations

from typing import Any

from kvalitet.core.roles import Role


def nav(user: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    if user.has_role(Role.ADMIN):
        entries.append(
            {"label": "Utkorg (e-post)", "endpoint": "notify.outbox", "order": 205,
             "group": "admin"}
        )  # fmt: skip
        entries.append(
            {"label": "Notiser utan mottagare", "endpoint": "notify.undeliverable",
             "order": 206, "group": "admin"}
        )  # fmt: skip
    return entries
