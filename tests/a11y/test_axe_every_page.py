"""axe-core over every page of every demo role, at desktop (1280 px) and phone (390 px)
width, failing on any violation of any impact (WCAG 2.0, 2.1 and 2.2, A and AA).

"Every page": for each demo role, the start page, every menu entry the role has, and from
each of those list pages the first item it links to (one detail page per list), plus the
public e-tjänst and its tillgänglighetsredogörelse."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kvalitet.demo import DEMO_PASSWORD, DEMO_USERS
from kvalitet.extensions import db
from kvalitet.start.views import HELP_PAGES
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.long]

AXE = (Path(__file__).parent.parent / "e2e" / "vendor" / "axe.min.js").read_text("utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SKIP = re.compile(r"\.(pdf|docx|xlsx|csv|ics|zip)$|format=|export=|/bilaga/|/logga-ut")
ITEM = re.compile(r"^/(arende|avvikelser|lexsarah|synpunkter|atgarder|risker|egenkontroll|"
                  r"arshjul|rapport|lexmaria|mal)/[A-Z]{2,4}-\d{4}-\d{4}$")  # fmt: skip


def violations(page) -> list[dict]:
    """Every axe-core violation (any impact) on the page, with the elements."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Runtime.evaluate", {"expression": AXE})
    cdp.detach()
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def _links(page, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    paths = []
    for href in hrefs:
        if not href or href.startswith("#") or href.startswith("mailto:"):
            continue
        parts = urlsplit(href)
        if parts.netloc and not href.startswith(base):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(path):
            paths.append(path)
    return list(dict.fromkeys(paths))


def _pages_of_role(page, base: str) -> list[str]:
    menu = _links(page, base, "header a[href]")
    pages = ["/", *menu]
    for path in menu:
        page.goto(base + path)
        first = next((p for p in _links(page, base, "main a[href]") if ITEM.match(p)), None)
        if first:
            pages.append(first)
    return list(dict.fromkeys(pages))


# One test per width, so that pytest-xdist runs the two at once: together they were the
# suite's longest test (nine minutes of one worker while the other had finished).
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_nothing_on_any_page_of_any_role(app, live_server, browser, width):
    from kvalitet import demo

    demo.build()
    db.session.commit()
    found: dict[str, list] = {}
    checked = 0
    if width == 1280:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    else:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE",
                                      is_mobile=True, has_touch=True)  # fmt: skip
    try:
        if width == 1280:
            anon = context.new_page()
            for path in (
                "/synpunkter/lamna",
                "/tillganglighet",
                "/logga-in",
                "/hjalp/",
                *(f"/hjalp/{kind}" for kind in HELP_PAGES),
            ):
                anon.goto(live_server + path)
                checked += 1
                if v := violations(anon):
                    found[f"anonym {path}"] = v
            anon.close()
        for key, _name, email, *_rest in DEMO_USERS:
            context.clear_cookies()
            page = context.new_page()
            browser_login(page, live_server, email, DEMO_PASSWORD)
            for path in _pages_of_role(page, live_server):
                page.goto(live_server + path)
                checked += 1
                if v := violations(page):
                    found[f"{key} {width}px {path}"] = v
            page.close()
    finally:
        context.close()
    assert checked > 100
    assert found == {}, "\n".join(f"{where}: {v}" for where, v in found.items())
