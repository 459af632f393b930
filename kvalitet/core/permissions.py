"""One permission rule: `can(user, action, item)` for a single item and `visible_clause(user)`
for lists. `can(user, "view", item)` is answered by running the very same SQL clause for that
one item, so a list and a detail page can never disagree.

Roles are held at a unit and valid for its subtree (units whose materialised path starts with
the unit's path).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import g, has_request_context
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select

from kvalitet.core.errors import Forbidden, NotFound
from kvalitet.extensions import db
from kvalitet.org.models import Role, Unit

if TYPE_CHECKING:
    from kvalitet.items.models import Item
    from kvalitet.items.registry import KindSpec
    from kvalitet.org.models import User


def role_paths(user: User, roles: Iterable[str]) -> list[str]:
    """Unit paths at which `user` holds any of `roles` (each valid for its subtree)."""
    wanted = {str(r) for r in roles}
    cache_key = ("role_paths", user.id, frozenset(wanted))
    cache = g.setdefault("_perm_cache", {}) if has_request_context() else {}
    if cache_key in cache:
        return list(cache[cache_key])
    paths = sorted({ra.unit.path for ra in user.roles if ra.role in wanted and ra.unit.active})
    # Drop paths inside other paths: they add nothing.
    reduced = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    cache[cache_key] = tuple(reduced)
    return reduced


def holds_role_over(user: User, roles: Iterable[str], unit: Unit) -> bool:
    """Does `user` hold one of `roles` at `unit` or at a unit above it?"""
    return any(unit.path.startswith(p) for p in role_paths(user, roles))


def units_under(paths: Iterable[str]) -> Select[tuple[int]]:
    """SELECT of ids of every unit in the subtrees at `paths`."""
    conditions = [Unit.path.startswith(p, autoescape=True) for p in paths]
    return select(Unit.id).where(or_(*conditions) if conditions else false())


def kind_clause(user: User, spec: KindSpec) -> ColumnElement[bool] | None:
    from kvalitet.items.models import Item

    per_kind: list[ColumnElement[bool]] = []
    if spec.view_roles:
        paths = role_paths(user, spec.view_roles)
        if paths:
            per_kind.append(Item.unit_id.in_(units_under(paths)))
    if spec.owner_sees:
        per_kind.append(Item.owner_id == user.id)
    if spec.reporter_sees:
        per_kind.append(Item.reporter_id == user.id)
    if spec.extra_visibility is not None:
        extra = spec.extra_visibility(user)
        if extra is not None:
            per_kind.append(extra)
    if not per_kind:
        return None
    return and_(Item.kind == spec.code, or_(*per_kind))


def visible_clause(user: User, kinds: Iterable[KindSpec] | None = None) -> ColumnElement[bool]:
    """SQL condition on Item: the items `user` may see (of `kinds`, default all kinds)."""
    from kvalitet.items.registry import all_kinds

    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    clauses = [c for spec in (kinds or all_kinds()) if (c := kind_clause(user, spec)) is not None]
    return or_(*clauses) if clauses else false()


def can_view(user: User, item: Item) -> bool:
    from kvalitet.items.models import Item

    if item.id is None:
        return False
    return bool(
        db.session.scalar(
            select(exists().where(Item.id == item.id, visible_clause(user, [item.spec])))
        )
    )


def can(user: User | None, action: str, item: Item) -> bool:
    """May `user` do `action` to `item`?

    Actions: view, comment, edit, attach, link, cancel. Transitions are checked by the
    workflow engine (which asks for "view" first).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    spec = item.spec
    if spec.can_hook is not None:
        verdict = spec.can_hook(user, action, item)
        if verdict is not None:
            return verdict
    if not can_view(user, item):
        return False
    if action == "view":
        return True
    if item.is_cancelled and action != "comment":
        return False
    manages = holds_role_over(user, spec.manage_roles, item.unit) if spec.manage_roles else False
    if action == "comment":
        return True
    if action in ("edit", "attach", "link"):
        return manages or item.owner_id == user.id
    if action == "cancel":
        return manages
    return False


def require(user: User | None, action: str, item: Item) -> None:
    """404 if the user may not even see the item (never reveal that it exists), else 403."""
    if user is None or not can(user, "view", item):
        raise NotFound()
    if action != "view" and not can(user, action, item):
        raise Forbidden()


def is_admin(user: User | None) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role(Role.ADMIN))
