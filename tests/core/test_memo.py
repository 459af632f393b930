"""The small tables a page reads several times (lagrum, the active kvalitetsområden) are read
once per request, and read again after a flush that wrote one of their rows or a rollback:
a change made in the request is never hidden by the kept copy."""

from __future__ import annotations

from sqlalchemy import event, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.items.forms import active_quality_areas
from kvalitet.items.models import QualityArea
from kvalitet.lagrum.lookup import lagrum
from kvalitet.lagrum.models import Lagrum


def _counting():  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    return seen, count


def test_active_areas_read_once_and_again_after_an_area_changes(app):  # type: ignore[no-untyped-def]
    seen, count = _counting()
    with app.test_request_context("/"):
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            first = [q.name for q in active_quality_areas()]
            asked = len(seen)
            assert [q.name for q in active_quality_areas()] == first and len(seen) == asked
            db.session.flush()  # a flush that writes nothing of the areas keeps them
            assert [q.name for q in active_quality_areas()] == first and len(seen) == asked
            area = db.session.scalar(select(QualityArea).where(QualityArea.name == first[0]))
            area.active = False
            db.session.flush()
            assert first[0] not in [q.name for q in active_quality_areas()]
            db.session.add(QualityArea(name="Nytt område", sort_order=99))
            db.session.flush()
            assert "Nytt område" in [q.name for q in active_quality_areas()]
            db.session.rollback()  # undone: neither change shows
            assert [q.name for q in active_quality_areas()] == first
        finally:
            event.remove(db.engine, "before_cursor_execute", count)


def test_lagrum_table_read_once_and_a_new_wording_seen_at_once(app):  # type: ignore[no-untyped-def]
    seen, count = _counting()
    with app.test_request_context("/"):
        key = db.session.scalar(select(Lagrum.key).limit(1))
        assert key is not None
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            before = lagrum(key)
            asked = len(seen)
            assert lagrum(key) == before and len(seen) == asked
            db.session.add(Lagrum(key=key, valid_from=clock.today(), text="Ny lydelse"))
            db.session.flush()
            assert lagrum(key) == "Ny lydelse"
            db.session.rollback()
            assert lagrum(key) == before
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
