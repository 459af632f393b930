"""The other documents on the kvalitetsberättelse's machinery (issue 18, point 7): the lex
Sarah IVO summary comes out as PDF and Word through kvalitet.items.documents, with the
shared title page, numbered headings and tables that fit, and never the reporter."""

from __future__ import annotations

import io

from docx import Document
from pypdf import PdfReader

from kvalitet.core import clock
from kvalitet.lexsarah import operations as ops
from kvalitet.rapport import fitcheck
from tests.conftest import make_user
from tests.lexsarah.helpers import investigate, make_case


def _case(org):  # type: ignore[no-untyped-def]
    reporter = make_user("Rebecka Rapportsson", "medarbetare", org.a1, title="Undersköterska")
    case = make_case(org, reporter=reporter, title="Utebliven tillsyn nattetid",
                     description="Nattillsyn gjordes inte enligt genomförandeplanen.")  # fmt: skip
    ops.assess(case, org.sas, "missforhallande", "Allvarlig brist.")
    investigate(case, org.sas)
    ops.decide(case, org.sas, outcome="missforhallande", allvarligt=True,
               decision_maker_id=org.avdchef_a.id, decision_date=clock.today(),
               reason="Allvarlig brist i tillsyn.")  # fmt: skip
    ops.file_ivo(case, org.sas, filed_date=clock.today(), channel="post",
                 region="IVO Region Öst", attached=False)  # fmt: skip
    return case


FACTS = ("Utebliven tillsyn nattetid", "Nattillsyn gjordes inte", "IVO Region Öst",
         "Allvarlig brist i tillsyn", "Samtal med personal")  # fmt: skip


def test_the_ivo_summary_as_pdf_and_word_on_the_shared_machinery(app, org, login_as, tmp_path):  # type: ignore[no-untyped-def]
    case = _case(org)
    sas = login_as(org.sas)

    pdf = sas.get(f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "ivo.pdf").write_bytes(pdf.data)  # to look at: pytest --basetemp=DIR
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(io.BytesIO(pdf.data)).pages)  # fmt: skip
    for fact in (*FACTS, case.ref, org.avdchef_a.name):
        assert fact in text, fact
    # The shared machinery: numbered headings, the running header, "Sida X av Y".
    assert "1 Uppgifter om huvudman och verksamhet" in text
    assert "5.2" in text  # the utredning's sections are numbered beneath it
    assert "Sida 2 av" in text and "Innehåll" not in text  # no table of contents
    assert "Rebecka" not in text and "Undersköterska" not in text
    assert fitcheck.inspect(pdf.data).outside == []  # nothing outside the text area

    word = sas.get(f"/lexsarah/{case.ref}/ivo-sammanstallning.docx")
    assert word.status_code == 200 and "wordprocessingml" in word.mimetype
    (tmp_path / "ivo.docx").write_bytes(word.data)
    doc = Document(io.BytesIO(word.data))
    body = " ".join(p.text for p in doc.paragraphs) + " ".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    for fact in (*FACTS, case.ref):
        assert fact in body, fact
    assert "Rebecka" not in body
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "1 Uppgifter om huvudman och verksamhet" in headings, headings
    assert len(doc.tables) == 4 and all(len(t.columns) == 2 for t in doc.tables)


def test_only_the_sas_gets_the_word_file_and_it_is_read_logged(app, org, login_as):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from kvalitet.core.audit import AuditEntry
    from kvalitet.extensions import db

    case = _case(org)
    assert (
        login_as(org.chef_a1).get(f"/lexsarah/{case.ref}/ivo-sammanstallning.docx").status_code
        == 404
    )
    before = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.item_id == case.id, AuditEntry.action == "read"))  # fmt: skip
    assert (
        login_as(org.sas).get(f"/lexsarah/{case.ref}/ivo-sammanstallning.docx").status_code == 200
    )
    after = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.item_id == case.id, AuditEntry.action == "read"))  # fmt: skip
    assert after == before + 1
