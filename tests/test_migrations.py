"""The committed Alembic migrations bring an empty database to head, and match the models."""

import os

import pytest
from sqlalchemy import inspect

from kvalitet import create_app
from kvalitet.core import migrations
from kvalitet.extensions import db
from tests.conftest import BASE_CONFIG, PG_URL, _pg_admin_engine, _pg_url


@pytest.fixture
def empty_app(tmp_path):
    if PG_URL:
        from sqlalchemy import text

        name = f"kvtest_migr_{os.getpid()}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    os.environ["KVALITET_INSTANCE_PATH"] = str(tmp_path)
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_and_no_drift(empty_app):
    migrations.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"item", "unit", "user_account", "audit_entry"} <= tables
    assert migrations.drift() == []


def test_migrate_db_command_seeds_reference_data(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["migrate-db"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import func, select

    from kvalitet.items.models import QualityArea

    assert db.session.scalar(select(func.count(QualityArea.id))) == 7
