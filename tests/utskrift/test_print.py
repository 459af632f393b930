"""One case on paper: the print view and PDF with the timeline; lex Sarah without the
reporter and read-logged; nothing for a user of another unit."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import func, select

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.operations import add_comment
from tests.avvikelser.helpers import report
from tests.lexsarah.helpers import make_case


def _reads(item) -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.item_id == item.id, AuditEntry.action == "read"
        )
    )


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.data)).pages)


def test_print_view_and_pdf_of_an_avvikelse_with_timeline(org, login_as):
    item = report(org.med_a1, unit=org.a1, description="Dörren till förrådet stod öppen.",
                  immediate_action="Dörren låstes.")  # fmt: skip
    add_comment(item, org.chef_a1, "Jag tar upp det på arbetsplatsträffen.")
    client = login_as(org.chef_a1)
    html = client.get(f"/arende/{item.ref}/utskrift").get_data(as_text=True)
    for text in (item.ref, "Dörren till förrådet stod öppen.", "Omedelbara åtgärder",
                 "Dörren låstes.", "Händelser", "arbetsplatsträffen", "Med A1"):  # fmt: skip
        assert text in html, text
    assert "Logga ut" not in html and "<form" not in html  # no menus, no forms
    pdf = _pdf_text(client.get(f"/arende/{item.ref}/utskrift.pdf"))
    for text in (item.ref, "förrådet", "arbetsplatsträffen", "Sida 1 av"):
        assert text in pdf, text
    # Another unit's chef gets nothing, not even the title.
    other = login_as(org.chef_b1)
    for url in (f"/arende/{item.ref}/utskrift", f"/arende/{item.ref}/utskrift.pdf"):
        response = other.get(url)
        assert response.status_code == 404 and "förrådet" not in response.get_data(as_text=True)


def test_lex_sarah_prints_without_the_reporter_and_is_read_logged(org, login_as):
    case = make_case(org, reporter=org.med_a2, unit=org.a1)
    client = login_as(org.sas)
    before = _reads(case)
    html = client.get(f"/arende/{case.ref}/utskrift").get_data(as_text=True)
    assert case.description in html and "Med A2" not in html and "Rapporterad av" not in html
    assert "läsloggen" in html
    assert _reads(case) == before + 1
    pdf = _pdf_text(client.get(f"/arende/{case.ref}/utskrift.pdf"))
    assert "Beviljad insats" in pdf and "Med A2" not in pdf
    assert _reads(case) == before + 2


def test_the_item_page_links_to_the_print(org, login_as):
    item = report(org.med_a1, unit=org.a1)
    page = login_as(org.chef_a1).get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    assert f"/arende/{item.ref}/utskrift" in page and f"/arende/{item.ref}/utskrift.pdf" in page
