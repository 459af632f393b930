"""Fuzz every API endpoint: schemathesis (in process, from the OpenAPI document) generates
valid and invalid requests for every operation, and a deterministic sweep sends each one the
hostile input of issue 17 (NUL, oversized numbers, impossible dates, deep nesting, unknown
fields). Never a 500, and a refused request (4xx) changes nothing."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import select

from kvalitet.api.serialize import slug
from kvalitet.api.tokens import create_token
from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.models import User
from tests.api.conftest import ApiClient
from tests.faults.conftest import Unchanged

EXAMPLES = int(os.environ.get("KVALITET_FUZZ_API_EXAMPLES", "2"))
USER = "kvalitet@demo.kvalitet.se"
HOSTILE_QUERY = ["\x00", "a\x00b", "9999-12-31", "0001-01-01", "99999999999999999999999",
                 "-99999999999999999999999", "x" * 5000, "\x1b"]  # fmt: skip


@pytest.fixture(autouse=True)
def _without_guard(monkeypatch):
    if os.environ.get("KVALITET_FUZZ_WITHOUT_GUARD"):  # to see that the fuzz finds the 500s
        import kvalitet.inputguard as guard

        monkeypatch.setattr(guard, "check_request", lambda: None)


def _client(app: Any) -> tuple[ApiClient, User]:
    user = db.session.scalar(select(User).where(User.email == USER))
    assert user is not None
    _row, token = create_token(user, user, name="fuzz")
    db.session.commit()
    return ApiClient(app, token), user


def _refs(user: User) -> dict[str, list[str]]:
    refs = {}
    for spec in all_kinds():
        rows = db.session.scalars(
            select(spec.model.ref).where(visible_clause(user, [spec])).order_by(Item.id).limit(3)
        )
        refs[slug(spec)] = list(rows) or ["XXX-2026-0001"]
    db.session.rollback()
    return refs


def _path(template: str, refs: dict[str, list[str]], pick: int = 0) -> str:
    parts = template.split("/")
    if "{ref}" in parts:
        kind = parts[parts.index("{ref}") - 1]
        choices = refs.get(kind, ["XXX-2026-0001"])
        template = template.replace("{ref}", choices[pick % len(choices)])
    for part in parts:
        if part.startswith("{") and part != "{ref}":
            template = template.replace(part, "1")
    return template


def _check(response: Any, unchanged: Unchanged, what: Any) -> None:
    assert response.status_code < 500, (what, response.status_code, response.get_data()[:300])
    unchanged.check(response.status_code, what)


def _hostile_bodies(schema: dict[str, Any]) -> list[Any]:
    properties = schema.get("properties", {})
    bodies: list[Any] = [
        {"x": "[" * 10_000},
        {"okänt_fält": 1},
        [] if schema.get("type") == "object" else {},
        {"a": json.loads("[" * 30 + "1" + "]" * 30)},
    ]
    for name, sub in properties.items():
        kinds = sub.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if "string" in kinds:
            bodies.append({name: "a\x00b"})
            bodies.append({name: "\x1b[2J"})
            if sub.get("format") in ("date", "date-time"):
                bodies.append({name: "0001-01-01"})
                bodies.append({name: "9999-12-31T23:59:59+00:00"})
        if "integer" in kinds or "number" in kinds:
            bodies.append({name: 10**30})
            bodies.append({name: -(10**30)})
        if "array" in kinds:
            bodies.append({name: [10**30, "\x00"]})
    return bodies


def _nested(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.slow
@pytest.mark.long
def test_hostile_input_to_every_endpoint(demo_app):
    api, user = _client(demo_app)
    refs = _refs(user)
    document = api.get("/api/v1/openapi.json").get_json()
    unchanged = Unchanged()
    operations = 0
    for template, methods in document["paths"].items():
        for method, op in methods.items():
            operations += 1
            path = _path(template, refs)
            for param in op.get("parameters", []):
                if param["in"] != "query":
                    continue
                for value in HOSTILE_QUERY:
                    response = api.open(
                        method.upper(),
                        path
                        + "?"
                        + param["name"]
                        + "="
                        + value.replace("\x00", "%00").replace("\x1b", "%1B"),
                    )
                    _check(response, unchanged, (method, path, param["name"], value[:20]))
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            for hostile in _hostile_bodies(body["schema"]):
                _check(api.open(method.upper(), path, json=hostile), unchanged,
                       (method, path, hostile))  # fmt: skip
            response = api.raw.open(
                path, method=method.upper(), data=_nested(100_000),
                content_type="application/json",
                headers={"Authorization": f"Bearer {api.token}"},
            )  # fmt: skip
            assert response.status_code == 400, (method, path, response.status_code)
            _check(response, unchanged, (method, path, "nested"))
    assert operations >= 80


@pytest.mark.slow
@pytest.mark.long
def test_schemathesis_finds_no_500_on_any_operation(demo_app):
    api, user = _client(demo_app)
    refs = _refs(user)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    headers = {"Authorization": f"Bearer {api.token}"}
    unchanged = Unchanged()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, refs, unchanged)
    assert operations >= 80


def _fuzz(
    operation: Any,
    mode: Any,
    headers: dict[str, str],
    refs: dict[str, list[str]],
    unchanged: Unchanged,
) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 3))
    def run(case: Any, pick: int) -> None:
        if case.path_parameters and "ref" in case.path_parameters and pick < 3:
            # Mostly a real item the user can see, so the operation gets past the 404.
            kind = operation.path.split("/")[3]
            choices = refs.get(kind, ["XXX-2026-0001"])
            case.path_parameters["ref"] = choices[pick % len(choices)]
        response = case.call(headers=dict(headers))
        assert response.status_code < 500, (operation.label, mode, case.body,
                                            case.query, response.status_code)  # fmt: skip
        unchanged.check(response.status_code, (operation.label, case.body, case.query))

    run()
