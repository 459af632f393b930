"""Pages of the kvalitetsberättelse: who sees drafts, frozen versions and nothing; freezing
with checksum; writing a text through the form; the scheduled draft."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import QualityArea
from kvalitet.notify.models import Notification
from kvalitet.org.models import UnitKind
from kvalitet.org.operations import create_unit
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document
from kvalitet.rapport.models import (
    Berattelsetext,
    FrozenVersionImmutable,
    Kvalitetsberattelse,
    RapportVersion,
    TextStatus,
)
from tests.conftest import make_user
from tests.rapport.helpers import YEAR, dataset, fake_synpunkter, use_only


def report_texts(report):
    return db.session.scalars(
        select(Berattelsetext).where(Berattelsetext.rapport_id == report.id)
    ).all()


@pytest.fixture
def report(app, org, monkeypatch):
    dataset(org)
    use_only(monkeypatch, synpunkter=fake_synpunkter)
    return ops.start_report(org.kvalitet, org.forv, YEAR)


def test_start_freeze_and_who_sees_what(app, org, report, login_as):
    kvalitet = login_as(org.kvalitet)
    page = kvalitet.get(f"/kvalitetsberattelse/{report.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Utbildning i sekretess" in html and "Texter som inte är klara" in html

    # The nämnd's read-only role sees no draft, and nothing before a version is frozen.
    lasare = login_as(org.lasare)
    assert lasare.get(f"/kvalitetsberattelse/{report.id}").status_code == 404
    listing = lasare.get("/kvalitetsberattelse/").get_data(as_text=True)
    assert f'/kvalitetsberattelse/{report.id}"' not in listing and "Ingen ännu" in listing
    assert lasare.get(f"/kvalitetsberattelse/{report.id}/utkast.docx").status_code == 404

    # Freezing checks itself: texts are missing, so it asks for a confirmation and a reason.
    response = kvalitet.post(f"/kvalitetsberattelse/{report.id}/frys",
                             data={"comment": "Till nämnden i oktober"})  # fmt: skip
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "det här saknas" in html and "texter är inte klara" in html
    assert db.session.query(RapportVersion).count() == 0
    response = kvalitet.post(f"/kvalitetsberattelse/{report.id}/frys",
                             data={"comment": "Till nämnden i oktober", "steg": "bekrafta",
                                   "confirm": "y", "reason": ""})  # fmt: skip
    assert response.status_code == 422 and "Ange skälet" in response.get_data(as_text=True)
    assert db.session.query(RapportVersion).count() == 0
    reason = "Nämnden behöver underlaget"
    response = kvalitet.post(f"/kvalitetsberattelse/{report.id}/frys",
                             data={"comment": "Till nämnden i oktober", "steg": "bekrafta",
                                   "confirm": "y", "reason": reason})  # fmt: skip
    assert response.status_code == 302
    version = db.session.scalars(select(RapportVersion)).one()
    recorded = ops.version_content(version)["freeze_check"]
    assert recorded["confirmed"] is True and recorded["reason"] == "Nämnden behöver underlaget"
    assert len(recorded["missing_texts"]) == len(report_texts(report))
    assert "Nämnden behöver underlaget" in kvalitet.get(
        f"/kvalitetsberattelse/version/{version.id}").get_data(as_text=True)  # fmt: skip
    assert version.number == 1 and version.frozen_by_id == org.kvalitet.id
    assert version.sha256 == hashlib.sha256(version.content.encode()).hexdigest()
    assert ops.verify(version)

    # Now the läsare is sent to the frozen version and may download it.
    assert lasare.get(f"/kvalitetsberattelse/{report.id}").status_code == 302
    frozen = lasare.get(f"/kvalitetsberattelse/version/{version.id}")
    assert frozen.status_code == 200
    body = frozen.get_data(as_text=True)
    assert version.sha256 in body and "Innehållet stämmer" in body
    docx = lasare.get(f"/kvalitetsberattelse/version/{version.id}.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    # Rendered once and kept: the second download is the very same file.
    again = lasare.get(f"/kvalitetsberattelse/version/{version.id}.docx")
    assert again.data == docx.data
    cached = list((Path(app.instance_path) / "kvalitetsberattelse").glob(f"v{version.id}-*.docx"))
    assert len(cached) == 1
    assert lasare.post(f"/kvalitetsberattelse/{report.id}/frys").status_code == 404

    # A frozen version does not change when the data does, and cannot be changed.
    ops.save_text(org.kvalitet, db.session.scalars(select(Berattelsetext)).first(), "Ny text")
    assert ops.version_content(version) == ops.version_content(
        db.session.get(RapportVersion, version.id)
    )
    version.content = "{}"
    with pytest.raises(FrozenVersionImmutable):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(FrozenVersionImmutable):
        db.session.delete(db.session.get(RapportVersion, version.id))
        db.session.flush()
    db.session.rollback()


def test_other_units_and_staff_get_404(app, org, report, login_as):
    other_forv = create_unit(None, "Annan förvaltning", UnitKind.FORVALTNING, org.namnd)
    stranger = make_user("Kvalitet Annan", Role.KVALITETSUTVECKLARE, other_forv)
    ops.freeze(org.kvalitet, report, confirm=True, reason="Test")
    version = db.session.scalars(select(RapportVersion)).one()
    for user in (stranger, org.med_a1):
        client = login_as(user)
        assert client.get(f"/kvalitetsberattelse/{report.id}").status_code == 404
        assert client.get(f"/kvalitetsberattelse/version/{version.id}").status_code == 404
        assert client.get(f"/kvalitetsberattelse/version/{version.id}.pdf").status_code == 404
        listing = client.get("/kvalitetsberattelse/").get_data(as_text=True)
        assert "Förvaltning</td>" not in listing
        text = db.session.scalars(select(Berattelsetext)).first()
        assert client.get(f"/kvalitetsberattelse/text/{text.ref}").status_code == 404
    # A chef inside the förvaltning reads frozen versions, not the live draft (it holds
    # every unit's figures and action titles), and may not freeze.
    chef = login_as(org.chef_b1)
    assert chef.get(f"/kvalitetsberattelse/{report.id}").status_code == 302
    assert chef.get(f"/kvalitetsberattelse/{report.id}/utkast.pdf").status_code == 404
    assert chef.get(f"/kvalitetsberattelse/version/{version.id}").status_code == 200
    assert chef.post(f"/kvalitetsberattelse/{report.id}/frys").status_code == 404


def test_chef_writes_text_through_the_form(app, org, report, login_as):
    block = db.session.scalars(
        select(Berattelsetext).where(Berattelsetext.block_unit_id == org.avd_a.id)
    ).first()
    client = login_as(org.avdchef_a)
    url = f"/kvalitetsberattelse/text/{block.ref}"
    page = client.get(url).get_data(as_text=True)
    # The writer sees the figures and actions of their own avdelning, not of others.
    assert "Underlag: siffror" in page and "Utbildning i sekretess" in page
    assert "Åtgärd i avdelning B" not in page
    bad = client.post(url, data={"text": "Klienten 19121212-1212 fick vänta.",
                                 "version": str(block.version)})  # fmt: skip
    assert bad.status_code == 422
    db.session.refresh(block)
    assert block.text == "" and block.status == TextStatus.EJ_PABORJAD
    ok = client.post(url, data={"text": "Handläggningen har blivit snabbare.",
                                "version": str(block.version)})  # fmt: skip
    assert ok.status_code == 302
    db.session.refresh(block)
    assert block.status == TextStatus.UTKAST
    assert client.get(f"/kvalitetsberattelse/{report.id}").status_code == 404  # no draft
    assert "snabbare" in login_as(org.kvalitet).get(f"/kvalitetsberattelse/{report.id}").get_data(
        as_text=True
    )
    # Someone else's text: a chef of another avdelning may not edit it.
    other = login_as(org.chef_b1)
    assert other.post(url, data={"text": "x", "version": str(block.version)}).status_code in (
        403, 404, 422)  # fmt: skip
    db.session.refresh(block)
    assert block.text == "Handläggningen har blivit snabbare."


def test_scheduled_draft_when_the_year_closes(app, org, monkeypatch):
    use_only(monkeypatch)
    clock.freeze(datetime(2026, 9, 1, 6, 0))
    reports = ops.compile_scheduled_draft()
    assert [(r.unit_id, r.first_year) for r in reports] == [(org.forv.id, 2025)]
    texts = db.session.scalars(select(Berattelsetext)).all()
    assert texts and all(t.due_date and t.due_date >= clock.today() for t in texts)
    notes = db.session.scalars(select(Notification)).all()
    assert {n.user_id for n in notes} >= {org.kvalitet.id, org.avdchef_a.id}
    # Running again creates nothing new.
    ops.compile_scheduled_draft()
    assert db.session.query(Kvalitetsberattelse).count() == 1
    assert db.session.query(Berattelsetext).count() == len(texts)
    assert db.session.query(Notification).count() == len(notes)


def test_freezing_without_anything_missing_needs_no_reason(app, org, monkeypatch):
    use_only(monkeypatch)
    report = ops.start_report(org.kvalitet, org.forv, YEAR)
    from kvalitet.core.workflow import run_transition

    for text in report_texts(report):
        ops.save_text(org.kvalitet, text, "Skrivet.")
        run_transition(text, "klar", org.kvalitet)
    check = ops.freeze_check(report, compile_document(report))
    assert check["missing_texts"] == [] and check["changed_figures"] == []
    # Empty action tables are listed as empty sections; the rest is complete.
    assert all("Förbättringsåtgärder" in name for name in check["empty_sections"])
    with pytest.raises(ops.FreezeNeedsConfirmation):
        ops.freeze(org.kvalitet, report)


def test_files_are_made_in_the_background_with_progress_and_kept(app, org, report, login_as):
    app.config["RAPPORT_JOBS_INLINE"] = True
    app.config["RAPPORT_TOC_PAGE_NUMBERS"] = False
    kvalitet = login_as(org.kvalitet)
    started = kvalitet.post(f"/kvalitetsberattelse/{report.id}/skapa/pdf")
    assert started.status_code == 302 and "/jobb/d" in started.location
    job_url = started.location
    page = kvalitet.get(job_url).get_data(as_text=True)
    assert 'role="progressbar"' in page and "js/rapport.js" in page and "<script>" not in page
    status = kvalitet.get(job_url + ".json").get_json()
    assert status["state"] == "done" and status["percent"] == 100
    pdf = kvalitet.get(status["url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    drafts = Path(app.instance_path) / "kvalitetsberattelse"
    made = sorted(drafts.glob(f"utkast-{report.id}-*.pdf"))
    assert len(made) == 1
    stamp = made[0].stat().st_mtime_ns
    # Unchanged data: the same file, not rendered again.
    kvalitet.post(f"/kvalitetsberattelse/{report.id}/skapa/pdf")
    assert sorted(drafts.glob(f"utkast-{report.id}-*.pdf")) == made
    assert made[0].stat().st_mtime_ns == stamp
    # Changed data: a new file replaces the old one.
    ops.save_inledning(org.kvalitet, report, "Ny inledning.")
    kvalitet.post(f"/kvalitetsberattelse/{report.id}/skapa/pdf")
    now = sorted(drafts.glob(f"utkast-{report.id}-*.pdf"))
    assert len(now) == 1 and now != made

    # Others get nothing of the job.
    lasare = login_as(org.lasare)
    assert lasare.get(job_url).status_code == 404
    assert lasare.get(job_url + ".json").status_code == 404
    assert lasare.get(status["url"]).status_code == 404
    assert kvalitet.get("/kvalitetsberattelse/jobb/x9-pdf").status_code == 404

    # A frozen version: rendered once by the job, then the kept file is served.
    version = ops.freeze(org.kvalitet, report, confirm=True, reason="Test")
    started = kvalitet.post(f"/kvalitetsberattelse/version/{version.id}/skapa/docx")
    assert kvalitet.get(started.location + ".json").get_json()["state"] == "done"
    kept = list(drafts.glob(f"v{version.id}-*.docx"))
    assert len(kept) == 1
    stamp = kept[0].stat().st_mtime_ns
    page = lasare.get(f"/kvalitetsberattelse/version/{version.id}").get_data(as_text=True)
    assert f"/kvalitetsberattelse/version/{version.id}.docx" in page  # ready: a plain link
    assert lasare.get(f"/kvalitetsberattelse/version/{version.id}.docx").data[:2] == b"PK"
    assert kept[0].stat().st_mtime_ns == stamp


def test_details_and_own_template(app, org, report, login_as, tmp_path):
    from docx import Document

    kvalitet = login_as(org.kvalitet)
    response = kvalitet.post(f"/kvalitetsberattelse/{report.id}/uppgifter", data={
        "diarienummer": "SN 2026/0042", "beslutsdatum": "2026-10-20",
        "numrerade_rubriker": "y"})  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(report)
    assert report.diarienummer == "SN 2026/0042" and report.bilaga_statistik is False
    assert report.numrerade_rubriker is True

    # A förvaltning's own template: its styles are used for the Word file.
    own = Document()
    own.styles["Heading 1"].font.name = "Georgia"
    own.add_paragraph("Mallens text som inte ska vara kvar")
    own.save(tmp_path / "mall.docx")
    bad = kvalitet.post(f"/kvalitetsberattelse/{report.id}/mall",
                        data={"mall": (io.BytesIO(b"inte en mall"), "mall.docx")},
                        content_type="multipart/form-data", follow_redirects=True)  # fmt: skip
    assert "kunde inte läsas" in bad.get_data(as_text=True) or "inte en Word-mall" in bad.get_data(
        as_text=True)  # fmt: skip
    ok = kvalitet.post(f"/kvalitetsberattelse/{report.id}/mall",
                       data={"mall": ((tmp_path / "mall.docx").open("rb"), "mall.docx")},
                       content_type="multipart/form-data")  # fmt: skip
    assert ok.status_code == 302
    app.config["RAPPORT_TOC_PAGE_NUMBERS"] = False
    data = kvalitet.get(f"/kvalitetsberattelse/{report.id}/utkast.docx").data
    word = Document(io.BytesIO(data))
    assert word.styles["Heading 1"].font.name == "Georgia"
    text = " ".join(p.text for p in word.paragraphs)
    assert "Mallens text" not in text and "SN 2026/0042" in text
    assert "2 Sammanfattande bedömning" in text
    # Someone who may not manage the report cannot upload.
    chef = login_as(org.chef_b1)
    assert chef.post(f"/kvalitetsberattelse/{report.id}/mall", data={}).status_code == 404


def test_the_scheduler_never_asks_for_work_in_a_frozen_or_past_report(app, org, monkeypatch):
    """Issue 19: on its first start the scheduler ordered texts in a two-year-old, frozen
    report. A frozen report of the year that just closed is left alone, and so is any year
    before it; the year that just closed still gets its draft."""
    use_only(monkeypatch)
    clock.freeze(datetime(2026, 9, 1, 6, 0))
    # The report of 2025/26 (the year that just closed) was already written and frozen.
    report = ops.start_report(org.kvalitet, org.forv, 2025)
    ops.freeze(org.kvalitet, report, confirm=True, reason="Skriven utanför Kvalitet")
    texts_before = db.session.query(Berattelsetext).count()
    notes_before = db.session.query(Notification).count()
    # A quality area added after freezing: ordering the texts again would ask for new ones.
    db.session.add(QualityArea(name="Nytt område efter frysningen", sort_order=99))
    db.session.commit()

    assert ops.compile_scheduled_draft() == []
    assert db.session.query(Berattelsetext).count() == texts_before  # nothing re-ordered
    assert db.session.query(Notification).count() == notes_before

    # A past year (two years back) given by the årshjul's caller: nothing at all.
    from kvalitet.core.periods import quality_year

    assert ops.compile_scheduled_draft(quality_year(2024)) == []
    assert db.session.query(Kvalitetsberattelse).count() == 1
    assert db.session.query(Notification).count() == notes_before

    # The year that just closed, not frozen, in another förvaltning: its draft is made.
    namnd2 = create_unit(None, "Nämnd 2", UnitKind.NAMND, None)
    create_unit(None, "Förvaltning 2", UnitKind.FORVALTNING, namnd2)
    db.session.commit()
    made = ops.compile_scheduled_draft(quality_year(2025))
    assert [(r.unit.name, r.first_year) for r in made] == [("Förvaltning 2", 2025)]
