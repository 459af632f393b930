"""Gallring on the demo: the run removes exactly what the preview listed, statistics of
earlier years are unchanged, frozen reports still verify, and what was removed is gone (free
texts, attachments on disk, the lex Sarah reporter). Holds and open linked cases are skipped."""

from __future__ import annotations

import importlib
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.periods import current_quality_year
from kvalitet.extensions import db
from kvalitet.gallring import operations as ops
from kvalitet.gallring.models import GallringLog, GallringRule
from kvalitet.items.models import Attachment, Comment, Item, ItemLink
from kvalitet.items.operations import add_attachment, attachment_path
from kvalitet.lexsarah.models import LexSarahArende, Rapportor
from kvalitet.rapport.models import RapportVersion
from kvalitet.rapport.operations import verify

STATS_MODULES = ["avvikelser", "synpunkter", "lexsarah", "atgarder", "egenkontroll", "risker"]


def _statistics(root, periods) -> dict:
    return {
        (name, p.label): importlib.import_module(f"kvalitet.{name}.stats").statistics(root, p)
        for name in STATS_MODULES
        for p in periods
    }


@pytest.fixture
def demo(app):
    import kvalitet.demo as demo_module

    ctx = demo_module.build()
    db.session.commit()
    return ctx


def _activate(kvalitet_user, years: dict[str, int]) -> None:
    for kind, n in years.items():
        ops.set_rule(kvalitet_user, kind, n, True, "Dokumenthanteringsplan, test")
    db.session.commit()


@pytest.mark.long
def test_gallring_on_the_demo_removes_exactly_the_preview(app, demo):
    kvalitet = next(u for u in demo.users.values() if u.has_role("kvalitetsutvecklare"))
    root = demo.units["Socialförvaltning Centrum"]
    # Something to remove from disk, and a lex Sarah case with its reporter.
    case = db.session.scalars(
        select(LexSarahArende).where(LexSarahArende.closed_at.is_not(None))
    ).first()
    assert case is not None, "the demo has a closed lex Sarah case"
    sas = next(u for u in demo.users.values() if u.has_role("sas"))
    attachment = add_attachment(case, sas, "anteckning.txt", io.BytesIO(b"hemlig anteckning"))
    db.session.commit()
    path = attachment_path(attachment)
    assert path.exists()
    year = current_quality_year()
    periods = [year, year.previous_year(), year.previous_year().previous_year()]
    clock.freeze(clock.now() + timedelta(days=400))  # the day of the run, 13 months on
    before = _statistics(root, periods)
    frozen = list(db.session.scalars(select(RapportVersion)))
    assert frozen and all(verify(v) for v in frozen)
    # Rules that reach back one year (so some demo items are due and some are not).
    _activate(kvalitet, {"AVV": 1, "LXS": 1, "SYN": 1})
    preview = {row.rule.kind: [i.ref for i in row.items] for row in ops.preview()}
    listed = {ref for refs in preview.values() for ref in refs}
    assert listed and case.ref in listed
    total_before = db.session.scalar(select(func.count(Item.id)))

    logs = ops.run(kvalitet)
    db.session.commit()

    assert {log.kind: log.refs for log in logs} == preview
    removed = {ref for log in logs for ref in log.refs}
    assert removed == listed
    # Nothing else was touched; nothing is due any more.
    assert all(not row.items for row in ops.preview())
    gone = list(db.session.scalars(select(Item).where(Item.ref.in_(removed))))
    assert all(i.title == ops.GALLRAD_TITLE and i.description == "" for i in gone)
    untouched = db.session.scalars(select(Item).where(Item.ref.not_in(removed))).all()
    assert all(i.title != ops.GALLRAD_TITLE for i in untouched)
    assert db.session.scalar(select(func.count(Item.id))) == total_before  # skeletons stay
    # Contents are gone: attachments from disk, comments, the reporter, every free text.
    assert not path.exists()
    assert (
        db.session.scalar(select(func.count(Attachment.id)).where(Attachment.item_id == case.id))
        == 0
    )
    ids = [i.id for i in gone]
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.item_id.in_(ids))) == 0
    assert (
        db.session.scalar(select(func.count(Rapportor.id)).where(Rapportor.arende_id == case.id))
        == 0
    )
    db.session.expire_all()
    gallrad_case = db.session.get(LexSarahArende, case.id)
    assert gallrad_case.consequences == "" and all(e.text == "" for e in gallrad_case.entries)
    # Statistics of earlier years and frozen reports are unchanged.
    assert _statistics(root, periods) == before
    assert all(verify(db.session.get(RapportVersion, v.id)) for v in frozen)
    # The gallringslogg: rule, number, by whom, when.
    log = db.session.scalars(select(GallringLog).where(GallringLog.kind == "LXS")).one()
    assert log.item_count == len(preview["LXS"]) and log.actor_id == kvalitet.id
    assert log.run_at == clock.now()


