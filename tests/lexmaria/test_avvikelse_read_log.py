"""HSLF-FS 2016:40 4 kap.: every access to health-care records is logged. A health-care
avvikelse (hälso- och sjukvård) is such a record, so every response that carries its content
writes one read-log row, as lex Sarah's do (tests/security/test_read_log.py walks the same URL
map). A SoL/LSS avvikelse is not logged."""

from __future__ import annotations

import io

from sqlalchemy import func, select
from werkzeug.routing import BuildError

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Attachment
from kvalitet.items.operations import add_attachment
from tests.api.conftest import api_as  # noqa: F401  (the API client fixture)
from tests.avvikelser.helpers import report
from tests.security.test_read_log import _get_routes, _text

DESCRIPTION = "Insulinet gavs två timmar för sent under natten kvartsljus."
ATTACHMENT = b"Signeringslistan visar att dosen ekorrsvans inte signerades."
MARKERS = ("kvartsljus", "ekorrsvans")


def _reads(item_id: int) -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.item_id == item_id, AuditEntry.action == "read"
        )
    )


def _walk(app, item, attachment, web, api):  # type: ignore[no-untyped-def]
    """(urls whose response carried the item's content, [(url, rows written)] where that was
    not exactly one)."""
    values = {"ref": item.ref, "item_id": item.id, "attachment_id": attachment.id}
    adapter = app.url_map.bind("localhost")
    carrying, wrong = [], []
    for rule in _get_routes(app):
        if not rule.arguments <= set(values):
            continue
        try:
            url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})
        except BuildError:
            continue
        for suffix in ("", "?format=xlsx", "?format=csv", "?export=xlsx"):
            if suffix and rule.arguments:
                continue
            client = api if url.startswith("/api/") else web
            before = _reads(item.id)
            response = client.get(url + suffix)
            if response.status_code != 200 or not any(m in _text(response) for m in MARKERS):
                continue
            carrying.append(url + suffix)
            if _reads(item.id) != before + 1:
                wrong.append((url + suffix, _reads(item.id) - before))
    return carrying, wrong


def test_every_route_serving_a_health_care_avvikelse_logs_the_read(app, org, login_as, api_as):  # type: ignore[no-untyped-def]  # noqa: F811
    item = report(org.med_a1, unit=org.a1, title="Läkemedel", description=DESCRIPTION,
                  health_care=True)  # fmt: skip
    add_attachment(item, org.mas, "signering.txt", io.BytesIO(ATTACHMENT))
    attachment = db.session.scalar(select(Attachment).where(Attachment.item_id == item.id))
    db.session.commit()
    carrying, wrong = _walk(app, item, attachment, login_as(org.mas), api_as(org.mas))
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
