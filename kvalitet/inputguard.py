"""The input layer: hostile or impossible input is refused at the edge, before any view,
form or operation sees it, for web forms, query strings and the JSON API alike.

`install(app)` hooks two checks into the app:

- `before_request` (every request): the query string, form fields and a JSON body may hold
  no control characters (NUL and the other C0 characters except tab, line feed and carriage
  return; DEL). Integers must fit the database (a digits-only value beyond 64 bits in a
  query string or form; in JSON beyond PostgreSQL's `integer`, ±2 147 483 647, and no NaN or
  Infinity), and ISO dates (YYYY-MM-DD, also the date part of a date-time) must lie between
  1900 and 2200, as the API's own validator demands. A JSON body may be at most
  INPUT_MAX_JSON_BYTES long and nested at most INPUT_MAX_JSON_DEPTH deep (checked on the raw
  bytes, before parsing, so a deeply nested body never reaches the recursive parser); the
  whole request is limited by Flask's MAX_CONTENT_LENGTH (413). Unknown fields in API bodies
  are refused by the API's schema validation (every body schema is closed), see
  kvalitet.api.schema. A refused request changes nothing: web requests get the 400 page
  with a Swedish message naming the field, API requests the usual JSON error (both made by
  kvalitet.web's handler of InputRefused).
- every Flask-WTF form: after its own validation, a field whose value became a number
  outside PostgreSQL's `integer` or a date outside 1900–2200 (IntegerField, SelectField with
  coerce=int, DateField, DateTimeLocalField …) gets a Swedish message next to it and the
  form does not validate, so a typing error like 99999999999 is shown where it was typed.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

# C0 controls except \t \n \r, and DEL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL integer
TEXT_INT_LIMIT = 2**63 - 1  # digits-only text beyond this is never a number anyone meant
YEAR_MIN, YEAR_MAX = 1900, 2200
DIGITS = re.compile(r"\s*[+-]?\d+\s*")
ISO_DATE = re.compile(r"\s*(\d{1,6})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", re.DOTALL)
BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)

CONTROL_MESSAGE = (
    "innehåller otillåtna tecken (styrtecken, t.ex. NUL). Ta bort dem och försök igen."
)
INT_MESSAGE = f"Talet är för stort. Ange ett tal mellan {DB_INT_MIN} och {DB_INT_MAX}."
TEXT_INT_MESSAGE = "Talet är för stort."
DATE_MESSAGE = f"Ange ett datum mellan år {YEAR_MIN} och {YEAR_MAX}."


class InputRefused(Exception):
    def __init__(self, status: int, fields: dict[str, str], message: str | None = None):
        super().__init__(message)
        self.status = status
        self.fields = fields
        self.message = message or "Uppgifterna kunde inte tas emot. Inget sparades."


# --- checks of single values ----------------------------------------------------------------


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def text_problem(value: str) -> str | None:
    """What is wrong with a text value from a query string or form, or None."""
    if has_control(value):
        return "Fältet " + CONTROL_MESSAGE
    if DIGITS.fullmatch(value) and abs(int(value)) > TEXT_INT_LIMIT:
        return TEXT_INT_MESSAGE
    match = ISO_DATE.fullmatch(value)
    if match and not YEAR_MIN <= int(match.group(1)) <= YEAR_MAX:
        return DATE_MESSAGE
    return None


def value_problem(value: Any) -> str | None:
    """What is wrong with a value a form field produced (int, date …), or None."""
    if isinstance(value, list | tuple | set):
        for entry in value:
            problem = value_problem(entry)
            if problem:
                return problem
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not DB_INT_MIN <= value <= DB_INT_MAX:
        return INT_MESSAGE
    if isinstance(value, float) and not math.isfinite(value):
        return "Ange ett tal."
    if isinstance(value, date | datetime) and not YEAR_MIN <= value.year <= YEAR_MAX:
        return DATE_MESSAGE
    return None


def json_depth(raw: bytes) -> int:
    """The nesting depth of a JSON text, counted without parsing it (strings skipped)."""
    depth = deepest = 0
    for match in BRACKETS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def json_problems(value: Any, where: str = "body") -> dict[str, str]:
    """Control characters, oversized integers and non-finite numbers anywhere in a parsed
    JSON value, as {field: message}."""
    problems: dict[str, str] = {}
    if isinstance(value, dict):
        for key, entry in value.items():
            if has_control(key):
                problems[where] = "Ett fältnamn " + CONTROL_MESSAGE
            else:
                problems.update(json_problems(entry, key))
    elif isinstance(value, list):
        for entry in value:
            problems.update(json_problems(entry, where))
    elif isinstance(value, str):
        if has_control(value):
            problems[where] = "Texten " + CONTROL_MESSAGE
        else:
            match = ISO_DATE.fullmatch(value)
            if match and not YEAR_MIN <= int(match.group(1)) <= YEAR_MAX:
                problems[where] = DATE_MESSAGE
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if not DB_INT_MIN <= value <= DB_INT_MAX:
            problems[where] = INT_MESSAGE
    elif isinstance(value, float) and not math.isfinite(value):
        problems[where] = "Ange ett tal."
    return problems


# --- the request --------------------------------------------------------------------------


def _check_pairs(pairs: MultiDict[str, Any], problems: dict[str, str]) -> None:
    for key, value in pairs.items(multi=True):
        if not isinstance(key, str) or not key:  # a malformed multipart part
            problems["?"] = "Ett fält i formuläret saknar namn."
            continue
        if has_control(key):
            problems["?"] = "Ett fältnamn " + CONTROL_MESSAGE
            continue
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                problems.setdefault(key, problem)


def _check_json() -> None:
    limit = int(current_app.config.get("INPUT_MAX_JSON_BYTES", 1024 * 1024))
    if (request.content_length or 0) > limit:
        raise InputRefused(413, {}, f"Det som skickades är för stort (högst {limit} byte).")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise InputRefused(413, {}, f"Det som skickades är för stort (högst {limit} byte).")
    if not raw.strip():
        return
    max_depth = int(current_app.config.get("INPUT_MAX_JSON_DEPTH", 20))
    if json_depth(raw) > max_depth:
        raise InputRefused(
            400, {}, f"JSON-objektet är för djupt nästlat (högst {max_depth} nivåer)."
        )
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputRefused(400, {}, "Ogiltig JSON.")
    problems = json_problems(body)
    if problems:
        raise InputRefused(422, problems, "Uppgifterna kunde inte sparas.")


def check_request() -> None:
    """Raise InputRefused when anything in the request is refused."""
    problems: dict[str, str] = {}
    if has_control(request.path):
        problems["adress"] = "Adressen " + CONTROL_MESSAGE
    _check_pairs(request.args, problems)
    if request.is_json:
        _check_json()
    elif request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        _check_pairs(request.form, problems)
        for key, upload in request.files.items(multi=True):
            if not isinstance(key, str) or has_control(upload.filename or ""):
                problems[str(key or "?")] = "Filnamnet " + CONTROL_MESSAGE
    if problems:
        raise InputRefused(400, problems, "Uppgifterna kunde inte tas emot. Inget sparades.")


def guard() -> None:
    """The before_request hook: raises InputRefused (handled in kvalitet.web)."""
    check_request()


# --- forms ----------------------------------------------------------------------------------

_form_validate = FlaskForm.validate


def _validate(self: FlaskForm, extra_validators: Any = None) -> bool:
    valid = bool(_form_validate(self, extra_validators=extra_validators))
    for field in self:
        problem = value_problem(field.data)
        if problem:
            field.errors = [*list(field.errors or []), problem]
            valid = False
    return valid


def install(app: Flask) -> None:
    """Refuse hostile input at the edge (before every other before_request of the app's
    views) and range-check what every form produced."""
    app.before_request_funcs.setdefault(None, []).insert(0, guard)
    if FlaskForm.validate is not _validate:
        FlaskForm.validate = _validate  # type: ignore[method-assign]