def test_holds_and_open_linked_cases_are_skipped(app, org):
    from tests.lexsarah.helpers import make_case

    clock.freeze(clock.now() - timedelta(days=800))
    held, linked, plain = (make_case(org, title=t) for t in ("Spärrad", "Kopplad", "Vanlig"))
    for case in (held, linked, plain):
        case.closed_at = clock.now()
    open_case = make_case(org, title="Öppen")
    db.session.add(ItemLink(source_id=linked.id, target_id=open_case.id, link_type="relaterad"))
    db.session.commit()
    clock.freeze(None)
    ops.set_rule(org.kvalitet, "LXS", 2, True)
    ops.place_hold(org.kvalitet, held.ref, "Begäran om utlämnande av handlingar")
    db.session.commit()
    (row,) = ops.preview()
    assert [i.ref for i in row.items] == [plain.ref]
    assert {i.ref for i in row.skipped} == {held.ref, linked.ref}
    (log,) = ops.run(None)  # the scheduled job
    assert log.refs == [plain.ref] and log.skipped_count == 2 and log.actor_id is None


def test_gallring_page_is_for_the_kvalitetsutvecklare(app, org, login_as):
    assert login_as(org.admin).get("/gallring/").status_code == 403
    assert login_as(org.chef_a1).get("/gallring/").status_code == 403
    client = login_as(org.kvalitet)
    page = client.get("/gallring/").get_data(as_text=True)
    assert "Gallringslogg" in page and "Avvikelser" in page
    rule = db.session.scalar(select(GallringRule).where(GallringRule.kind == "SYN"))
    response = client.post(f"/gallring/regel/{rule.id}", {
        f"r{rule.id}-kind": "SYN", f"r{rule.id}-years": "3", f"r{rule.id}-active": "y",
        f"r{rule.id}-basis": "DHP 2026"})  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.years, rule.active, rule.basis) == (3, True, "DHP 2026")
    assert client.post("/gallring/kor").status_code == 302
    assert "Gallringslogg" in client.get("/gallring/").get_data(as_text=True)
    assert db.session.scalar(select(func.count(GallringLog.id))) == 1


def test_nightly_job_is_registered():
    from kvalitet.arshjul.scheduler import discover_jobs

    assert "gallring.nightly" in {job["id"] for job in discover_jobs()}


def test_gallring_takes_the_texts_out_of_the_search_index(app, org, login_as):
    """The scrub writes by plain UPDATE, which the index's flush hook does not see: without
    a rewrite of the index row, a name in a gallrad case would still find the case."""
    from tests.lexsarah.helpers import make_case

    clock.freeze(clock.now() - timedelta(days=800))
    gone = make_case(org, title="Brukare Gunnelbrita föll",
                     description="Gunnelbrita Söderholm fick fel dos.")  # fmt: skip
    kept = make_case(org, title="Gunnelbrita i annan enhet")
    gone.closed_at = clock.now()
    db.session.commit()
    clock.freeze(None)
    client = login_as(org.sas)  # lex Sarah is SAS's to see

    def hits(q: str) -> str:
        return client.get("/sok", query_string={"q": q}).get_data(as_text=True)

    page = hits("Gunnelbrita")
    assert gone.ref in page and kept.ref in page
    assert gone.ref in hits("Söderholm")
    ops.set_rule(org.kvalitet, "LXS", 2, True)
    db.session.commit()
    (log,) = ops.run(org.kvalitet)
    db.session.commit()
    assert log.refs == [gone.ref]

    page = hits("Gunnelbrita")
    assert gone.ref not in page and kept.ref in page
    assert gone.ref not in hits("Söderholm") and gone.ref not in hits("dos")
    # Its index row is written anew, not only removed: the skeleton is found by its title.
    assert gone.ref in hits("gallrad") and kept.ref not in hits("gallrad")
    # The skeleton is still found by its reference, as the gallringslogg names it.
    assert gone.ref in client.get("/sok", query_string={"q": gone.ref}).headers.get("Location", "")
