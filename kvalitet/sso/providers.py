"""The OpenID Connect client (Authlib) and the SAML 2.0 service provider (pysaml2), built from
the configuration and cached per app until the configuration changes."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import OAuth
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import current_app
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string

HTTP_TIMEOUT = 10  # seconds for every call Kvalitet makes to the identity provider

log = logging.getLogger("kvalitet.sso")


def _config(name: str) -> Any:
    return current_app.config.get(name)


def oidc_enabled() -> bool:
    return bool(_config("OIDC_DISCOVERY_URL") and _config("OIDC_CLIENT_ID"))


def saml_enabled() -> bool:
    return bool(
        _config("SAML_IDP_METADATA_XML")
        or _config("SAML_IDP_METADATA_FILE")
        or _config("SAML_IDP_METADATA_URL")
    )


def local_login_enabled() -> bool:
    return bool(_config("LOCAL_LOGIN_ENABLED"))


def _cache() -> dict[str, Any]:
    return current_app.extensions.setdefault("kvalitet_sso", {})


def base_url() -> str:
    return str(_config("BASE_URL") or "").rstrip("/")


# --- OpenID Connect ---------------------------------------------------------------------


def oidc_client() -> Any:
    """The Authlib client for the configured provider: discovery, PKCE (S256), nonce, and
    the id_token's signature checked against the provider's published keys."""
    key = tuple(
        str(_config(name))
        for name in ("OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_SCOPES")
    )
    cache = _cache()
    if cache.get("oidc_key") != key:
        oauth = OAuth()
        oauth.init_app(current_app)
        oauth.register(
            "oidc",
            client_id=_config("OIDC_CLIENT_ID"),
            client_secret=_config("OIDC_CLIENT_SECRET") or None,
            server_metadata_url=_config("OIDC_DISCOVERY_URL"),
            client_kwargs={
                "scope": _config("OIDC_SCOPES"),
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT,
            },
        )
        cache["oidc"] = oauth.create_client("oidc")
        cache["oidc_key"] = key
    return cache["oidc"]


# --- SAML 2.0 ---------------------------------------------------------------------------


def sp_entity_id() -> str:
    return str(_config("SAML_SP_ENTITY_ID") or f"{base_url()}/saml/metadata")


def acs_url() -> str:
    return f"{base_url()}/saml/acs"


def sls_url() -> str:
    return f"{base_url()}/saml/sls"


def _generate_sp_keys(directory: Path) -> tuple[Path, Path]:
    """A self-signed RSA key and certificate for the SP, made once per installation."""
    key_path, cert_path = directory / "sp-key.pem", directory / "sp-cert.pem"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kvalitet SAML SP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def sp_key_pair() -> tuple[str, str]:
    key_file, cert_file = _config("SAML_SP_KEY_FILE"), _config("SAML_SP_CERT_FILE")
    if key_file and cert_file:
        return str(key_file), str(cert_file)
    key_path, cert_path = _generate_sp_keys(Path(current_app.instance_path) / "saml")
    return str(key_path), str(cert_path)


def _metadata_source() -> dict[str, Any]:
    if _config("SAML_IDP_METADATA_XML"):
        return {"inline": [_config("SAML_IDP_METADATA_XML")]}
    if _config("SAML_IDP_METADATA_FILE"):
        return {"local": [str(_config("SAML_IDP_METADATA_FILE"))]}
    return {"remote": [{"url": str(_config("SAML_IDP_METADATA_URL"))}]}


def _xmlsec_binary() -> str:
    return str(_config("SAML_XMLSEC_BINARY") or shutil.which("xmlsec1") or "/usr/bin/xmlsec1")


def saml_config() -> SPConfig:
    key_file, cert_file = sp_key_pair()
    config = SPConfig()
    config.load(
        {
            "entityid": sp_entity_id(),
            "name": f"Kvalitet, {_config('ORGANISATION_NAME')}",
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)],
                        "single_logout_service": [
                            (sls_url(), BINDING_HTTP_REDIRECT),
                            (sls_url(), BINDING_HTTP_POST),
                        ],
                    },
                    # Every assertion must carry the identity provider's signature; a
                    # response may be signed as a whole as well, but that is not enough.
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "authn_requests_signed": True,
                    "logout_requests_signed": True,
                    "logout_responses_signed": True,
                    # Only answers to a login started here (InResponseTo must match).
                    "allow_unsolicited": False,
                    "allow_unknown_attributes": True,
                    "name_id_policy_format": _config("SAML_NAME_ID_FORMAT") or None,
                    "name_id_format": [_config("SAML_NAME_ID_FORMAT")]
                    if _config("SAML_NAME_ID_FORMAT")
                    else [],
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            # Encrypted assertions are decrypted with the same key pair.
            "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
            "xmlsec_binary": _xmlsec_binary(),
            # SHA-256 for what Kvalitet signs (pysaml2 would use SHA-1 by default).
            "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            "metadata": _metadata_source(),
            "accepted_time_diff": int(_config("SSO_CLOCK_SKEW") or 0),
            "allow_unknown_attributes": True,
            "http_client_timeout": HTTP_TIMEOUT,
        }
    )
    return config


def saml_client() -> Saml2Client:
    key = tuple(
        str(_config(name))
        for name in (
            "SAML_IDP_METADATA_XML",
            "SAML_IDP_METADATA_FILE",
            "SAML_IDP_METADATA_URL",
            "SAML_SP_ENTITY_ID",
            "SAML_SP_KEY_FILE",
            "SAML_SP_CERT_FILE",
            "BASE_URL",
            "SSO_CLOCK_SKEW",
            "SAML_NAME_ID_FORMAT",
        )
    )
    cache = _cache()
    if cache.get("saml_key") != key:
        cache["saml"] = Saml2Client(config=saml_config())
        cache["saml_key"] = key
    return cache["saml"]


def sp_metadata() -> str:
    """The SP's metadata XML (entity id, ACS and SLO URLs, signing/encryption certificate)."""
    config = saml_config()
    text = create_metadata_string(None, config=config, valid=24 * 365, sign=False)
    return text.decode() if isinstance(text, bytes) else str(text)


def idp_entity_id(client: Saml2Client) -> str:
    """The one identity provider in the metadata."""
    idps = client.metadata.with_descriptor("idpsso")
    if len(idps) != 1:
        raise ValueError("SAML metadata must describe exactly one identity provider")
    return str(next(iter(idps)))


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def form_action_origins() -> list[str]:
    """The identity providers' origins that a form of Kvalitet may lead to (the logout form
    redirects on to the provider's logout; the SAML POST binding posts to the IdP), for the
    Content-Security-Policy's form-action. Only what is configured and already loaded."""
    origins: set[str | None] = set()
    try:
        if oidc_enabled():
            origins.add(_origin(_config("OIDC_DISCOVERY_URL")))
            metadata = getattr(oidc_client(), "server_metadata", None) or {}
            origins.add(_origin(metadata.get("end_session_endpoint")))
            origins.add(_origin(metadata.get("authorization_endpoint")))
        if saml_enabled():
            client = saml_client()
            idp = idp_entity_id(client)
            for service in ("single_sign_on_service", "single_logout_service"):
                for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
                    for entry in getattr(client.metadata, service)(idp, binding) or []:
                        origins.add(_origin(entry.get("location")))
    except Exception:
        log.debug("could not read the identity providers' origins", exc_info=True)
    return sorted(o for o in origins if o)
