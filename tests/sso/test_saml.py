"""Logging in with SAML 2.0 against a real pysaml2 IdP on 127.0.0.1: signed (and encrypted)
assertions checked by the app's pysaml2 SP with xmlsec1."""

from __future__ import annotations

import base64
import time
import zlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.org.models import User
from kvalitet.sso import operations
from kvalitet.sso.models import ExternalIdentity, SamlRequest
from tests.conftest import Client
from tests.sso.conftest import APP_URL, audit_actions, counts
from tests.sso.saml_idp import (
    ATTR_EMAIL,
    ATTR_GIVEN,
    ATTR_GROUPS,
    ATTR_SURNAME,
    ATTR_TITLE,
    SamlIdp,
    form_value,
)

GROUP = "SOC-IFO-Chefer-Utr1"
EMAIL = "berit.berg@kommun.se"


def add_person(idp: SamlIdp, username: str = "berit", **attributes: Any) -> None:
    idp.add_user(
        username,
        **{
            ATTR_EMAIL: EMAIL,
            ATTR_GIVEN: "Berit",
            ATTR_SURNAME: "Berg",
            ATTR_TITLE: "Socialsekreterare",
            ATTR_GROUPS: [GROUP, "Alla-anstallda"],
            **attributes,
        },
    )


def idp_answer(client: Client, idp: SamlIdp, username: str = "berit") -> dict[str, str]:
    """Kvalitet's AuthnRequest → the IdP's login page → the IdP's POST form for the ACS."""
    start = client.get("/saml/login")
    assert start.status_code == 302
    location = str(start.headers["Location"])
    assert location.startswith(f"{idp.url}/sso/redirect?")
    query = dict(parse_qsl(urlsplit(location).query))
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query)  # the request is signed
    authn_request = zlib.decompress(base64.b64decode(query["SAMLRequest"]), -15).decode()
    assert 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"' in authn_request
    login_page = requests.get(location, timeout=10)
    assert "Användarnamn" in login_page.text
    answer = requests.post(f"{idp.url}/sso/login", data={**query, "username": username}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert f'action="{APP_URL}/saml/acs"' in answer.text
    return {
        "SAMLResponse": form_value(answer.text, "SAMLResponse"),
        "RelayState": form_value(answer.text, "RelayState"),
    }


def post_acs(client: Client, form: dict[str, str]) -> Any:
    return client.post("/saml/acs", form, csrf=False)


def test_metadata_at_stable_url(app, saml, client: Client):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    root = etree.fromstring(response.data)
    ns = {"md": "urn:oasis:names:tc:SAML:2.0:metadata"}
    assert root.get("entityID") == f"{APP_URL}/saml/metadata"
    sp = root.find("md:SPSSODescriptor", ns)
    assert sp.get("WantAssertionsSigned") == "true"
    assert sp.get("AuthnRequestsSigned") == "true"
    acs = sp.find("md:AssertionConsumerService", ns)
    assert acs.get("Location") == f"{APP_URL}/saml/acs"
    uses = {kd.get("use") for kd in sp.findall("md:KeyDescriptor", ns)}
    assert {"signing", "encryption"} <= uses
    assert sp.find("md:SingleLogoutService", ns).get("Location") == f"{APP_URL}/saml/sls"
    # The same certificate on the next request (kept in the instance folder).
    assert client.get("/saml/metadata").data == response.data


@pytest.mark.parametrize("encrypt", [False, True], ids=["signed", "signed-and-encrypted"])
def test_first_login_creates_user_with_mapped_roles(app, org, saml, client: Client, encrypt):
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    add_person(saml)
    saml.encrypt = encrypt
    form = idp_answer(client, saml)
    if encrypt:
        xml = base64.b64decode(form["SAMLResponse"]).decode()
        assert "EncryptedAssertion" in xml and EMAIL not in xml
    response = post_acs(client, form)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Mina ärenden" in client.get("/").get_data(as_text=True)
    user = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert (user.name, user.title) == ("Berit Berg", "Socialsekreterare")
    identity = db.session.scalars(select(ExternalIdentity)).one()
    assert (identity.provider, identity.issuer, identity.subject) == (
        "saml",
        saml.entity_id,
        "persistent-berit",
    )
    assert [(ra.role, ra.unit_id) for ra in user.roles] == [(Role.ENHETSCHEF, org.a1.id)]
    assert {"sso_provisioned", "sso_role_granted", "sso_login"} <= set(audit_actions(user.id))
    assert db.session.scalars(select(SamlRequest)).all() == []  # the request is used up


def test_second_login_matches_on_name_id_not_email(app, org, saml, client: Client):
    add_person(saml)
    assert post_acs(client, idp_answer(client, saml)).status_code == 302
    client.post("/logga-ut")
    # New address at the IdP: still the same person (matched on the persistent NameID).
    saml.users["berit"]["attributes"][ATTR_EMAIL] = "berit.ny@kommun.se"
    assert post_acs(client, idp_answer(client, saml)).status_code == 302
    assert len(db.session.scalars(select(User).where(User.email.like("berit%"))).all()) == 1


def _tamper(form: dict[str, str]) -> dict[str, str]:
    xml = base64.b64decode(form["SAMLResponse"]).decode()
    assert EMAIL in xml
    forged = xml.replace(EMAIL, "angripare@example.se")
    return {**form, "SAMLResponse": base64.b64encode(forged.encode()).decode()}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("tampered", "ingen giltig signatur"),
        ("unsigned", "ingen giltig signatur"),
        ("foreign_key", "ingen giltig signatur"),
        ("expired", "har gått ut"),
        ("audience", "avsett för en annan tjänst"),
    ],
)
def test_bad_response_is_refused_and_nothing_created(
    app, org, saml, client: Client, case: str, message: str
):
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    add_person(saml)
    if case == "unsigned":
        saml.sign_assertion = False
    if case == "foreign_key":
        saml.foreign_key = True
    if case == "expired":
        # Valid for one second, and used three seconds later with no clock skew allowed.
        saml.lifetime = {"seconds": 1}
        app.config["SSO_CLOCK_SKEW"] = 0
    if case == "audience":
        saml.audience = "https://annan-tjanst.example.se/saml/metadata"
    form = idp_answer(client, saml)
    if case == "tampered":
        form = _tamper(form)
    if case == "expired":
        time.sleep(3)
    before = counts()
    response = post_acs(client, form)
    assert response.status_code == 403
    assert message in response.get_data(as_text=True)
    assert counts() == before
    assert client.get("/").status_code == 302


