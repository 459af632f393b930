"""Menu entry of egenkontroller."""

from __future__ import annotations

from typing import Any

from kvalitet.core.permissions import is_admin, role_paths, statistics_paths
from kvalitet.egenkontroll.kinds import SPEC
from kvalitet.egenkontroll.views import PLAN_VIEW_ROLES


def nav(user: Any) -> list[dict[str, Any]]:
    """Everyone who may own an occurrence sees the list (it filters by permission)."""
    entries: list[dict[str, Any]] = []
    if role_paths(user, (*SPEC.view_roles, *PLAN_VIEW_ROLES)) or is_admin(user):
        entries.append(
            {"label": "Egenkontroller", "endpoint": "egenkontroll.index", "order": 40,
             "group": "arenden"}
        )  # fmt: skip
    if statistics_paths(user, "EGK"):
        entries.append(
            {"label": "Egenkontroller", "endpoint": "egenkontroll.stats", "order": 40,
             "group": "statistik"}
        )  # fmt: skip
    return entries
