"""Logging in with OpenID Connect against a real provider (Authlib's server classes) on
127.0.0.1: the app's Authlib client does discovery, PKCE, nonce and signature checks."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.org.models import RoleAssignment, User
from kvalitet.org.operations import grant_role
from kvalitet.sso import jobs, operations
from kvalitet.sso.models import ExternalIdentity, GroupMapping, ProviderRole
from tests.conftest import Client
from tests.sso.conftest import APP_URL, CLIENT_ID, audit_actions, counts
from tests.sso.oidc_provider import OidcProvider

GROUP = "SOC-IFO-Chefer-Utr1"


def start_login(client: Client) -> str:
    """Kvalitet's redirect to the provider's authorization endpoint."""
    response = client.get("/oidc/login")
    assert response.status_code == 302
    return str(response.headers["Location"])


def provider_login(authorize_url: str, username: str, browser: requests.Session | None = None):
    """The person logs in at the provider, which redirects back to Kvalitet's callback."""
    browser = browser or requests.Session()
    answer = browser.post(authorize_url, data={"username": username}, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = str(answer.headers["Location"])
    assert location.startswith(f"{APP_URL}/oidc/callback?"), location
    return location[len(APP_URL) :]


def oidc_login(client: Client, username: str) -> tuple[Any, str]:
    callback = provider_login(start_login(client), username)
    return client.get(callback), callback


def add_person(provider: OidcProvider, username: str = "anna", **claims: Any) -> None:
    provider.add_user(
        username,
        **{
            "name": "Anna Andersson",
            "email": "anna.andersson@kommun.se",
            "jobtitle": "Enhetschef",
            "groups": [GROUP, "Alla-anstallda"],
            "sid": f"sid-{username}",
            **claims,
        },
    )


def test_authorization_request_uses_pkce_nonce_and_state(app, org, oidc, client: Client):
    query = parse_qs(urlsplit(start_login(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0] and query["nonce"][0] and query["state"][0]
    assert query["redirect_uri"] == [f"{APP_URL}/oidc/callback"]
    assert query["client_id"] == [CLIENT_ID]


def test_first_login_creates_user_with_mapped_roles(app, org, oidc, client: Client):
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    add_person(oidc)
    response, _ = oidc_login(client, "anna")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    inbox = client.get("/")
    assert inbox.status_code == 200 and "Mina ärenden" in inbox.get_data(as_text=True)

    user = db.session.scalars(select(User).where(User.email == "anna.andersson@kommun.se")).one()
    assert (user.name, user.title, user.home_unit_id) == ("Anna Andersson", "Enhetschef", org.a1.id)
    identity = db.session.scalars(select(ExternalIdentity)).one()
    assert (identity.provider, identity.issuer, identity.subject) == ("oidc", oidc.url, "sub-anna")
    assert [(ra.role, ra.unit_id) for ra in user.roles] == [(Role.ENHETSCHEF, org.a1.id)]
    assert db.session.scalars(select(ProviderRole)).one().group_name == GROUP
    actions = audit_actions(user.id)
    assert {"sso_provisioned", "sso_role_granted", "sso_login"} <= set(actions)


def test_roles_follow_groups_and_hand_given_roles_stay(app, org, oidc, client: Client):
    """med_a1 exists with a hand-given role; the provider login links to the account by
    e-mail, adds the mapped role and later removes only that one."""
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a2)
    # A mapping for a role the person already holds by hand: it must not take it over.
    operations.add_mapping(org.admin, GROUP, Role.MEDARBETARE, org.a1)
    add_person(oidc, name="Med A1", email=org.med_a1.email)
    assert oidc_login(client, "anna")[0].status_code == 302
    user = db.session.get(User, org.med_a1.id)
    db.session.refresh(user)
    held = sorted((str(ra.role), ra.unit_id) for ra in user.roles)
    assert held == sorted([("medarbetare", org.a1.id), ("enhetschef", org.a2.id)])
    marks = operations.provider_marks(user)
    assert [m.assignment.role for m in marks.values()] == [Role.ENHETSCHEF]
    assert "sso_linked" in audit_actions(user.id)

    # Left the group at the provider: the mapped role goes, the hand-given one stays.
    oidc.users["anna"]["groups"] = ["Alla-anstallda"]
    client.post("/logga-ut")
    assert oidc_login(client, "anna")[0].status_code == 302
    db.session.expire_all()
    user = db.session.get(User, org.med_a1.id)
    assert [(str(ra.role), ra.unit_id) for ra in user.roles] == [("medarbetare", org.a1.id)]
    assert "sso_role_revoked" in audit_actions(user.id)
    assert db.session.scalars(select(ProviderRole)).all() == []


def test_role_given_by_hand_after_provider_is_not_revoked(app, org, oidc, client: Client):
    add_person(oidc, groups=[])
    assert oidc_login(client, "anna")[0].status_code == 302
    user = db.session.scalars(select(User).where(User.email == "anna.andersson@kommun.se")).one()
    grant_role(org.admin, user, Role.SAS, org.forv)
    client.post("/logga-ut")
    assert oidc_login(client, "anna")[0].status_code == 302
    db.session.expire_all()
    roles = db.session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    assert [str(ra.role) for ra in roles] == ["sas"]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("signature", "ingen giltig signatur"),
        ("signature_key", "ingen giltig signatur"),
        ("expired", "har gått ut"),
        ("audience", "avsett för en annan tjänst"),
        ("nonce", "hörde inte till en inloggning"),
    ],
)
def test_bad_id_token_is_refused_and_nothing_created(
    app, org, oidc, client: Client, tamper: str, message: str
):
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    add_person(oidc)
    before = counts()
    oidc.tamper = tamper
    response, _ = oidc_login(client, "anna")
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
    assert counts() == before
    assert client.get("/").status_code == 302  # not logged in