def test_expired_within_clock_skew_is_accepted(app, org, saml, client: Client):
    """An assertion a few seconds past its end is fine with the default 2 minutes of skew."""
    add_person(saml)
    saml.lifetime = {"seconds": 1}
    form = idp_answer(client, saml)
    time.sleep(3)
    assert post_acs(client, form).status_code == 302


def test_replayed_response_is_refused(app, org, saml, client: Client):
    add_person(saml)
    form = idp_answer(client, saml)
    assert post_acs(client, form).status_code == 302
    client.post("/logga-ut")
    before = counts()
    for browser in (client, Client(app.test_client())):
        again = post_acs(browser, form)
        assert again.status_code == 403
        assert "hörde inte till en inloggning" in again.get_data(as_text=True)
    # Even if the request id were pending again, the assertion itself is used up.
    request_id = etree.fromstring(base64.b64decode(form["SAMLResponse"])).get("InResponseTo")
    db.session.add(
        SamlRequest(request_id=request_id, next_url="/", expires_at=clock.now() + timedelta(1))
    )
    db.session.commit()
    before = counts()
    again = post_acs(client, form)
    assert again.status_code == 403
    assert "har redan använts" in again.get_data(as_text=True)
    assert counts() == before


def test_unsolicited_response_is_refused(app, org, saml, client: Client):
    add_person(saml)
    form = idp_answer(client, saml)
    db.session.query(SamlRequest).delete()
    db.session.commit()
    before = counts()
    response = post_acs(client, form)
    assert response.status_code == 403
    assert "hörde inte till en inloggning" in response.get_data(as_text=True)
    assert counts() == before


