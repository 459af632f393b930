"""Who holds a role over a unit is asked once per request (an import asks the same unit's
chef for every row), and the answer never outlives a change of roles in the request."""

from __future__ import annotations

from sqlalchemy import event

from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.org.operations import chefs_of, grant_role, people_near
from tests.conftest import make_user


def test_the_chef_is_asked_once_per_request_and_a_new_role_is_seen_at_once(app, org):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.test_request_context("/import"):
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            first = chefs_of(org.a1)
            asked = len(statements)
            assert chefs_of(org.a1) == first and len(statements) == asked  # from the cache
            newcomer = make_user("Ny Chef", None, org.a1)
            grant_role(None, newcomer, Role.ENHETSCHEF, org.a1)
            assert newcomer in chefs_of(org.a1)  # pending or flushed, the grant is seen
            db.session.flush()
            assert newcomer in chefs_of(org.a1)
            # The people pickers of a case page: asked once, and a new colleague is seen.
            people = people_near(org.a1)
            asked = len(statements)
            assert people_near(org.a1) == people and len(statements) == asked
            colleague = make_user("Ny Kollega", None, org.a1)
            assert colleague.id in {i for i, _ in people_near(org.a1)}
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert org.chef_a1 in first
