"""The OpenAPI document matches the real API: every route is in it, and a schema-driven
fuzzer (schemathesis) against a live app finds no 500 and no response that contradicts it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from kvalitet.extensions import db
from tests.api.conftest import ApiClient, category_id


def test_every_api_route_is_in_the_document(app: Flask) -> None:
    document = ApiClient(app, None).get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    missing = served - documented
    assert not missing, f"routes missing from openapi.json: {sorted(missing)}"
    assert not documented - served, "documented routes that do not exist"
    # Every authenticated operation documents 401, every one with input documents 400/422.
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if op.get("security") != []:
                assert "401" in op["responses"], (path, method)
            if "requestBody" in op:
                assert {"400", "422"} <= set(op["responses"]), (path, method)


def test_every_kind_has_its_routes(app: Flask) -> None:
    from kvalitet.api.serialize import slug
    from kvalitet.core.registry import all_kinds

    paths = ApiClient(app, None).get("/api/v1/openapi.json").get_json()["paths"]
    for spec in all_kinds():
        for suffix in ("", "/{ref}", "/{ref}/transitions", "/{ref}/comments", "/{ref}/links"):
            assert f"/api/v1/{slug(spec)}{suffix}" in paths


@pytest.mark.long
def test_schemathesis_finds_no_server_error_or_contradiction(app, org, api_as, live_server):
    from kvalitet.api.tokens import create_token

    # Some data to find: an avvikelse and an action in the chef's unit.
    reporter = api_as(org.med_a1)
    assert reporter.post("/api/v1/avvikelser", json={
        "unit_id": org.a1.id, "description": "Fuzzmål", "category_id": category_id()},
    ).status_code == 201  # fmt: skip
    _row, token = create_token(org.chef_a1, org.chef_a1, name="fuzz")
    db.session.commit()  # the live server's requests run in their own sessions
    report_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"st-{os.getpid()}"
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{live_server}/api/v1/openapi.json",
        "-H", f"Authorization: Bearer {token}",
        "--max-examples", os.environ.get("KVALITET_FUZZ_EXAMPLES", "5"),
        # The coverage phase (thousands of deterministic negative cases, ~5 minutes on a busy
        # machine) runs with KVALITET_FUZZ_PHASES=examples,coverage,fuzzing.
        "--phases", os.environ.get("KVALITET_FUZZ_PHASES", "examples,fuzzing"),
        "--checks", "all",
        # Valid-looking data may still break business rules (unknown category id -> 422).
        "--exclude-checks", "positive_data_acceptance",
        "--seed", "42",
        "--no-color",
        "--report-dir", str(report_dir),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "output.txt").write_text(output)
    assert result.returncode == 0, f"see {report_dir / 'output.txt'}\n" + output[-3000:]
