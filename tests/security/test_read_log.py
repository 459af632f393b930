"""Every response that carries lex Sarah content writes a read-log row. The routes are not
listed by hand: every GET route of the application is asked, with the case's reference, id and
attachment id filled in where the route takes them, by the SAS (who may see the case) through
the web or the API, and every response that carries the case's content must have grown the
read log by exactly one row."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Attachment
from kvalitet.items.operations import add_attachment
from tests.lexsarah.helpers import make_case

DESCRIPTION = "Larmet i lägenheten besvarades inte under natten kvartsljus."
ATTACHMENT = b"Utredningsanteckning: nattpersonalen hade inte fatt larmet ekorrsvans."
MARKERS = ("kvartsljus", "ekorrsvans")


def _reads(item_id: int) -> int:
    return db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.item_id == item_id, AuditEntry.action == "read"
        )
    )


def _text(response) -> str:
    """The readable text of a response: HTML, JSON, PDF, Word, Excel, CSV or a plain file."""
    data = response.get_data()
    kind = response.mimetype or ""
    try:
        if kind == "application/pdf":
            return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        if "wordprocessingml" in kind:
            return " ".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        if "spreadsheetml" in kind:
            book = load_workbook(io.BytesIO(data), read_only=True)
            return " ".join(str(c) for ws in book for row in ws.iter_rows(values_only=True)
                            for c in row if c is not None)  # fmt: skip
    except (zipfile.BadZipFile, ValueError, KeyError):
        pass
    return data.decode("utf-8", errors="replace")


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and rule.endpoint != "static":
            yield rule


def walk_routes(app, item, attachment, web, api):  # type: ignore[no-untyped-def]
    """Ask every GET route of the URL map that can be built for `item` (and its attachment),
    web and API, with the export suffixes. Returns (urls whose response carried the item's
    content, [(url, read rows written)] where that was not exactly one)."""
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


def test_every_route_serving_lex_sarah_content_logs_the_read(app, org, login_as, api_as):
    case = make_case(org, description=DESCRIPTION)
    add_attachment(case, org.sas, "anteckning.txt", io.BytesIO(ATTACHMENT))
    attachment = db.session.scalar(select(Attachment))
    db.session.commit()
    carrying, unlogged = walk_routes(app, case, attachment, login_as(org.sas), api_as(org.sas))
    # The test really found the routes (it would pass vacuously otherwise).
    assert {f"/lexsarah/{case.ref}", f"/bilaga/{attachment.id}",
            f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf",
            f"/api/v1/lexsarah/{case.ref}"} <= set(carrying), carrying  # fmt: skip
    assert unlogged == []


def test_no_content_is_served_when_the_read_log_cannot_be_written(app, org, login_as, monkeypatch):
    from kvalitet.core import audit

    case = make_case(org, description=DESCRIPTION)
    add_attachment(case, org.sas, "anteckning.txt", io.BytesIO(ATTACHMENT))
    attachment = db.session.scalar(select(Attachment))
    db.session.commit()
    web = login_as(org.sas)

    def broken(user, item):
        raise RuntimeError("the audit table is not writable")

    monkeypatch.setattr(audit, "log_read", broken)
    for url in (f"/lexsarah/{case.ref}", f"/bilaga/{attachment.id}",
                f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf"):  # fmt: skip
        response = web.get(url)
        assert response.status_code == 500, url
        assert not any(m in _text(response) for m in MARKERS), url


def test_read_log_setting_is_on_by_default(app):
    assert app.config["AUDIT_SENSITIVE_READS"] is True
