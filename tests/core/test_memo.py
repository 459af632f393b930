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


def test_an_avvikelses_open_actions_read_once_and_again_after_a_link_or_a_change(app, org):  # type: ignore[no-untyped-def]
    """The case page lists the open förbättringsåtgärder and its closing guard asks again:
    one statement. A new link (a flush of item_link alone) or an action marked done (a
    flush of the item) is seen at once."""
    from kvalitet.atgarder.models import AtgardStatus
    from kvalitet.atgarder.operations import create_atgard
    from kvalitet.avvikelser.kinds import open_actions
    from kvalitet.items.models import LinkType
    from kvalitet.items.operations import link_items
    from tests.avvikelser.helpers import report

    avvikelse = report(org.med_a1, unit=org.a1, title="Dörren var olåst")
    action = create_atgard(org.chef_a1, unit=org.a1, title="Rutin för nycklar")
    db.session.commit()
    seen, count = _counting()
    with app.test_request_context("/"):
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert open_actions(avvikelse) == []
            asked = len(seen)
            assert open_actions(avvikelse) == [] and len(seen) == asked
            link_items(avvikelse, action, org.chef_a1, LinkType.ATGARD)
            assert [a.id for a in open_actions(avvikelse)] == [action.id]
            db.session.rollback()  # the link undone: the kept answer is forgotten with it
            assert open_actions(avvikelse) == []
            link_items(avvikelse, action, org.chef_a1, LinkType.ATGARD)
            assert [a.id for a in open_actions(avvikelse)] == [action.id]
            action.status = AtgardStatus.GENOMFORD
            db.session.flush()
            assert open_actions(avvikelse) == []
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
