"""axe-core (WCAG 2.0-2.2 A/AA, any impact) on the pages issue 19 changed for the kinds:
the kvalitetsområden section of the panel, a refused panel form with its message at the
field, the report and synpunkt forms with their titles and theme checkboxes, the e-tjänst
with its logo, the statistics per kvalitetsområde, an empty list and the new help pages;
at 1280 px and at 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvalitet.extensions import db
from kvalitet.items.operations import change_quality_areas
from kvalitet.synpunkter import operations as syn_ops
from tests.a11y.test_axe_every_page import violations
from tests.avvikelser.helpers import report
from tests.conftest import browser_login

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_no_violations_on_the_changed_pages(app, org, live_server, browser, width):  # type: ignore[no-untyped-def]
    folder = Path(app.instance_path) / "static"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logo.png").write_bytes(PNG)
    app.config["KOMMUN_LOGO_URL"] = "logo.png"
    item = report(org.med_a1, org.a1, description="Beslutet skickades inte till den enskilde.")
    change_quality_areas(item, org.chef_a1, [1, 4])
    syn = syn_ops.register(org.registrator, unit=org.a1, typ="klagomal", kalla="brukare",
                           kanal="telefon", description="Svårt att nå handläggaren.")  # fmt: skip
    db.session.commit()
    context = browser.new_context(locale="sv-SE", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    found: dict[str, list[dict]] = {}
    try:
        page.goto(f"{live_server}/synpunkter/lamna")
        found["/synpunkter/lamna"] = violations(page)
        browser_login(page, live_server, org.chef_a1.email)
        paths = [
            f"/avvikelser/{item.ref}", "/avvikelser/ny", "/avvikelser/statistik",
            f"/synpunkter/{syn.ref}", "/synpunkter/ny", "/synpunkter/muntlig",
            "/synpunkter/statistik", "/risker/", "/hjalp/atgard", "/hjalp/riskanalys",
        ]  # fmt: skip
        for path in paths:
            page.goto(live_server + path)
            found[path] = violations(page)
        # A refused panel form: the message next to the field.
        page.goto(f"{live_server}/avvikelser/{item.ref}")
        page.get_by_label("Ny kommentar").fill("Gäller 19121212-1212")
        page.get_by_role("button", name="Spara kommentar").click()
        page.get_by_test_id("panel-fel").wait_for()
        found["refused comment"] = violations(page)
    finally:
        context.close()
    bad = {path: v for path, v in found.items() if v}
    assert not bad, bad
