"""`permissions.among`: an id list as one array parameter on PostgreSQL (the permission
clause's unit ids, the few-ids branches), the same rows as `IN (…)` on both engines."""

from __future__ import annotations

from flask import g
from sqlalchemy import event, select

from kvalitet.core.permissions import among, units_under
from kvalitet.extensions import db
from kvalitet.org.models import Unit


def _ids(clause):
    return sorted(db.session.scalars(select(Unit.id).where(clause)))


def test_among_selects_what_in_selects(org):
    every = _ids(Unit.id.in_(select(Unit.id)))
    some = every[::2]
    assert _ids(among(Unit.id, some)) == _ids(Unit.id.in_(some)) == some
    assert _ids(among(Unit.id, [])) == []
    assert _ids(among(Unit.id, units_under([org.a1.path]))) == _ids(
        Unit.id.in_(units_under([org.a1.path]))
    )


def test_an_id_list_is_one_parameter_on_postgresql(org):
    """On PostgreSQL the statement does not grow with the list (67 unit ids in each of
    twenty branches were 1,300 parameters in a kvalitetsutvecklare's inbox); on SQLite it
    is the plain IN list."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    many = list(range(1, 501))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        db.session.scalars(select(Unit.id).where(among(Unit.id, many))).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    if db.engine.dialect.name == "postgresql":
        assert "= ANY (" in statement
        assert len(parameters) == 1 and list(next(iter(parameters.values()))) == many
    else:
        assert statement.count("?") == len(many)


def test_one_id_is_an_equality_so_an_index_gives_the_order(org):
    """PostgreSQL 15 gives no index order under `= ANY(array)`: one id must stay `=`."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    one = org.a1.id
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        found = db.session.scalars(select(Unit.id).where(among(Unit.id, [one]))).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert found == [one]
    assert "ANY" not in statements[-1] and " IN " not in statements[-1]


def test_kvalitetsutvecklare_inbox_statements_do_not_grow_with_units(org, login_as):
    """The inbox and its counts for someone who sees the whole city: on PostgreSQL no
    statement carries more parameters than the units would add to one list."""
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(parameters)

    client = login_as(org.kvalitet)
    vars(g).clear()
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        page = client.get("/")
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert page.status_code == 200
    if db.engine.dialect.name == "postgresql":
        named = [p for params in statements if isinstance(params, dict) for p in params]
        # The unit id lists were parameters unit_id_1_1, unit_id_1_2, … one per unit.
        assert named and not [p for p in named if p.startswith("unit_id_")], named