def test_replayed_callback_is_refused(app, org, oidc, client: Client):
    add_person(oidc)
    response, callback = oidc_login(client, "anna")
    assert response.status_code == 302
    client.post("/logga-ut")
    before = counts()
    # The same answer again, in the same browser and in a fresh one: both refused.
    for browser in (client, Client(app.test_client())):
        again = browser.get(callback)
        assert again.status_code == 403
        assert "hörde inte till en inloggning" in again.get_data(as_text=True)
    assert counts() == before


def test_code_cannot_be_redeemed_twice(app, org, oidc, client: Client):
    """Even with the state put back, the provider refuses the used code."""
    add_person(oidc)
    authorize = start_login(client)
    with client.raw.session_transaction() as flask_session:
        saved = dict(flask_session)
    callback = provider_login(authorize, "anna")
    assert client.get(callback).status_code == 302
    client.post("/logga-ut")
    with client.raw.session_transaction() as flask_session:
        flask_session.update(saved)
    before = counts()
    again = client.get(callback)
    assert again.status_code == 403
    assert "Ingen inloggning gjordes" in again.get_data(as_text=True) or "hörde inte" in (
        again.get_data(as_text=True)
    )
    assert counts() == before


def test_deactivated_user_cannot_log_in(app, org, oidc, client: Client):
    add_person(oidc)
    assert oidc_login(client, "anna")[0].status_code == 302
    client.post("/logga-ut")
    user = db.session.scalars(select(User).where(User.email == "anna.andersson@kommun.se")).one()
    user.active = False
    db.session.commit()
    before = counts()
    response, _ = oidc_login(client, "anna")
    assert response.status_code == 403
    assert "avstängt" in response.get_data(as_text=True)
    assert counts() == before


def test_missing_email_refused(app, org, oidc, client: Client):
    add_person(oidc, email=None)
    before = counts()
    response, _ = oidc_login(client, "anna")
    assert response.status_code == 403
    assert "ingen giltig e-postadress" in response.get_data(as_text=True)
    assert counts() == before


