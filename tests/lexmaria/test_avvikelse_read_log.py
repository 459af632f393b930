"""HSLF-FS 2016:40 4 kap.: every access to health-care records is logged. A health-care
avvikelse (hälso- och sjukvård) is such a record, so every response that carries its content
writes one read-log row, as lex Sarah's do (tests/security/test_read_log.py walks the same URL
map). A SoL/LSS avvikelse is not logged."""

from __future__ import annotations

import io

from sqlalchemy import select

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Attachment
from kvalitet.items.operations import add_attachment
from tests.api.conftest import api_as  # noqa: F401  (the API client fixture)
from tests.avvikelser.helpers import report
from tests.security.test_read_log import _reads, walk_routes

DESCRIPTION = "Insulinet gavs två timmar för sent under natten kvartsljus."
ATTACHMENT = b"Signeringslistan visar att dosen ekorrsvans inte signerades."


def test_every_route_serving_a_health_care_avvikelse_logs_the_read(app, org, login_as, api_as):  # type: ignore[no-untyped-def]  # noqa: F811
    item = report(org.med_a1, unit=org.a1, title="Läkemedel", description=DESCRIPTION,
                  health_care=True)  # fmt: skip
    add_attachment(item, org.mas, "signering.txt", io.BytesIO(ATTACHMENT))
    attachment = db.session.scalar(select(Attachment).where(Attachment.item_id == item.id))
    db.session.commit()
    carrying, wrong = walk_routes(app, item, attachment, login_as(org.mas), api_as(org.mas))
    found = {f"/avvikelser/{item.ref}", f"/avvikelser/{item.ref}/andra",
             f"/bilaga/{attachment.id}", f"/api/v1/avvikelser/{item.ref}"}  # fmt: skip
    assert found <= set(carrying), carrying
    assert wrong == []
    row = db.session.scalar(
        select(AuditEntry).where(AuditEntry.item_id == item.id, AuditEntry.action == "read")
    )
    assert row is not None and row.user_id == org.mas.id


def test_a_sol_avvikelse_is_not_read_logged(app, org, login_as, api_as):  # type: ignore[no-untyped-def]  # noqa: F811
    item = report(org.med_a1, unit=org.a1, title="Beslut", description=DESCRIPTION)
    add_attachment(item, org.chef_a1, "signering.txt", io.BytesIO(ATTACHMENT))
    attachment = db.session.scalar(select(Attachment).where(Attachment.item_id == item.id))
    db.session.commit()
    web = login_as(org.chef_a1)
    assert web.get(f"/avvikelser/{item.ref}").status_code == 200
    assert web.get(f"/bilaga/{attachment.id}").status_code == 200
    assert _reads(item.id) == 0


def test_the_mas_reviews_health_care_avvikelse_reads_in_the_loggkontroll(app, org, login_as):  # type: ignore[no-untyped-def]
    item = report(org.med_a1, unit=org.a1, title="Fall", description=DESCRIPTION,
                  health_care=True)  # fmt: skip
    db.session.commit()
    assert login_as(org.chef_a1).get(f"/avvikelser/{item.ref}").status_code == 200
    page = login_as(org.mas).get("/lexmaria/lasloggen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert item.ref in html and org.chef_a1.name in html
