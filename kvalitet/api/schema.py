"""Declarations the API routes are built from, the request validator that enforces them and
the OpenAPI 3.1 document generated from them. Because the routes, the validation and the
document come from the same `Route` objects, the document cannot drift from the behaviour.

Validation covers the subset of JSON Schema the declarations use (type, properties,
required, additionalProperties, enum, minLength/maxLength, minimum/maximum, format date and
date-time, items, minItems/maxItems) and reports Swedish messages per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

ERROR_STATUSES = {
    400: "Felaktig begäran (t.ex. ogiltig JSON eller ogiltig parameter)",
    401: "Saknad, ogiltig, utgången eller återkallad API-nyckel",
    403: "Ingen behörighet",
    404: "Finns inte, eller användaren får inte se det",
    409: "Konflikt: ärendet har ändrats (expected_version) eller steget kan inte tas nu",
    422: "Uppgifterna kunde inte sparas; `fields` namnger fälten",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "title", "message"],
            "properties": {
                "status": {"type": "integer"},
                "title": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


@dataclass
class Param:
    name: str
    schema: dict[str, Any]
    description: str = ""
    location: str = "query"  # "query" or "path"
    required: bool = False


@dataclass
class Route:
    method: str
    path: str  # OpenAPI style, relative to /api/v1, e.g. "/avvikelser/{ref}"
    endpoint: str
    summary: str
    tag: str
    handler: Callable[..., Any]
    params: list[Param] = field(default_factory=list)
    body: dict[str, Any] | None = None
    response: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = (400, 401, 403, 404, 409, 422)
    description: str = ""
    upload: bool = False  # multipart/form-data with one file in the field "file"

    @property
    def flask_path(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


class RequestInvalid(Exception):
    def __init__(self, status: int, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


TYPE_LABELS = {
    "string": "en text",
    "integer": "ett heltal",
    "number": "ett tal",
    "boolean": "true eller false",
    "array": "en lista",
    "object": "ett objekt",
    "null": "null",
}


def _is_type(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    return True


def validate(value: Any, schema: dict[str, Any], name: str = "") -> dict[str, list[str]]:
    """Errors of `value` against `schema`, as {field name: [Swedish messages]}."""
    errors: dict[str, list[str]] = {}

    def add(message: str, where: str = name) -> None:
        errors.setdefault(where or "body", []).append(message)

    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, t) for t in allowed):
            add("Ska vara " + " eller ".join(TYPE_LABELS.get(t, t) for t in allowed) + ".")
            return errors
    if value is None:
        return errors
    if "enum" in schema and value not in schema["enum"]:
        shown = ", ".join(str(v) for v in schema["enum"] if v is not None)
        add(f"Ogiltigt värde. Tillåtna värden: {shown}.")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            add("Fältet får inte vara tomt." if schema["minLength"] == 1 else
                f"För kort (minst {schema['minLength']} tecken).")  # fmt: skip
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            add(f"För lång text (högst {schema['maxLength']} tecken).")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            add("Ogiltigt format.")
        fmt = schema.get("format")
        if fmt == "date" and parse_date(value) is None:
            add("Ange ett datum som ÅÅÅÅ-MM-DD.")
        if fmt == "date-time" and parse_datetime(value) is None:
            add("Ange datum och tid enligt ISO 8601, t.ex. 2026-03-01T14:30:00+01:00.")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            add(f"Ska vara minst {schema['minimum']}.")
        if "maximum" in schema and value > schema["maximum"]:
            add(f"Ska vara högst {schema['maximum']}.")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            add(f"Ange minst {schema['minItems']}.")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            add(f"Högst {schema['maxItems']} värden.")
        if "items" in schema:
            for index, entry in enumerate(value):
                for key, messages in validate(entry, schema["items"], name).items():
                    errors.setdefault(key, []).extend(f"Värde {index + 1}: {m}" for m in messages)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                add("Fältet krävs.", key)
        if schema.get("additionalProperties") is False:
            for key in value:
                if key not in properties:
                    add("Okänt fält.", key)
        for key, sub in properties.items():
            if key in value:
                for where, messages in validate(value[key], sub, key).items():
                    errors.setdefault(where, []).extend(messages)
    return errors


def parse_date(text: str) -> date | None:
    """An ISO date between 1900 and 2200 (other years are typing errors)."""
    try:
        if len(text) != 10:
            return None
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2200 else None


def parse_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if "T" not in text.upper() or value.tzinfo is None or not 1900 <= value.year <= 2200:
        return None
    return value


def coerce_query(param: Param, raw: str) -> Any:
    """Turn a query string value into the declared type, or raise RequestInvalid."""
    schema = param.schema
    kind = schema.get("type")
    value: Any = raw
    if kind == "integer":
        text = raw.strip()
        if not re.fullmatch(r"-?[0-9]{1,11}", text):
            raise RequestInvalid(400, "Ogiltig parameter.", {param.name: ["Ska vara ett heltal."]})
        value = int(text)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            raise RequestInvalid(
                400, "Ogiltig parameter.", {param.name: ["Ska vara true eller false."]}
            )
        value = raw == "true"
    problems = validate(value, schema, param.name)
    if problems:
        raise RequestInvalid(400, "Ogiltig parameter.", problems)
    return value


def openapi_document(routes: list[Route], components: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        op: dict[str, Any] = {
            "operationId": route.endpoint,
            "summary": route.summary,
            "tags": [route.tag],
            "responses": {},
        }
        if route.description:
            op["description"] = route.description
        if not route.auth:
            op["security"] = []
        parameters = []
        for p in route.params:
            entry: dict[str, Any] = {
                "name": p.name,
                "in": p.location,
                "required": p.required or p.location == "path",
                "schema": p.schema,
            }
            if p.description:
                entry["description"] = p.description
            parameters.append(entry)
        if parameters:
            op["parameters"] = parameters
        if route.upload:
            op["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }}},
            }  # fmt: skip
        if route.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
        op["responses"][str(route.status)] = {
            "description": "OK" if route.status == 200 else "Skapad",
            "content": {"application/json": {"schema": route.response}},
        }
        statuses = set(route.errors)
        if route.auth:
            statuses.add(401)
        if route.body is not None or route.params or route.upload:
            statuses.add(400)
        for status in sorted(statuses):
            op["responses"][str(status)] = {
                "description": ERROR_STATUSES[status],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault("/api/v1" + route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Kvalitet API",
            "version": "1.0.0",
            "description": (
                "JSON-API för Kvalitet. Autentisera med en personlig API-nyckel: "
                "`Authorization: Bearer <nyckel>`. Nyckeln har samma behörighet som sin "
                "användare. Fel returneras som JSON med svenska meddelanden och fältnamn."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA, **components},
        },
    }
