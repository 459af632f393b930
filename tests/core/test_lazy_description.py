"""PostgreSQL: the app's cursors build `cursor.description` only when it is read
(core.db_setup.LazyDescriptionCursor), and what they give is psycopg's own description."""

from __future__ import annotations

import psycopg
import pytest

from kvalitet.core.db_setup import LazyDescriptionCursor
from kvalitet.extensions import db


@pytest.fixture
def raw(app):  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's cursor is PostgreSQL's")
    connection = db.engine.raw_connection()
    try:
        yield connection.driver_connection
    finally:
        connection.close()


def test_the_apps_cursors_describe_results_as_psycopg_does(raw):  # type: ignore[no-untyped-def]
    cursor = raw.cursor()
    assert isinstance(cursor, LazyDescriptionCursor)
    statement = "SELECT id, name, path, active, created_at FROM unit ORDER BY id"
    cursor.execute(statement)
    lazy = cursor.description
    plain = psycopg.Cursor(raw)  # the driver's own cursor, for comparison
    plain.execute(statement)
    own = plain.description
    assert len(lazy) == len(own) == 5
    assert [(c.name, c.type_code, c.internal_size) for c in lazy] == [
        (c.name, c.type_code, c.internal_size) for c in own
    ]
    assert lazy[-1].name == "created_at" and lazy[1:3][0].name == "name"
    assert cursor.fetchall() == plain.fetchall()


def test_no_description_without_rows_and_none_read_late(raw):  # type: ignore[no-untyped-def]
    cursor = raw.cursor()
    cursor.execute("CREATE TEMPORARY TABLE probe (x int)")
    assert cursor.description is None
    cursor.execute("SELECT 1 AS one")
    first = cursor.description
    cursor.execute("SELECT 2 AS two, 3 AS three")
    with pytest.raises(RuntimeError):
        first[0]  # read after the cursor moved on: refused, never the wrong columns
    assert [c.name for c in cursor.description] == ["two", "three"]
