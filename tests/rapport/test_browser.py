"""The draft's Word/PDF is made in the background: the browser follows the progress and is
offered the file when it is ready (real Chromium, real HTTP)."""

from __future__ import annotations

import pytest

from kvalitet.extensions import db
from kvalitet.rapport import operations as ops
from tests.conftest import browser_login
from tests.rapport.helpers import YEAR, use_only


@pytest.mark.browser
def test_progress_page_offers_the_file_when_ready(app, org, live_server, page, monkeypatch):
    use_only(monkeypatch)
    app.config["RAPPORT_TOC_PAGE_NUMBERS"] = False
    report = ops.start_report(org.kvalitet, org.forv, YEAR)
    db.session.commit()  # the live server's requests are other connections
    browser_login(page, live_server, org.kvalitet.email)
    page.goto(f"{live_server}/kvalitetsberattelse/{report.id}")
    page.get_by_role("button", name="Skapa utkast som PDF").click()
    page.wait_for_url("**/jobb/d*-pdf")
    page.get_by_role("progressbar").wait_for(state="attached")
    link = page.get_by_role("link", name="Hämta PDF-filen")
    link.wait_for(state="visible", timeout=120000)
    assert link.evaluate("element => element === document.activeElement")
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as handle:
        assert handle.read(4) == b"%PDF"
