"""A real SAML 2.0 identity provider for the tests, built on pysaml2's IdP (saml2.server.Server)
and served over HTTP on 127.0.0.1. Keys and certificates are generated with `cryptography`
when the IdP is made; signatures and encryption go through xmlsec1 as in production.

The person logs in at the IdP's own page by user name. Knobs change what the IdP sends:
`lifetime` (how long the assertion is valid), `audience` (another SP's entity id),
`encrypt` (encrypted assertion), `sign_assertion` (False: unsigned), `foreign_key` (signed
with a key that is not in the IdP's metadata), `name_id_format`."""

from __future__ import annotations

import re
import shutil
import threading
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, Response, redirect, render_template_string, request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from werkzeug.serving import make_server

XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
ATTR_EMAIL = f"{CLAIMS}/emailaddress"
ATTR_GIVEN = f"{CLAIMS}/givenname"
ATTR_SURNAME = f"{CLAIMS}/surname"
ATTR_TITLE = f"{CLAIMS}/title"
ATTR_GROUPS = "http://schemas.xmlsoap.org/claims/Group"
SAML_FIELDS = ("SAMLRequest", "RelayState", "SigAlg", "Signature")
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

LOGIN_PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8">
<title>Regionens SAML-inloggning</title></head><body><h1>Regionens SAML-inloggning</h1>
<form method="post" action="/sso/login">
{% for name, value in fields.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}
<label for="username">Användarnamn</label>
<input id="username" name="username" autocomplete="username">
<button type="submit">Logga in hos regionen</button></form></body></html>"""


def make_key_pair(directory: Path, name: str) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


def form_value(html: str, name: str) -> str:
    """A hidden field's value from pysaml2's auto-submitting POST form ("" when absent)."""
    match = re.search(rf'name="{name}"\s+value="([^"]*)"', html)
    return unescape(match.group(1)) if match else ""


class SamlIdp:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_file, self.cert_file = make_key_pair(directory, "idp")
        self.other_key_file, self.other_cert_file = make_key_pair(directory, "idp-falsk")
        self.users: dict[str, dict[str, Any]] = {}
        self.sp_metadata = ""
        self.url = ""
        self.lifetime: dict[str, int] = {"minutes": 15}
        self.audience: str | None = None
        self.encrypt = False
        self.sign_assertion = True
        self.foreign_key = False
        self.name_id_format = NAMEID_FORMAT_PERSISTENT
        self.name_form = NAME_FORMAT_URI
        self.logouts: list[str] = []
        self.app = self._make_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def add_user(self, username: str, **attributes: Any) -> None:
        self.users[username] = {"name_id": f"persistent-{username}", "attributes": attributes}

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def entity_id(self) -> str:
        return f"{self.url}/idp/metadata"

    def _config(self, with_sp: bool = True, foreign: bool = False) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [
                                (f"{self.url}/sso/redirect", BINDING_HTTP_REDIRECT)
                            ],
                            "single_logout_service": [
                                (f"{self.url}/slo/redirect", BINDING_HTTP_REDIRECT)
                            ],
                        },
                        "policy": {
                            "default": {
                                "lifetime": self.lifetime,
                                "attribute_restrictions": None,
                                "name_form": self.name_form,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "want_authn_requests_signed": True,
                    }
                },
                "key_file": self.other_key_file if foreign else self.key_file,
                "cert_file": self.other_cert_file if foreign else self.cert_file,
                "xmlsec_binary": XMLSEC,
                "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
                "metadata": {"inline": [self.sp_metadata]} if with_sp and self.sp_metadata else {},
            }
        )
        return config

    def metadata(self) -> str:
        text = create_metadata_string(None, config=self._config(with_sp=False), valid=24)
        return text.decode() if isinstance(text, bytes) else str(text)

    def server(self) -> Server:
        return Server(config=self._config(foreign=self.foreign_key))

    # --- messages -----------------------------------------------------------------------

    def login_response(self, query: dict[str, str], username: str) -> str:
        """The auto-submitting HTML form that carries the signed Response to the SP's ACS.
        `query` is the SP's redirect: SAMLRequest, RelayState, SigAlg, Signature."""
        server = self.server()
        # Refuses an AuthnRequest whose redirect signature does not verify.
        parsed = server.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        relay_state = query.get("RelayState", "")
        args = server.response_args(parsed.message, [BINDING_HTTP_POST])
        if self.audience:
            args["sp_entity_id"] = self.audience
        user = self.users[username]
        name_id = NameID(format=self.name_id_format, text=user["name_id"])
        response = server.create_authn_response(
            user["attributes"],
            userid=username,
            name_id=name_id,
            authn={"class_ref": PASSWORD_PROTECTED, "authn_auth": self.entity_id},
            sign_assertion=self.sign_assertion,
            sign_response=False,
            encrypt_assertion=self.encrypt,
            encrypted_advice_attributes=False,
            session_not_on_or_after=None,
            **args,
        )
        info = server.apply_binding(
            BINDING_HTTP_POST, str(response), args["destination"], relay_state, response=True
        )
        return str(info["data"])

    def logout_request_url(self, name_id_text: str, sls_url: str, sp_entity_id: str) -> str:
        """IdP-initiated single logout: the LogoutRequest to the SP, as a signed redirect."""
        server = self.server()
        _id, message = server.create_logout_request(
            sls_url,
            sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id_text),
            sign=False,
        )
        info = server.apply_binding(BINDING_HTTP_REDIRECT, str(message), sls_url, "", sign=True)
        return str(dict(info["headers"])["Location"])

    # --- the IdP's pages ----------------------------------------------------------------

    def _make_app(self) -> Flask:
        idp = self
        app = Flask("test_saml_idp")

        @app.get("/sso/redirect")
        def sso_redirect() -> Any:
            fields = {k: v for k, v in request.args.items() if k in SAML_FIELDS}
            return render_template_string(LOGIN_PAGE, fields=fields)

        @app.post("/sso/login")
        def sso_login() -> Any:
            username = request.form.get("username", "")
            if username not in idp.users:
                return Response("Okänd användare", status=401)
            fields = {k: v for k, v in request.form.items() if k in SAML_FIELDS}
            return idp.login_response(fields, username)

        @app.get("/slo/redirect")
        def slo_redirect() -> Any:
            server = idp.server()
            if "SAMLResponse" in request.args:
                server.parse_logout_request_response(
                    request.args["SAMLResponse"], BINDING_HTTP_REDIRECT
                )
                idp.logouts.append("sp-confirmed")
                return "Utloggad"
            parsed = server.parse_logout_request(
                request.args["SAMLRequest"],
                BINDING_HTTP_REDIRECT,
                relay_state=request.args.get("RelayState"),
                sigalg=request.args.get("SigAlg"),
                signature=request.args.get("Signature"),
            )
            idp.logouts.append(str(parsed.message.name_id.text))
            reply = server.create_logout_response(parsed.message, [BINDING_HTTP_REDIRECT])
            args = server.response_args(parsed.message, [BINDING_HTTP_REDIRECT])
            info = server.apply_binding(
                args["binding"],
                str(reply),
                args["destination"],
                request.args.get("RelayState", ""),
                response=True,
                sign=True,
            )
            return redirect(dict(info["headers"])["Location"])

        return app
