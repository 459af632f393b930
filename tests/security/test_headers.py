"""Security headers, a strict Content-Security-Policy that the pages really live with (no
inline script, style or handlers left in templates/), and Secure cookies by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kvalitet import create_app
from kvalitet.org.sessions import cookies_secure
from tests.conftest import BASE_CONFIG

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_strict_csp_and_friends_on_every_page(org, login_as):
    client = login_as(org.chef_a1)
    for path in ["/", "/avvikelser/ny", "/konto", "/logga-in", "/synpunkter/lamna"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'"
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert directives["style-src"].startswith("'self'")
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain http in tests


def test_hsts_only_over_https(app, org):
    response = app.test_client().get("/logga-in", base_url="https://kvalitet.example.se")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(TEMPLATES))
        offenders += [f"{name}: <script> body" for m in re.finditer(
            r"<script(?![^>]*\bsrc=)[^>]*>", text)]  # fmt: skip
        offenders += [f"{name}: style=" for _ in re.finditer(r"\sstyle=", text)]
        offenders += [f"{name}: {m.group(1)}=" for m in re.finditer(r"\s(on[a-z]+)=", text)]
        offenders += [f"{name}: <style> without nonce" for _ in re.finditer(
            r"<style(?![^>]*nonce=)", text)]  # fmt: skip
    assert offenders == []


def test_print_page_style_block_carries_the_responses_nonce(org, login_as):
    from kvalitet.web import content_security_policy, csp_nonce

    with login_as(org.chef_a1).raw.application.test_request_context("/"):
        nonce = csp_nonce()
        assert f"'nonce-{nonce}'" in content_security_policy()


@pytest.mark.parametrize(
    ("config", "secure"),
    [({"BASE_URL": "https://kvalitet.kommun.se"}, True),
     ({"BASE_URL": "http://kvalitet.kommun.se"}, True),
     ({"BASE_URL": "http://127.0.0.1:5000"}, False),
     ({"BASE_URL": "http://localhost:5000"}, False),
     ({"BASE_URL": "https://kvalitet.kommun.se", "TESTING": True}, False)],
)  # fmt: skip
def test_cookies_are_secure_outside_local_development(config, secure):
    assert cookies_secure(config) is secure


def test_session_cookie_is_secure_in_production(app, tmp_path):
    production = create_app({**BASE_CONFIG, "TESTING": False,
                             "DATABASE_URL": app.config["DATABASE_URL"],
                             "BASE_URL": "https://kvalitet.kommun.se"})  # fmt: skip
    with production.app_context():
        response = production.test_client().get("/logga-in", base_url="https://kvalitet.kommun.se")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.browser
def test_pages_run_without_csp_violations(org, live_server, page):
    from tests.conftest import browser_login

    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else None)
    browser_login(page, live_server, org.admin.email)
    for path in ["/", "/admin/enheter", "/admin/inloggningssparrar", "/avvikelser/ny"]:
        page.goto(f"{live_server}{path}")
    page.get_by_role("button", name="Logga ut").click()
    browser_login(page, live_server, org.chef_a1.email)
    for path in ["/", "/avvikelser/ny", "/avvikelser/statistik", "/risker/", "/konto"]:
        page.goto(f"{live_server}{path}")
    assert problems == []
    # The moved styles still apply: the honeypot field of the e-tjänst stays off screen.
    page.goto(f"{live_server}/synpunkter/lamna")
    box = page.locator(".syn-hp").bounding_box()
    assert box is not None and box["x"] < -1000
