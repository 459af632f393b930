"""A person logs in through each identity provider in a real Chromium, lands on Mina ärenden
with the roles the group mapping gives, and logs out at both ends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.sso import operations
from tests.sso.conftest import configure_oidc, configure_saml
from tests.sso.test_oidc import GROUP
from tests.sso.test_oidc import add_person as add_oidc_person
from tests.sso.test_saml import add_person as add_saml_person

pytestmark = pytest.mark.browser


def _login_through(page, base: str, button: str, idp_button: str, username: str) -> None:
    page.goto(f"{base}/logga-in")
    # The provider's button comes before the password form.
    first = page.locator("main a.btn, main button").first
    assert button in first.inner_text()
    page.get_by_role("link", name=button).click()
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_role("button", name=idp_button).click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Mina ärenden")).to_be_visible()


def _logout(page, base: str) -> None:
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(re.compile(re.escape(f"{base}/logga-in")))
    expect(
        page.get_by_text("utloggad från Kvalitet och hos identitetsleverantören")
    ).to_be_visible()
    page.goto(f"{base}/")
    page.wait_for_url(re.compile(re.escape(f"{base}/logga-in")))


def test_login_through_oidc_provider(app, org, live_server, oidc_provider, page):
    configure_oidc(app, oidc_provider, live_server)
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    db.session.commit()
    add_oidc_person(oidc_provider)
    _login_through(
        page, live_server, "Logga in med kommunens konto", "Logga in hos kommunen", "anna"
    )
    page.goto(f"{live_server}/konto")
    expect(page.get_by_text("Enhetschef vid Enhet A1")).to_be_visible()
    _logout(page, live_server)
    assert oidc_provider.logouts == ["sub-anna"]


def test_login_through_saml_idp(app, org, live_server, saml_idp, page):
    configure_saml(app, saml_idp, live_server)
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a2)
    db.session.commit()
    add_saml_person(saml_idp)
    saml_idp.encrypt = True
    _login_through(
        page,
        live_server,
        "Logga in med SITHS-kort eller e-legitimation",
        "Logga in hos regionen",
        "berit",
    )
    page.goto(f"{live_server}/konto")
    expect(page.get_by_text("Enhetschef vid Enhet A2")).to_be_visible()
    _logout(page, live_server)
    assert saml_idp.logouts == ["persistent-berit"]
