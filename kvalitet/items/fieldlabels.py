"""The timeline's "Ändrade fält": field names and stored values as the user knows them.

An edit's audit entry keeps the attribute names and plain values (`audit.snapshot`):
`category_id: 3 → 5`, `informed_who: narstaende`, `info_handelse: true`. The page shows
them with the labels of the kind's own forms ("Kategori", "Vem informerades") and their
choices ("Närstående"), references to list entries, units and people by name, truth values
as "Ja"/"Nej", and leaves out an id when the entry also holds the name it stands for
(`informed_by_id` beside `informed_by_name`).

The labels are read from the forms (WTForms' unbound fields) of the package the item's
model lives in, so a new field gets its label where it is written, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import inspect
from wtforms.fields.core import UnboundField

from kvalitet.extensions import db

# Attributes every kind has, or whose form field is named otherwise than the column.
COMMON = {
    "title": "Rubrik",
    "description": "Beskrivning",
    "due_date": "Klart senast",
    "unit": "Enhet",
    "unit_id": "Enhet",
    "owner": "Ansvarig",
    "owner_id": "Ansvarig",
    "category": "Kategori",
    "category_id": "Kategori",
    "quality_areas": "Kvalitetsområden",
    "units_concerned": "Berörda enheter",
    "orsaker": "Orsaker",
    "severity": "Allvarlighetsgrad (konsekvens × sannolikhet)",
    "status": "Status",
}


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _choices(field: UnboundField) -> dict[str, str]:
    choices = field.kwargs.get("choices")
    if not isinstance(choices, list | tuple):
        return {}
    out: dict[str, str] = {}
    for choice in choices:
        if isinstance(choice, list | tuple) and len(choice) >= 2 and str(choice[0]):
            out[str(choice[0])] = str(choice[1])
    return out


@cache
def form_fields(package: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{field name: (label, {stored value: shown label})} from every form of `package`
    (e.g. "kvalitet.avvikelser"). The first form that names a field gives its label."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for form in _subclasses(FlaskForm):
        if not form.__module__.startswith(package + "."):
            continue
        for klass in form.__mro__:
            for name, field in vars(klass).items():
                if not isinstance(field, UnboundField) or name in out:
                    continue
                label = field.args[0] if field.args else field.kwargs.get("label")
                if isinstance(label, str) and label:
                    out[name] = (label, _choices(field))
    return out


def _shown(value: Any, choices: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if value is True:
        return "Ja"
    if value is False:
        return "Nej"
    if isinstance(value, list):
        return ", ".join(_shown(v, choices) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v, {})}" for k, v in value.items())
    return choices.get(str(value), str(value))


def _referenced(item: Any, key: str, value: Any) -> Any:
    """An id column's value as the name of what it refers to (the list entry's label, the
    unit's or the person's name), read through the item's relationship; else the value."""
    if not key.endswith("_id") or not isinstance(value, int) or isinstance(value, bool):
        return value
    relationship = inspect(type(item)).relationships.get(key.removesuffix("_id"))
    if relationship is None:
        return value
    target = db.session.get(relationship.mapper.class_, value)
    if target is None:
        return value
    return getattr(target, "label", None) or getattr(target, "name", None) or value


def changes(
    item: Any, before: dict[str, Any] | None, after: dict[str, Any]
) -> list[dict[str, str]]:
    """The rows of an entry's "Ändrade fält": [{"label", "before", "after"}], in its order."""
    package = type(item).__module__.rsplit(".", 1)[0]
    fields = form_fields(package)
    before = before or {}
    rows: list[dict[str, str]] = []
    for key, new in after.items():
        stem = key.removesuffix("_id")
        if key.endswith("_id") and f"{stem}_name" in after:
            continue
        label, choices = fields.get(key) or fields.get(stem) or (COMMON.get(key), {})
        rows.append(
            {
                "label": label or key.replace("_", " ").capitalize(),
                "before": _shown(_referenced(item, key, before.get(key)), choices),
                "after": _shown(_referenced(item, key, new), choices),
            }
        )
    return rows
