"""The unit tree and the lagrum table kept by the web process between requests
(core.refcache): kept while nothing wrote them, read again after any write to them by any
statement (the counters' triggers), and never hiding a change the request made itself."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import select, text, update

from kvalitet.core import clock, refcache
from kvalitet.extensions import db
from kvalitet.lagrum.lookup import lagrum
from kvalitet.lagrum.models import Lagrum
from kvalitet.org.models import Unit
from kvalitet.org.operations import unit_choices
from tests.scale.test_query_counts import counting


@contextmanager
def request_with_stamp(app):  # type: ignore[no-untyped-def]
    """A request whose stamp was read as the session's statement reads it. (The test's app
    context is reused by the request, so its g is emptied first, as a real request's is.)"""
    from flask import g

    with app.test_request_context("/"):
        vars(g).clear()
        g.setdefault(refcache.STAMP_KEY, _stamp())
        yield


def _stamp() -> int:
    return int(db.session.scalar(select(refcache.stamp_rider(None))))


def _names() -> list[str]:
    return [name.strip("\xa0") for _, name in unit_choices()]


def _reads_units(seen: list[str]) -> int:
    return sum(1 for s in seen if "FROM unit" in s and "user_session" not in s)


def test_every_write_to_a_watched_table_moves_the_stamp(app, org):  # type: ignore[no-untyped-def]
    db.session.commit()
    start = _stamp()
    org.a1.name = "Enhet A1 ny"  # the ORM
    db.session.commit()
    after_orm = _stamp()
    assert after_orm > start
    db.session.execute(update(Unit).where(Unit.id == org.a2.id).values(sort_order=7))
    db.session.commit()
    after_statement = _stamp()
    assert after_statement > after_orm
    db.session.execute(text("UPDATE lagrum SET text = text"))  # plain SQL, as from psql
    db.session.commit()
    assert _stamp() > after_statement
    # Reading, and writing other tables, leave it.
    steady = _stamp()
    db.session.scalars(select(Unit)).all()
    org.chef_a1.title = "Chef"
    db.session.commit()
    assert _stamp() == steady


def test_a_page_keeps_the_units_and_sees_another_process_rename_one(app, org, login_as):  # type: ignore[no-untyped-def]
    chef = login_as(org.chef_a1)
    with counting() as seen:
        first = chef.get("/avvikelser/")
    assert first.status_code == 200 and "Enhet A1" in first.get_data(as_text=True)
    assert _reads_units(seen) >= 1
    with counting() as seen:
        again = chef.get("/avvikelser/")
        footer = chef.get("/")
    assert again.status_code == 200 and footer.status_code == 200
    assert _reads_units(seen) == 0, [
        s for s in seen if "FROM unit" in s and "user_session" not in s
    ]
    assert not any("FROM lagrum" in s for s in seen), "the lagrum table should be kept"
    # Another worker, or psql, renames the unit and commits.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE unit SET name = 'Enhet Norr' WHERE id = :id"), {"id": org.a1.id})
    with counting() as seen:
        renamed = chef.get("/avvikelser/").get_data(as_text=True)
    assert "Enhet Norr" in renamed
    assert _reads_units(seen) >= 1


def test_a_new_unit_is_in_the_policy_at_the_next_request(app, org, login_as):  # type: ignore[no-untyped-def]
    """The policy's unit ids come from the kept tree: a unit added under the chef's enhet by
    another process is within the chef's rights at once, its avvikelser visible."""
    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit
    from tests.avvikelser.helpers import report

    chef = login_as(org.avdchef_a)
    assert chef.get("/avvikelser/").status_code == 200  # the tree is kept now
    grupp = create_unit(None, "Grupp Solsidan", UnitKind.ENHET, org.a1)
    item = report(org.med_a1, unit=grupp, title="Ramlade i korridoren")
    db.session.commit()
    page = chef.get(f"/avvikelser/{item.ref}")
    assert page.status_code == 200 and "Ramlade i korridoren" in page.get_data(as_text=True)


def test_a_change_made_in_the_request_is_seen_in_it(app, org):  # type: ignore[no-untyped-def]
    db.session.commit()
    with app.test_request_context("/"):
        from flask import g

        g.setdefault(refcache.STAMP_KEY, _stamp())  # as the session's statement puts it
        assert "Enhet A1" in _names()
        org.a1.name = "Enhet Söder"
        db.session.flush()  # not committed: only this request sees it
        assert "Enhet Söder" in _names()
    with request_with_stamp(app):
        assert "Enhet A2" in _names()  # kept for this request's stamp
        db.session.execute(update(Unit).where(Unit.id == org.a2.id).values(name="Enhet Väster"))
        assert "Enhet Väster" in _names()
        db.session.rollback()


def test_a_new_lagrum_wording_is_read_at_the_next_request(app, org, login_as):  # type: ignore[no-untyped-def]
    key = db.session.scalar(select(Lagrum.key).limit(1))
    assert key is not None
    chef = login_as(org.chef_a1)
    assert chef.get("/").status_code == 200
    with request_with_stamp(app):
        before = lagrum(key)
    db.session.add(Lagrum(key=key, valid_from=clock.today(), text="Ny lydelse"))
    db.session.commit()
    with request_with_stamp(app):
        assert lagrum(key) == "Ny lydelse" != before


def test_nothing_is_kept_without_a_stamp(app, org):  # type: ignore[no-untyped-def]
    from flask import g

    db.session.commit()
    with app.test_request_context("/"), counting() as seen:
        vars(g).clear()
        unit_choices()
    with app.test_request_context("/"), counting() as again:
        vars(g).clear()
        unit_choices()
    assert _reads_units(seen) == 1 and _reads_units(again) == 1
