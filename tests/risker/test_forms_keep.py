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
