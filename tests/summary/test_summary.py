"""The statistics summary (kvalitet.core.summary) stays equal to what the rows say through
every kind of write (ORM changes, workflow-like status changes, category/severity/unit and
period changes, causes, themes and answers, cancellation, deletion, gallring, Core bulk
inserts and updates as the importer and the generator make), and the statistics read from
it equal the live statistics. Every check compares with a count from the rows
(`summary.differences`), so each fails when a hook is removed."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from kvalitet.avvikelser import stats as avvikelser
from kvalitet.avvikelser.models import Avvikelse, AvvikelseOrsak, Orsak
from kvalitet.core import clock, summary
from kvalitet.core.periods import Period, custom_period
from kvalitet.egenkontroll import stats as egenkontroll
from kvalitet.egenkontroll.models import Egenkontroll, EgkStatus, Fraga, Svar, SvarRad
from kvalitet.extensions import db
from kvalitet.gallring import operations as gallring
from kvalitet.items import areas
from kvalitet.items.models import Item, ListEntry, QualityArea, item_quality_area
from kvalitet.items.operations import cancel_item
from kvalitet.org.models import Unit
from kvalitet.synpunkter import stats as synpunkter
from kvalitet.synpunkter.models import Synpunkt, synpunkt_tema
from tests.scale_stats.helpers import generated_city

KINDS = [avvikelser, synpunkter, egenkontroll]


@pytest.fixture
def city(app):  # type: ignore[no-untyped-def]
    clock.freeze(clock.local_midnight_utc(date(2026, 10, 15)))
    return generated_city(1200)


def _check(city: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    year: Period = city["year"]
    periods = [year, year.previous_year()]
    for period in periods:
        assert summary.differences(period) == []
    roots = [city["forv"], *city["avdelningar"], city["enheter"][0]]
    ids = list(db.session.scalars(select(Unit.id)))
    for kind in ("AVV", "SYN", "EGK", "AVV/KO", "SYN/KO", "EGK/KO", "LXS/KO"):
        assert summary.read(kind, periods, ids) is not None

    def figures() -> dict[str, Any]:
        out: dict[str, Any] = {m.__name__: m.statistics_many(roots, periods) for m in KINDS}
        for kind in ("AVV", "SYN", "EGK", "LXS"):
            out[kind] = [areas.by_quality_area(kind, r, periods) for r in roots]
        return out

    from_summary = figures()
    with monkeypatch.context() as m:
        m.setattr(summary, "read", lambda *a: None)
        live = figures()
    assert from_summary == live


def test_generated_city_core_inserts_and_bulk_updates(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """bench.year writes items with Core executemany and the helpers update them in bulk
    (cancelled, age group, category) and insert causes and answers: all noted."""
    assert db.session.scalar(select(db.func.count()).select_from(summary.T)) > 20
    _check(city, monkeypatch)


def test_orm_changes_move_counts_between_buckets(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    year = city["year"]
    avv = list(
        db.session.scalars(
            select(Avvikelse)
            .where(Avvikelse.cancelled_at.is_(None), Avvikelse.created_at >= year.start_utc())
            .order_by(Avvikelse.id)
            .limit(12)
        )
    )
    other = city["enheter"][-1]
    categories = list(db.session.scalars(select(ListEntry.id).where(
        ListEntry.list_key == "avvikelse_kategori")))  # fmt: skip
    avv[0].category_id = categories[-1]
    avv[1].severity = 12
    avv[2].unit_id = other.id
    avv[3].created_at = avv[3].created_at - timedelta(days=400)  # into the year before
    have = {c.orsak for c in avv[4].causes}
    avv[4].causes.append(AvvikelseOrsak(orsak=next(str(o) for o in Orsak if o not in have)))
    avv[5].status = "avslutad"
    avv[5].closed_at = avv[5].created_at + timedelta(days=3, hours=5)
    avv[6].sex = "kvinna"
    area_ids = list(db.session.scalars(select(QualityArea.id)))
    db.session.execute(
        insert(item_quality_area),
        [{"item_id": a.id, "quality_area_id": area_ids[0]} for a in avv[:3]],
    )
    db.session.commit()
    _check(city, monkeypatch)
    # Objects expired by the commit: the old bucket is read from the row.
    avv[7].unit_id = other.id
    avv[8].created_at = avv[8].created_at + timedelta(days=31)
    db.session.delete(avv[9])
    for cause in list(avv[4].causes):
        avv[4].causes.remove(cause)
    db.session.commit()
    _check(city, monkeypatch)
    cancel_item(avv[10], city["user"], "Dubblett")
    avv[11].quality_areas = list(db.session.scalars(select(QualityArea).limit(2)))
    db.session.commit()
    _check(city, monkeypatch)


def test_synpunkter_themes_answers_and_days(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    year = city["year"]
    syn = list(
        db.session.scalars(
            select(Synpunkt)
            .where(Synpunkt.cancelled_at.is_(None), Synpunkt.received_date >= year.start)
            .order_by(Synpunkt.id)
            .limit(6)
        )
    )
    theme = db.session.scalars(select(ListEntry.id).where(
        ListEntry.list_key == "synpunkt_tema")).first()  # fmt: skip
    if theme is not None:
        db.session.execute(insert(synpunkt_tema), [{"synpunkt_id": syn[0].id, "theme_id": theme}])
    syn[1].answered_date = syn[1].received_date + timedelta(days=2)
    syn[1].answer_days = 2
    syn[2].acknowledged_date = None
    syn[2].anonymous = False
    syn[2].ack_due = clock.today() + timedelta(days=3)
    syn[3].received_date = syn[3].received_date - timedelta(days=40)
    syn[4].typ = "beröm" if syn[4].typ != "beröm" else "klagomal"
    db.session.commit()
    _check(city, monkeypatch)
    # What is owed changes with the day, not the rows: the summary keeps the due dates.
    clock.freeze(clock.now() + timedelta(days=10))
    _check(city, monkeypatch)


def test_egenkontroll_answers_status_and_date(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    year = city["year"]
    egk = list(
        db.session.scalars(
            select(Egenkontroll)
            .where(Egenkontroll.cancelled_at.is_(None), Egenkontroll.planned_date >= year.start)
            .order_by(Egenkontroll.id)
            .limit(4)
        )
    )
    egk[0].status = EgkStatus.GENOMFORD
    egk[0].performed_on = egk[0].planned_date
    fraga = db.session.scalars(select(Fraga).where(Fraga.kontroll_id == egk[0].kontroll_id)).first()
    if fraga is not None:
        db.session.add(SvarRad(egenkontroll_id=egk[0].id, fraga_id=fraga.id, case_no=7,
                               answer=Svar.JA))  # fmt: skip
    egk[1].planned_date = egk[1].planned_date + timedelta(days=35)
    egk[2].status = EgkStatus.MISSAD
    db.session.commit()
    _check(city, monkeypatch)


def test_gallring_and_bulk_without_where(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    closed = db.session.scalars(
        select(Avvikelse).where(Avvikelse.closed_at.is_not(None)).limit(2)
    ).all()
    for item in closed:
        gallring._scrub(item)
    db.session.commit()
    _check(city, monkeypatch)
    # A bulk UPDATE of every row of a kind's table: the kind is counted again whole.
    db.session.execute(update(Avvikelse).values(health_care=True))
    db.session.execute(update(Item).where(Item.kind == "SYN").values(closed_at=None))
    db.session.commit()
    _check(city, monkeypatch)


def test_rollback_leaves_summary_as_it_was(city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = db.session.execute(select(summary.T)).all()
    item = db.session.scalars(select(Avvikelse)).first()
    item.unit_id = city["enheter"][-1].id
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert db.session.execute(select(summary.T)).all() == before
    _check(city, monkeypatch)


def test_the_hooks_are_what_keeps_it(city) -> None:  # type: ignore[no-untyped-def]
    """Without the hook the rows and the summary part (the check above would then fail)."""
    event.remove(Session, "before_commit", summary._before_commit)
    try:
        item = db.session.scalars(select(Avvikelse).where(Avvikelse.cancelled_at.is_(None))).first()
        item.unit_id = city["enheter"][-1].id
        db.session.commit()
        assert summary.differences(city["year"]) or summary.differences(
            city["year"].previous_year()
        )
    finally:
        event.listen(Session, "before_commit", summary._before_commit)
    wrong = summary.differences(city["year"]) + summary.differences(city["year"].previous_year())
    summary.recount(wrong)
    db.session.commit()
    assert summary.differences(city["year"]) == []


def test_rebuild_equals_the_kept_summary_and_custom_ranges_are_live(city) -> None:  # type: ignore[no-untyped-def]
    kept = _rows()
    summary.rebuild()
    db.session.commit()
    assert _rows() == kept
    forv = city["forv"]
    odd = custom_period(date(2025, 9, 3), date(2026, 2, 17))
    assert summary.read("AVV", [odd], [forv.id]) is None
    assert avvikelser.statistics(forv, odd)["total"] > 0


def _rows() -> dict[tuple[str, int, date], Any]:
    return {
        (k, u, m): summary.Tally(c, s).normal()
        for k, u, m, c, s in db.session.execute(select(summary.T))
    }


def _race(app: Any) -> tuple[list[BaseException], dict[str, int] | None, dict[str, int]]:
    """Two transactions add an avvikelse to the same bucket, both flushed before either
    commits. Returns the errors, the bucket's stored counts and the counts of the rows."""
    template = db.session.scalars(
        select(Avvikelse).where(Avvikelse.cancelled_at.is_(None)).order_by(Avvikelse.id)
    ).first()
    unit_id, created = template.unit_id, template.created_at
    skip = {"id", "ref", "ref_seq", "kind", "description"}
    base = {c.key: getattr(template, c.key) for c in Item.__table__.columns if c.key not in skip}
    category_id = template.category_id
    db.session.commit()
    flushed = threading.Barrier(2)
    errors: list[BaseException] = []

    def add(n: int) -> None:
        with app.app_context():
            try:
                copy = Avvikelse(**base, ref=f"SAMTIDIG-{n}", ref_seq=900_000 + n, description="",
                                 category_id=category_id)  # fmt: skip
                db.session.add(copy)
                db.session.flush()
                flushed.wait(10)
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.expire_all()
    month = summary.month_of(created, True)
    stored = db.session.execute(
        select(summary.T.c.counts).where(summary.T.c.kind == "AVV",
                                        summary.T.c.unit_id == unit_id, summary.T.c.month == month)
    ).scalar_one_or_none()  # fmt: skip
    live = avvikelser.count([summary.month_period(month)], [unit_id])[(unit_id, 0)]
    return errors, stored, live.counts


def test_two_transactions_on_one_bucket_postgresql(app, city) -> None:  # type: ignore[no-untyped-def]
    """The second counts after the first has committed (advisory lock): both are in."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers")
    errors, stored, live = _race(app)
    assert not errors
    assert stored == live
    assert summary.differences(city["year"]) == []


def test_without_the_lock_the_race_goes_wrong_postgresql(app, city, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The test above is not luck: without the lock one commit fails (or a count is lost)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers")
    monkeypatch.setattr(summary, "_lock", lambda *a: None)
    errors, stored, live = _race(app)
    assert errors or stored != live
