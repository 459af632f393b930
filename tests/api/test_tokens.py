"""Personal API tokens: created in the UI and shown once, stored hashed, revocable, with an
expiry; bearer only (a session cookie is not accepted by the API); the CLI command."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from kvalitet.api.models import ApiToken
from kvalitet.core import clock
from kvalitet.extensions import db
from tests.api.conftest import ApiClient

TOKEN_RE = re.compile(r"kv_[A-Za-z0-9_\-]{20,}")


def test_token_created_in_ui_is_shown_once_stored_hashed_and_works(app, org, login_as):
    web = login_as(org.chef_a1)
    page = web.post("/konto/api-nycklar", {"name": "Verksamhetssystemet", "days": "30"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = TOKEN_RE.search(html).group(0)
    assert "visas bara den här gången" in html
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == org.chef_a1.id))
    assert row.token_hash != token and token not in (row.prefix + row.token_hash)
    assert row.expires_at - clock.now() < timedelta(days=31)
    # Shown once: the list page no longer contains it.
    again = web.get("/konto/api-nycklar").get_data(as_text=True)
    assert token not in again and row.prefix in again

    response = ApiClient(app, token).get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["email"] == org.chef_a1.email
    db.session.refresh(row)
    assert row.last_used_at is not None


def test_token_form_error_is_shown_next_to_field(org, login_as):
    web = login_as(org.chef_a1)
    page = web.post("/konto/api-nycklar", {"name": "", "days": "30"})
    assert page.status_code == 422
    assert "Ge nyckeln ett namn" in page.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoked_token_is_refused(app, org, login_as, api_as):
    client = api_as(org.chef_a1)
    assert client.get("/api/v1/me").status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == org.chef_a1.id))
    web = login_as(org.chef_a1)
    assert web.post(f"/konto/api-nycklar/{row.id}/aterkalla").status_code == 302
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"]["status"] == 401 and "återkallad" in body["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_other_users_cannot_revoke_my_token(org, login_as, api_as):
    api_as(org.chef_a1)
    row = db.session.scalar(select(ApiToken))
    assert login_as(org.chef_b1).post(f"/konto/api-nycklar/{row.id}/aterkalla").status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_expired_token_is_refused(org, api_as):
    client = api_as(org.chef_a1)
    clock.freeze(clock.now() + timedelta(days=91))
    assert client.get("/api/v1/me").status_code == 401


def test_token_of_deactivated_user_is_refused(org, api_as):
    client = api_as(org.chef_a1)
    org.chef_a1.active = False
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_missing_or_garbage_token_gives_json_401(app, org):
    for header in (None, "Bearer", "Bearer kv_nonsense", "Basic abc", "Bearer " + "x" * 5000):
        client = ApiClient(app, None)
        response = client.get(
            "/api/v1/avvikelser", headers={"Authorization": header} if header else {}
        )
        assert response.status_code == 401
        assert response.is_json and "API-nyckel" in response.get_json()["error"]["message"]


def test_session_cookie_is_not_accepted_by_the_api(org, login_as):
    web = login_as(org.chef_a1)
    assert web.get("/api/v1/me").status_code == 401
    # Nor can a logged-in browser write through the API without a token (no CSRF bypass).
    response = web.open("POST", "/api/v1/avvikelser", json={"description": "x", "category_id": 1})
    assert response.status_code == 401


def test_cli_creates_a_working_token(app, org):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["token", "create", org.kvalitet.email, "--days", "10"])
    assert result.exit_code == 0, result.output
    token = TOKEN_RE.search(result.output).group(0)
    assert ApiClient(app, token).get("/api/v1/me").get_json()["name"] == org.kvalitet.name
    missing = runner.invoke(args=["token", "create", "ingen@test.se"])
    assert missing.exit_code != 0 and "Ingen användare" in missing.output
