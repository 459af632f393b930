"""Legal references as data: the wording that applied on a date, edited by an administrator,
printed by templates and documents."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.lagrum.lookup import REFERENCES, lagrum
from kvalitet.lagrum.models import Lagrum
from kvalitet.rapport import operations as rapport_ops
from kvalitet.rapport.document import compile_document


def test_the_law_of_the_date(app):
    assert lagrum("sol", date(2021, 6, 1)) == "socialtjänstlagen (2001:453)"
    assert lagrum("sol", date(2025, 6, 30)) == "socialtjänstlagen (2001:453)"
    assert lagrum("sol", date(2025, 7, 1)) == "socialtjänstlagen (2025:400)"
    assert lagrum("sol_lex_sarah", date(2021, 6, 1)).startswith("14 kap. 3–7 §§")
    # A datetime is taken in Swedish time: 30 June 22:30 UTC is already 1 July in Sweden.
    assert lagrum("sol", datetime(2025, 6, 30, 22, 30, tzinfo=UTC)) == (
        "socialtjänstlagen (2025:400)"
    )
    assert lagrum("sosfs_2011_9", date(2021, 1, 1)) == "SOSFS 2011:9"
    assert "HSLF-FS 2023:27" in lagrum("sosfs_2011_9", date(2025, 1, 1))
    # Before the first date, the first wording.
    assert lagrum("psl", date(2000, 1, 1)) == "patientsäkerhetslagen (2010:659)"
    with pytest.raises(KeyError):
        lagrum("finns_inte")
    # Every built-in reference is seeded as rows.
    keys = set(db.session.scalars(select(Lagrum.key).distinct()))
    assert keys == set(REFERENCES)
    for key in (
        "lss",
        "psl_lex_maria",
        "psl_information",
        "psl_berattelse",
        "hslf_2017_40",
        "hslf_2016_40",
        "sosfs_2011_5",
    ):
        assert lagrum(key)


def test_administrator_adds_and_corrects_a_wording(org, login_as):
    assert login_as(org.kvalitet).get("/admin/lagrum/").status_code == 403
    admin = login_as(org.admin)
    page = admin.get("/admin/lagrum/")
    assert page.status_code == 200 and "socialtjänstlagen (2025:400)" in page.text
    r = admin.post(
        "/admin/lagrum/",
        {
            "key": "psl_lex_maria",
            "valid_from": "2027-01-01",
            "text": "3 kap. 5 § patientsäkerhetslagen (2026:999)",
        },
    )
    assert r.status_code == 302
    assert (
        lagrum("psl_lex_maria", date(2026, 12, 31)) == "3 kap. 5 § patientsäkerhetslagen (2010:659)"
    )
    assert (
        lagrum("psl_lex_maria", date(2027, 1, 1)) == "3 kap. 5 § patientsäkerhetslagen (2026:999)"
    )
    # The same date twice, or no text: a message at the field, nothing saved.
    again = admin.post(
        "/admin/lagrum/", {"key": "psl_lex_maria", "valid_from": "2027-01-01", "text": "x"}
    )
    assert again.status_code == 422 and "redan en lydelse från det datumet" in again.text
    bad = admin.post(
        "/admin/lagrum/", {"key": "Ogiltig nyckel!", "valid_from": "2027-01-01", "text": "x"}
    )
    assert bad.status_code == 422 and "små bokstäver" in bad.text
    row = db.session.scalars(
        select(Lagrum).where(Lagrum.key == "sol", Lagrum.valid_from == date(2025, 7, 1))
    ).one()
    empty = admin.post(f"/admin/lagrum/{row.id}", {"valid_from": "2025-07-01", "text": ""})
    assert empty.status_code == 422
    r = admin.post(
        f"/admin/lagrum/{row.id}",
        {"valid_from": "2025-07-01", "text": "socialtjänstlagen (SFS 2025:400)"},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert lagrum("sol", date(2026, 1, 1)) == "socialtjänstlagen (SFS 2025:400)"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "lagrum")).all()
    assert len(entries) == 2 and entries[-1].before["text"] == "socialtjänstlagen (2025:400)"


def test_a_report_of_2021_prints_the_law_of_2021(org):
    old = rapport_ops.start_report(None, org.forv, 2021, check=False)
    new = rapport_ops.start_report(None, org.forv, 2025, check=False)
    intro_old = compile_document(old)["blocks"][1]["text"]
    intro_new = compile_document(new)["blocks"][1]["text"]
    assert "(SOSFS 2011:9, 7 kap. 1 §)" in intro_old
    assert "(SOSFS 2011:9 (ändrad genom HSLF-FS 2023:27), 7 kap. 1 §)" in intro_new


def test_lex_sarah_summary_prints_the_law_of_the_report_date(org, login_as):
    from kvalitet.lexsarah import operations as lxs

    clock.freeze(datetime(2024, 3, 4, 10, 0, tzinfo=STOCKHOLM))
    case = lxs.report(
        org.med_a1,
        unit=org.a1,
        title="Insats uteblev",
        description="Beviljad insats utfördes inte.",
    )
    clock.freeze(None)
    pdf = login_as(org.sas).get(f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    flat = " ".join(text.split())
    assert "14 kap. 3–7 §§ socialtjänstlagen (2001:453)" in flat
    assert "2025:400" not in flat
    assert "26 kap. 1 § offentlighets- och sekretesslagen (2009:400)" in flat


def test_the_footer_prints_the_current_wording(org, login_as):
    page = login_as(org.med_a1).get("/")
    assert (
        "systematiskt kvalitetsarbete enligt SOSFS 2011:9 (ändrad genom HSLF-FS 2023:27)"
        in page.text
    )
