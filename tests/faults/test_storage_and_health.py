"""Storage faults and /healthz: an attachment that cannot be written gives a Swedish message,
saves nothing and leaves no file; /healthz answers JSON, 503 when the database or the
scheduler's heartbeat is missing."""

from __future__ import annotations

import errno
import io
import os
from datetime import date

import pytest
from sqlalchemy import func, select

from kvalitet import create_app
from kvalitet.arshjul import scheduler
from kvalitet.atgarder.models import Atgard
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Attachment
from kvalitet.items.operations import new_item
from tests.api.conftest import api_as  # noqa: F401  (fixture)


def _item(org) -> Atgard:
    item = new_item(Atgard, org.chef_a1, title="Uppdatera rutin", unit_id=org.a1.id,
                    owner_id=org.chef_a1.id, due_date=date(2026, 12, 1))  # fmt: skip
    db.session.commit()
    return item


def _disk_full(monkeypatch) -> None:
    """The OS write fails as on a full disk (after a partial write of the first chunk)."""
    real_write = os.write
    calls = {"n": 0}

    def write(fd: int, data) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", write)


def _nothing_saved(folder) -> None:
    db.session.rollback()
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert not db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "attach"))
    assert list(folder.iterdir()) == [] if folder.exists() else True


def test_full_disk_through_the_web(app, org, login_as, tmp_path, monkeypatch):
    folder = tmp_path / "bilagor"
    app.config["ATTACHMENT_DIR"] = str(folder)
    item = _item(org)
    client = login_as(org.chef_a1)
    _disk_full(monkeypatch)
    response = client.post(
        f"/arende/{item.id}/bilaga",
        {"file": (io.BytesIO(b"%PDF-1.4 " + b"x" * 5000), "rapport.pdf")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert "Det gick inte att spara bilagan" in response.get_data(as_text=True)
    _nothing_saved(folder)


def test_full_disk_through_the_api(app, org, api_as, tmp_path, monkeypatch):  # noqa: F811
    folder = tmp_path / "bilagor"
    app.config["ATTACHMENT_DIR"] = str(folder)
    item = _item(org)
    api = api_as(org.chef_a1)
    _disk_full(monkeypatch)
    response = api.raw.post(
        f"/api/v1/atgarder/{item.ref}/attachments",
        headers={"Authorization": f"Bearer {api.token}"},
        data={"file": (io.BytesIO(b"%PDF-1.4 " + b"x" * 5000), "rapport.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert "Det gick inte att spara bilagan" in response.get_json()["error"]["message"]
    _nothing_saved(folder)


def test_unwritable_location(app, org, login_as, tmp_path):
    # Not writable even for root: the configured folder lies below a regular file.
    blocker = tmp_path / "fil"
    blocker.write_text("")
    app.config["ATTACHMENT_DIR"] = str(blocker / "bilagor")
    item = _item(org)
    client = login_as(org.chef_a1)
    response = client.post(
        f"/arende/{item.id}/bilaga", {"file": (io.BytesIO(b"hej"), "a.txt")},
        content_type="multipart/form-data", follow_redirects=True,
    )  # fmt: skip
    assert "Det gick inte att spara bilagan" in response.get_data(as_text=True)
    _nothing_saved(tmp_path / "ingen")


def test_attachment_still_saved_normally(app, org, login_as, tmp_path):
    folder = tmp_path / "bilagor"
    app.config["ATTACHMENT_DIR"] = str(folder)
    item = _item(org)
    client = login_as(org.chef_a1)
    client.post(f"/arende/{item.id}/bilaga", {"file": (io.BytesIO(b"hej"), "a.txt")},
                content_type="multipart/form-data")  # fmt: skip
    (stored,) = folder.iterdir()
    assert stored.read_bytes() == b"hej"
    assert db.session.scalar(select(func.count(Attachment.id))) == 1


def test_healthz_ok_with_database_and_heartbeat(app):
    client = app.test_client()
    missing = client.get("/healthz")
    assert missing.status_code == 503
    assert missing.get_json()["database"] == "ok"
    assert missing.get_json()["scheduler"]["status"] == "saknas"
    assert scheduler.acquire_lease("host:1:abc")
    ok = client.get("/healthz")
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["scheduler"]["holder"] == "host:1:abc" and body["scheduler"]["heartbeat_at"]


def test_healthz_stale_heartbeat_is_503(app):
    assert scheduler.acquire_lease("host:1:abc", seconds=1)
    app.config["SCHEDULER_LEASE_SECONDS"] = 0
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["scheduler"]["status"] == "saknas"


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres:postgres@127.0.0.1:1/nowhere", "sqlite:////nonexistent/dir/x.db"],
    ids=["postgresql-down", "sqlite-missing"],
)
def test_healthz_during_a_database_outage_is_json_503(tmp_path, url):
    outage = create_app({"DATABASE_URL": url, "TESTING": True,
                         "SECRET_KEY": "test", "SQLALCHEMY_ENGINE_OPTIONS": {}})  # fmt: skip
    response = outage.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "fel", "database": "fel", "scheduler": None}
