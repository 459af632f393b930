"""A demo database built once per session (every kind with items in every state), copied for
each fuzz test, and helpers to see that a refused request changed nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from kvalitet import create_app
from kvalitet.extensions import db
from tests.conftest import BASE_CONFIG, PG_URL, _pg_admin_engine, _pg_url, new_database

FUZZ_CONFIG = {**BASE_CONFIG, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True}


@pytest.fixture(scope="session")
def demo_template(template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the demo organisation and items, usable as a template."""
    directory = tmp_path_factory.mktemp("demo-template")
    url, cleanup = new_database(template_db, directory)
    instance = directory / "instance"
    instance.mkdir()
    os.environ["KVALITET_INSTANCE_PATH"] = str(instance)
    app = create_app({**FUZZ_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        from kvalitet import demo

        demo.build()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield url.rsplit("/", 1)[1] if PG_URL else url.removeprefix("sqlite:///")
    cleanup()


@pytest.fixture
def demo_app(demo_template: str, tmp_path: Path) -> Iterator[Flask]:
    if PG_URL:
        name = f"{demo_template}_copy_{os.getpid()}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{demo_template}"'))
        url = _pg_url(name)
    else:
        url, _ = new_database(demo_template, tmp_path)
    instance = tmp_path / "instance"
    instance.mkdir()
    os.environ["KVALITET_INSTANCE_PATH"] = str(instance)
    app = create_app({**FUZZ_CONFIG, "DATABASE_URL": url,
                      "ATTACHMENT_DIR": str(tmp_path / "bilagor")})  # fmt: skip
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        if PG_URL:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def fingerprint() -> tuple[Any, ...]:
    """Row counts of every table, and every item's version: what a refused request must not
    change."""
    db.session.rollback()
    tables = sorted(db.metadata.tables)
    # Read-log rows (audit action "read") are what a GET of a sensitive page writes: not a
    # change of data, so they are left out.
    counts = " UNION ALL ".join(
        f"SELECT '{name}', COUNT(*) FROM \"{name}\""  # noqa: S608 (names from the metadata)
        + (" WHERE action <> 'read'" if name == "audit_entry" else "")
        for name in tables
    )
    rows = db.session.execute(text(counts)).all()
    versions = db.session.execute(text("SELECT COALESCE(SUM(version), 0) FROM item")).scalar()
    db.session.rollback()
    return (*sorted((str(r[0]), int(r[1])) for r in rows), ("versions", int(versions or 0)))


class Unchanged:
    """Follows the database across requests: a refused request (4xx) must leave it exactly
    as it was; after any other answer the new state is remembered (one fingerprint a
    request)."""

    def __init__(self) -> None:
        self.state = fingerprint()

    def check(self, status: int, what: Any) -> None:
        now = fingerprint()
        if 400 <= status < 500:
            assert now == self.state, ("a refused request changed the database", what)
        self.state = now
