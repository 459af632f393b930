"""The case page's shared forms (comment, link, cancel, kvalitetsområden) keep what was
typed when one is refused, with the message next to the field (issue 19 point 4)."""

from __future__ import annotations

import re

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.items.models import Comment, QualityArea
from kvalitet.items.operations import change_quality_areas
from kvalitet.risker.operations import create_risk


def _risk(org):  # type: ignore[no-untyped-def]
    item = create_risk(org.chef_a1, unit=org.a1, title="Beslut når inte den enskilde",
                       likelihood=3, consequence=4)  # fmt: skip
    db.session.commit()
    return item


def test_refused_comment_keeps_its_text_and_the_areas_their_choice(org, login_as):  # type: ignore[no-untyped-def]
    item = _risk(org)
    area = db.session.scalars(select(QualityArea).order_by(QualityArea.sort_order)).first()
    change_quality_areas(item, org.chef_a1, [area.id])
    db.session.commit()
    chef = login_as(org.chef_a1)
    text = "Diskuterat på APT med 19121212-1212 närvarande"
    response = chef.post(f"/arende/{item.id}/kommentar", {"body": text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    comment = re.search(r'<textarea[^>]*id="kommentar"[^>]*>(.*?)</textarea>', page, re.S)
    assert comment is not None and comment.group(1) == text
    assert 'aria-describedby="kommentar-fel"' in comment.group(0)
    error = page.split('id="kommentar-fel"')[1][:200]
    assert "personnummer" in error
    assert re.search(rf'value="{area.id}" id="omrade-{area.id}" checked', page)
    assert "Beslut når inte den enskilde" in page  # the risk page itself
    assert db.session.scalar(select(Comment)) is None


def test_refused_link_and_cancel_keep_their_input(org, login_as):  # type: ignore[no-untyped-def]
    item = _risk(org)
    chef = login_as(org.chef_a1)
    response = chef.post(f"/arende/{item.id}/koppla", {"target": "AVV-2026-9999",
                                                        "link_type": "relaterad"})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="lank-mal"[^>]*value="AVV-2026-9999"', page)
    assert "Hittar inget ärende" in page.split('id="lank-mal-fel"')[1][:200]
    response = chef.post(f"/arende/{item.id}/makulera",
                         {"reason": "   ", "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ange varför ärendet makuleras." in page.split('id="makulera-skal-fel"')[1][:200]
    assert '<details class="mb-3" open><summary>Makulera ärendet' in page
    db.session.refresh(item)
    assert item.cancelled_at is None


def test_help_pages_for_atgard_and_riskanalys_are_linked(org, login_as, client):  # type: ignore[no-untyped-def]
    for slug, heading, law in (("atgard", "Förbättringsåtgärder", "SOSFS 2011:9"),
                               ("riskanalys", "Riskanalys", "5 kap. 1 §")):  # fmt: skip
        page = client.get(f"/hjalp/{slug}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f'<h1 class="h3">{heading}</h1>' in html and law in html
        assert "Vad stegen betyder" in html
    item = _risk(org)
    chef = login_as(org.chef_a1)
    assert 'href="/hjalp/riskanalys"' in chef.get("/risker/ny").get_data(as_text=True)
    assert 'href="/hjalp/riskanalys"' in chef.get(f"/risker/{item.ref}").get_data(as_text=True)
    assert 'href="/hjalp/atgard"' in chef.get("/atgarder/ny").get_data(as_text=True)


def test_empty_lists_say_why(org, login_as):  # type: ignore[no-untyped-def]
    chef = login_as(org.chef_a1)
    page = chef.get("/risker/").get_data(as_text=True)
    empty = page.split('data-testid="empty"')[1].split("</div>")[0]
    assert "Det finns inga risker ännu" in empty and 'href="/risker/ny"' in empty
    page = chef.get("/avvikelser/?status=avslutad").get_data(as_text=True)
    empty = page.split('data-testid="empty"')[1].split("</div>")[0]
    assert "Inga avvikelser matchar urvalet." in empty
    assert "Ta bort något filter" in empty and 'href="/avvikelser/"' in empty
    page = login_as(org.lasare).get("/avvikelser/").get_data(as_text=True)
    assert 'data-testid="aggregate-note"' in page and "Det finns inga avvikelser ännu" not in page


def test_review_date_is_the_due_date(org):  # type: ignore[no-untyped-def]
    from datetime import date

    from kvalitet.risker.operations import update_risk

    item = create_risk(org.chef_a1, unit=org.a1, title="Risk", likelihood=2, consequence=2,
                       review_date=date(2027, 3, 1))  # fmt: skip
    assert item.due_date == date(2027, 3, 1)
    update_risk(org.chef_a1, item, review_date=date(2027, 6, 1))
    assert item.due_date == date(2027, 6, 1)
