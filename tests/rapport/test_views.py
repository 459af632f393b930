"""Pages of the kvalitetsberättelse: who sees drafts, frozen versions and nothing; freezing
with checksum; writing a text through the form; the scheduled draft."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.notify.models import Notification
from kvalitet.org.models import UnitKind
from kvalitet.org.operations import create_unit
from kvalitet.rapport import operations as ops
from kvalitet.rapport.models import (
    Berattelsetext,
    FrozenVersionImmutable,
    Kvalitetsberattelse,
    RapportVersion,
    TextStatus,
)
from tests.conftest import make_user
from tests.rapport.helpers import YEAR, dataset, fake_synpunkter, use_only


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

    response = kvalitet.post(f"/kvalitetsberattelse/{report.id}/frys",
                             data={"comment": "Till nämnden i oktober"})  # fmt: skip
    assert response.status_code == 302
    version = db.session.scalars(select(RapportVersion)).one()
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
    ops.freeze(org.kvalitet, report)
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