def test_logout_ends_session_here_and_at_provider(app, org, oidc, client: Client):
    add_person(oidc)
    browser = requests.Session()
    callback = provider_login(start_login(client), "anna", browser)
    assert client.get(callback).status_code == 302
    out = client.post("/logga-ut")
    assert out.status_code == 302
    end_session = str(out.headers["Location"])
    assert end_session.startswith(f"{oidc.url}/logout?")
    assert "id_token_hint=" in end_session
    assert client.get("/").status_code == 302  # logged out here already
    back = browser.get(end_session, allow_redirects=False)
    assert back.status_code == 302 and oidc.logouts == ["sub-anna"]
    done = client.get(str(back.headers["Location"])[len(APP_URL) :])
    assert done.status_code == 302
    page = client.get("/logga-in").get_data(as_text=True)
    assert "utloggad från Kvalitet och hos identitetsleverantören" in page
    # Logged out at the provider too: the next login asks for the user name again.
    assert "Användarnamn" in browser.get(start_login(client)).text


def test_backchannel_logout_ends_open_sessions(app, org, oidc, client: Client):
    add_person(oidc)
    assert oidc_login(client, "anna")[0].status_code == 302
    assert client.get("/").status_code == 200
    now = int(time.time())
    claims = {
        "iss": oidc.url,
        "aud": CLIENT_ID,
        "iat": now,
        "jti": "logout-1",
        "sub": "sub-anna",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }
    anonymous = Client(app.test_client())
    forged = oidc.sign(claims, oidc.other_key)
    refused = anonymous.post("/oidc/backchannel-logout", {"logout_token": forged}, csrf=False)
    assert refused.status_code == 400
    assert client.get("/").status_code == 200
    good = anonymous.post(
        "/oidc/backchannel-logout", {"logout_token": oidc.sign(claims)}, csrf=False
    )
    assert good.status_code == 200
    assert client.get("/").status_code == 302
    assert "sso_logout_provider" in audit_actions()


def test_oidc_is_404_when_not_configured(app, client: Client):
    assert client.get("/oidc/login").status_code == 404
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/saml/login").status_code == 404


def test_admin_maps_group_and_sees_role_source(app, org, oidc, login_as, client: Client):
    admin = login_as(org.admin)
    page = admin.post(
        "/admin/inloggning",
        {"group_name": GROUP, "role": "enhetschef", "unit_id": str(org.a1.id)},
    )
    assert page.status_code == 302
    mapping = db.session.scalars(select(GroupMapping)).one()
    assert (mapping.group_name, mapping.role, mapping.unit_id) == (GROUP, "enhetschef", org.a1.id)
    bad = admin.post("/admin/inloggning", {"group_name": "", "role": "enhetschef", "unit_id": "0"})
    assert bad.status_code == 400 and "Ange gruppens namn" in bad.get_data(as_text=True)
    add_person(oidc)
    assert oidc_login(client, "anna")[0].status_code == 302
    text = admin.get("/admin/inloggning").get_data(as_text=True)
    assert "Anna Andersson" in text
    assert f"Från identitetsleverantören (grupp {GROUP})" in text
    # Non-admins get nothing.
    assert login_as(org.chef_a1).get("/admin/inloggning").status_code == 403


def test_stale_provider_accounts_are_deactivated(app, org, oidc, client: Client):
    add_person(oidc)
    assert oidc_login(client, "anna")[0].status_code == 302
    user = db.session.scalars(select(User).where(User.email == "anna.andersson@kommun.se")).one()
    runner = app.test_cli_runner()
    assert "0 konton" in runner.invoke(args=["sso-deactivate", "--days", "30"]).output
    clock.freeze(clock.now() + timedelta(days=31))
    result = runner.invoke(args=["sso-deactivate", "--days", "30"])
    assert "Avaktiverad: Anna Andersson" in result.output and "1 konton" in result.output
    db.session.expire_all()
    assert not db.session.get(User, user.id).active
    assert db.session.get(User, org.chef_a1.id).active  # has a password: not provider-only
    assert "sso_deactivated" in audit_actions(user.id)
    assert client.get("/").status_code == 302  # the open session ended too


def test_nightly_job_deactivates_only_when_switched_on(app, org, oidc, client: Client):
    add_person(oidc)
    assert oidc_login(client, "anna")[0].status_code == 302
    clock.freeze(clock.now() + timedelta(days=200))
    assert jobs.deactivate_departed() == 0  # off by default
    app.config["SSO_DEACTIVATE_AFTER_DAYS"] = 180
    assert jobs.deactivate_departed() == 1
