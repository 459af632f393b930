"""Items as JSON, and the JSON Schema of that JSON, from the same column declarations (the
kind's own table columns), so the OpenAPI document describes exactly what is sent."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy import Column, inspect
from sqlalchemy.orm import Mapper

from kvalitet.core.permissions import can
from kvalitet.core.registry import KindSpec
from kvalitet.core.workflow import available_transitions, check_transition
from kvalitet.extensions import db
from kvalitet.items import queries
from kvalitet.items.models import Attachment, Comment, Item
from kvalitet.items.queries import visible_links
from kvalitet.org.models import Unit, User

NULLABLE_REF = {"type": ["object", "null"]}
REF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}


def slug(spec: KindSpec) -> str:
    """URL segment of a kind: the blueprint of its detail view ("avvikelser.detail")."""
    return spec.endpoint.split(".", 1)[0]


def plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _column_schema(column: Column[Any]) -> dict[str, Any]:
    try:
        python_type: Any = column.type.python_type
    except NotImplementedError:
        python_type = None
    schema: dict[str, Any]
    if python_type is bool:
        schema = {"type": "boolean"}
    elif python_type is int:
        schema = {"type": "integer"}
    elif python_type in (float, Decimal):
        schema = {"type": "number"}
    elif python_type is datetime:
        schema = {"type": "string", "format": "date-time"}
    elif python_type is date:
        schema = {"type": "string", "format": "date"}
    elif python_type is str:
        schema = {"type": "string"}
    else:
        return {}
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    return schema


def kind_columns(spec: KindSpec) -> list[Column[Any]]:
    """The kind's own columns (its joined table), without the id."""
    mapper: Mapper[Any] = inspect(spec.model)
    table = mapper.local_table
    if table is Item.__table__:
        return []
    return [c for c in table.columns if c.name != "id"]  # type: ignore[attr-defined,misc]


def filter_columns(spec: KindSpec) -> list[tuple[Column[Any], dict[str, Any]]]:
    """The kind's indexed integer, text and yes/no columns: each is an equality filter of
    the list (e.g. category_id and severity of avvikelser, typ of synpunkter)."""
    out = []
    for column in kind_columns(spec):
        if not column.index or (column.foreign_keys and column.name.endswith("_by_id")):
            continue
        schema = _column_schema(column)
        kind = schema.get("type")
        kind = kind[0] if isinstance(kind, list) else kind
        if kind == "integer":
            out.append((column, {"type": "integer", "minimum": 0, "maximum": 2147483647}))
        elif kind == "string" and "format" not in schema:
            out.append((column, {"type": "string", "maxLength": 200}))
        elif kind == "boolean":
            out.append((column, {"type": "boolean"}))
    return out


# A kind's many-to-many lists shown among its fields as ids: {kind: {field: relationship}}
# (a synpunkt's themes; its theme_id column stays, the first of them).
ID_LISTS: dict[str, dict[str, str]] = {"SYN": {"theme_ids": "themes"}}


def kind_fields_schema(spec: KindSpec) -> dict[str, Any]:
    columns = kind_columns(spec)
    lists = ID_LISTS.get(spec.code, {})
    return {
        "type": "object",
        "properties": {
            **{c.name: _column_schema(c) for c in columns},
            **{name: {"type": "array", "items": {"type": "integer"}} for name in lists},
        },
        "required": [c.name for c in columns] + list(lists),
    }


def kind_fields(item: Item) -> dict[str, Any]:
    fields = {c.name: plain(getattr(item, _attr_name(item, c))) for c in kind_columns(item.spec)}
    for name, relation in ID_LISTS.get(item.kind, {}).items():
        fields[name] = [row.id for row in getattr(item, relation)]
    return fields


def _ref(obj: Unit | User | None) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.id, "name": obj.name}


SUMMARY_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"},
    "ref": {"type": "string"},
    "kind": {"type": "string"},
    "title": {"type": "string"},
    "status": {"type": "string"},
    "status_label": {"type": "string"},
    "unit": REF_SCHEMA,
    "owner": {**REF_SCHEMA, "type": ["object", "null"]},
    "due_date": {"type": ["string", "null"], "format": "date"},
    "overdue": {"type": "boolean"},
    "cancelled": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "version": {"type": "integer"},
    "url": {"type": "string"},
}

SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": list(SUMMARY_PROPERTIES),
    "properties": SUMMARY_PROPERTIES,
}


def summary(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "ref": item.ref,
        "kind": item.kind,
        "title": item.title or "",
        "status": item.status,
        "status_label": item.status_label,
        "unit": _ref(item.unit),
        "owner": _ref(item.owner),
        "due_date": plain(item.due_date),
        "overdue": bool(item.is_overdue and not item.is_cancelled),
        "cancelled": item.is_cancelled,
        "created_at": plain(item.created_at),
        "updated_at": plain(item.updated_at),
        "version": item.version,
        "url": url_for(item.spec.endpoint, ref=item.ref, _external=False),
    }


ATTACHMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "filename", "content_type", "size", "sha256", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def attachment(row: Attachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "created_at": plain(row.created_at),
    }


def detail_schema(spec: KindSpec) -> dict[str, Any]:
    properties = {
        **SUMMARY_PROPERTIES,
        "kind_label": {"type": "string"},
        "description": {"type": "string"},
        "reporter": {**REF_SCHEMA, "type": ["object", "null"]},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
        "cancel_reason": {"type": ["string", "null"]},
        "quality_areas": {"type": "array", "items": REF_SCHEMA},
        "fields": kind_fields_schema(spec),
        "transitions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "label", "target", "possible", "problems"],
                "properties": {
                    "name": {"type": "string"},
                    "label": {"type": "string"},
                    "target": {"type": "string"},
                    "possible": {"type": "boolean"},
                    "problems": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["ref", "kind", "title", "link_type", "direction"],
                "properties": {
                    "ref": {"type": "string"},
                    "kind": {"type": "string"},
                    "title": {"type": "string"},
                    "link_type": {"type": "string"},
                    "direction": {"type": "string", "enum": ["ut", "in"]},
                },
            },
        },
        "comments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "author", "body", "created_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "author": REF_SCHEMA,
                    "body": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
        },
        "attachments": {"type": "array", "items": ATTACHMENT_SCHEMA},
        "permissions": {
            "type": "object",
            "properties": {a: {"type": "boolean"} for a in ("edit", "comment", "link", "cancel")},
        },
    }
    return {"type": "object", "required": list(properties), "properties": properties}


def detail(item: Item, user: User) -> dict[str, Any]:
    data = summary(item)
    data.update(
        kind_label=item.spec.label,
        description=item.description or "",
        reporter=_ref(item.reporter),
        closed_at=plain(item.closed_at),
        cancelled_at=plain(item.cancelled_at),
        cancel_reason=item.cancel_reason,
        quality_areas=[{"id": a.id, "name": a.name} for a in item.quality_areas],
        fields=kind_fields(item),
    )
    data["transitions"] = [
        {
            "name": t.name,
            "label": t.label,
            "target": t.target,
            "problems": (problems := check_transition(user, item, t, reason="x")),
            "possible": not problems,
        }
        for t in available_transitions(user, item)
    ]
    data["links"] = [
        {
            "ref": entry["item"].ref,
            "kind": entry["item"].kind,
            "title": entry["item"].title or "",
            "link_type": entry["link"].link_type,
            "direction": entry["direction"],
        }
        for entry in visible_links(item, user)
    ]
    comments = db.session.scalars(
        db.select(Comment).where(Comment.item_id == item.id).order_by(Comment.created_at)
    )
    data["comments"] = [
        {"id": c.id, "author": _ref(c.author), "body": c.body, "created_at": plain(c.created_at)}
        for c in comments
    ]
    data["attachments"] = [attachment(a) for a in queries.attachments(item)]
    data["permissions"] = {a: can(user, a, item) for a in ("edit", "comment", "link", "cancel")}
    return data


def _attr_name(item: Item, column: Column[Any]) -> str:
    mapper: Mapper[Any] = inspect(type(item))
    prop = mapper.get_property_by_column(column)
    return prop.key
