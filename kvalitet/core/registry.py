"""The registry of item kinds. Each kind module registers a KindSpec when it is imported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from kvalitet.core.workflow import Workflow
    from kvalitet.items.models import Item
    from kvalitet.org.models import User


@dataclass
class KindSpec:
    code: str  # reference prefix and polymorphic identity, e.g. "AVV"
    model: type[Item]
    label: str  # "Avvikelse"
    label_plural: str  # "Avvikelser"
    workflow: Workflow
    endpoint: str  # detail view endpoint taking `ref`, e.g. "avvikelser.detail"
    # Roles that see every item of the kind in the subtree where they hold the role.
    view_roles: tuple[str, ...] = ()
    # Roles that may edit, comment, attach, link and cancel in their subtree.
    manage_roles: tuple[str, ...] = ()
    reporter_sees: bool = True
    owner_sees: bool = True
    # Extra visibility rule in SQL (e.g. "the decision maker of a lex Sarah case").
    extra_visibility: Callable[[User], ColumnElement[bool] | None] | None = None
    # Every opening is written to the read log (lex Sarah, lex Maria), or, given a function of
    # the item, the openings of the items it says (health-care avvikelser, HSLF-FS 2016:40).
    log_reads: bool | Callable[[Any], bool] = False
    extra: dict[str, Any] = field(default_factory=dict)


_KINDS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    _KINDS[spec.code] = spec
    return spec


def kind_spec(code: str) -> KindSpec:
    return _KINDS[code]


def all_kinds() -> list[KindSpec]:
    return list(_KINDS.values())