def test_logout_at_both_ends(app, org, saml, client: Client):
    add_person(saml)
    assert post_acs(client, idp_answer(client, saml)).status_code == 302
    out = client.post("/logga-ut")
    assert out.status_code == 302
    location = str(out.headers["Location"])
    assert location.startswith(f"{saml.url}/slo/redirect?")
    assert client.get("/").status_code == 302
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and saml.logouts == ["persistent-berit"]
    reply = str(back.headers["Location"])
    assert reply.startswith(f"{APP_URL}/saml/sls?SAMLResponse=")
    done = client.get(reply[len(APP_URL) :])
    assert done.status_code == 302
    text = client.get("/logga-in").get_data(as_text=True)
    assert "utloggad från Kvalitet och hos identitetsleverantören" in text


def test_idp_initiated_logout_ends_sessions(app, org, saml, client: Client):
    add_person(saml)
    assert post_acs(client, idp_answer(client, saml)).status_code == 302
    assert client.get("/").status_code == 200
    url = saml.logout_request_url(
        "persistent-berit", f"{APP_URL}/saml/sls", f"{APP_URL}/saml/metadata"
    )
    other_browser = Client(app.test_client())
    response = other_browser.get(url[len(APP_URL) :])
    assert response.status_code == 302
    assert str(response.headers["Location"]).startswith(f"{saml.url}/slo/redirect?SAMLResponse=")
    assert requests.get(response.headers["Location"], timeout=10).text == "Utloggad"
    assert client.get("/").status_code == 302  # the open session is gone
    assert "sso_logout_provider" in audit_actions()


def test_transient_name_id_is_refused_without_id_attribute(app, org, saml, client: Client):
    add_person(saml)
    saml.name_id_format = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    form = idp_answer(client, saml)
    before = counts()
    response = post_acs(client, form)
    assert response.status_code == 403
    assert "bara ett tillfälligt id" in response.get_data(as_text=True)
    assert counts() == before
    # With a stable id attribute configured, the same person can log in.
    app.config["SAML_ATTR_ID"] = ATTR_EMAIL
    assert post_acs(client, idp_answer(client, saml)).status_code == 302
    identity = db.session.scalars(select(ExternalIdentity)).one()
    assert identity.subject == EMAIL


def test_attribute_names_read_as_sent_in_unspecified_format(app, org, saml, client: Client):
    """ADFS sends claim URIs with the 'unspecified' name format; pysaml2's attribute maps
    would rename those to short local names. Kvalitet reads them by the names as sent."""
    claims = "http://schemas.xmlsoap.org/claims"
    operations.add_mapping(org.admin, GROUP, Role.ENHETSCHEF, org.a1)
    app.config.update(SAML_ATTR_EMAIL=f"{claims}/emailaddress", SAML_ATTR_GROUPS=f"{claims}/group")
    # pysaml2's IdP turns these local names into claim URIs in the "unspecified" format.
    saml.add_user("berit", emailAddress=EMAIL, group=[GROUP])
    saml.name_form = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
    form = idp_answer(client, saml)
    xml = base64.b64decode(form["SAMLResponse"]).decode()
    unspecified = 'NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"'
    assert f'Name="{claims}/emailaddress" {unspecified}' in xml
    assert f'Name="{claims}/group" {unspecified}' in xml
    assert post_acs(client, form).status_code == 302
    user = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert [(ra.role, ra.unit_id) for ra in user.roles] == [(Role.ENHETSCHEF, org.a1.id)]
