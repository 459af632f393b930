""" "Överför till lex Sarah" from a deviation keeps both items, linked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.items.models import ItemLink
from kvalitet.lexsarah.models import LexSarahArende, Rapportor

pytest.importorskip("kvalitet.avvikelser.operations")


def test_transfer_keeps_both_and_links(org, login_as, app):
    from tests.avvikelser.helpers import report

    avv = report(
        org.med_a1,
        org.a1,
        description="Brukaren lämnades ensam trots beslut.",
        consequence_actual="Oro och otrygghet.",
        immediate_action="Personal kallades in.",
    )
    med = login_as(org.med_a1)
    with app.test_request_context():
        from kvalitet.items.queries import detail_url

        url = detail_url(avv)
    page = med.get(url)
    assert page.status_code == 200 and "Överför till lex Sarah" in page.text
    r = med.post(f"/lexsarah/fran-avvikelse/{avv.id}", {})
    assert r.status_code == 302
    case = db.session.scalars(select(LexSarahArende)).one()
    assert case.unit_id == org.a1.id and "lämnades ensam" in case.description
    assert case.consequences == "Oro och otrygghet."
    assert case.immediate_measures == "Personal kallades in." and case.immediate_measures_at
    assert case.reporter_id is None
    assert db.session.scalars(select(Rapportor.user_id)).one() == org.med_a1.id
    link = db.session.scalars(select(ItemLink)).one()
    assert (link.source_id, link.target_id, link.link_type) == (avv.id, case.id, "harledd")
    # The deviation stays; the medarbetare sees it is transferred but cannot open the case.
    after = med.get(url).text
    assert "överförd till lex Sarah" in after and 'data-testid="overfor-lexsarah"' not in after
    assert med.get(f"/lexsarah/{case.ref}").status_code == 404
    # Only once.
    med.post(f"/lexsarah/fran-avvikelse/{avv.id}", {})
    assert len(db.session.scalars(select(LexSarahArende)).all()) == 1
    # Someone who cannot see the deviation cannot transfer it.
    assert login_as(org.med_a2).post(f"/lexsarah/fran-avvikelse/{avv.id}", {}).status_code == 404
    # SAS sees the link from the case to the deviation only if SAS may see the deviation.
    assert login_as(org.sas).get(f"/lexsarah/{case.ref}").status_code == 200
