"""Open redirect after login: whatever is put in ?next=, the user lands on this site."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from kvalitet.core.web import safe_next
from tests.conftest import PASSWORD

ATTACKS = [
    "/\t/evil.com",  # the one that was found: the tab passed, the framework dropped it
    "/\n/evil.com",
    "/\r/evil.com",
    "/\x00/evil.com",
    "/\u200b/evil.com",
    "/ /evil.com",
    "/\u00a0/evil.com",
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https://evil.com",
    "http:evil.com",
    "javascript:alert(1)",
    "evil.com",
    " /evil",
    "\t//evil.com",
]


@pytest.mark.parametrize("target", ATTACKS, ids=ascii)
def test_safe_next_refuses(target):
    assert safe_next(target, "/start") == "/start"


@pytest.mark.parametrize("target", ["/avvikelser/", "/avvikelser/AVV-2026-0001?flik=2", "/"])
def test_safe_next_keeps_own_paths(target):
    assert safe_next(target, "/start") == target


@pytest.mark.parametrize("target", ATTACKS, ids=ascii)
def test_login_never_redirects_off_site(org, client, target):
    url = "/logga-in?next=" + quote(target, safe="")
    token = client.token(url)
    response = client.post(
        url, {"email": org.chef_a1.email, "password": PASSWORD, "csrf_token": token}
    )
    if "\x00" in target:
        # The input layer refuses a NUL anywhere in the request before the login runs.
        assert response.status_code == 400
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert not location.startswith("//") and "evil" not in location


def test_login_follows_a_local_next(org, client):
    url = "/logga-in?next=" + quote("/avvikelser/", safe="")
    response = client.post(
        url, {"email": org.chef_a1.email, "password": PASSWORD, "csrf_token": client.token(url)}
    )
    assert response.headers["Location"].endswith("/avvikelser/")
