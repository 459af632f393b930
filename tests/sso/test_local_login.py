"""LOCAL_LOGIN_ENABLED = False: the password form refuses everyone but the break-glass admin."""

from __future__ import annotations

from kvalitet.extensions import db
from kvalitet.org.models import User
from tests.conftest import Client
from tests.sso.conftest import counts


def test_password_login_off_except_break_glass(app, org, oidc, client: Client):
    app.config.update(LOCAL_LOGIN_ENABLED=False, LOCAL_LOGIN_BREAK_GLASS=[org.admin.email.upper()])
    page = client.get("/logga-in").get_data(as_text=True)
    assert page.index("Logga in med kommunens konto") < page.index('name="password"')
    assert "Reservinloggning för administratör" in page
    before = counts()
    for email in (org.chef_a1.email, "finns.inte@test.se"):
        refused = client.login(email)
        assert refused.status_code == 401
        assert "Inloggning med lösenord är avstängd" in refused.get_data(as_text=True)
    assert counts() == before  # no audit row, no lockout counting
    assert db.session.get(User, org.chef_a1.id).failed_logins == 0
    assert client.get("/").status_code == 302
    assert client.login(org.admin.email).status_code == 302
    assert client.get("/").status_code == 200


def test_password_login_on_by_default(app, org, client: Client):
    page = client.get("/logga-in").get_data(as_text=True)
    assert "Reservinloggning" not in page and "kommunens konto" not in page
    assert client.login(org.chef_a1.email).status_code == 302
