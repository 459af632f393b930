"""Fixtures: a real OIDC provider and a real SAML IdP on 127.0.0.1, and an app configured to
use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.org.models import User
from kvalitet.sso import providers
from kvalitet.sso.models import ExternalIdentity
from tests.sso.oidc_provider import OidcProvider
from tests.sso.saml_idp import SamlIdp

# Flask's test client talks to http://localhost; the live-server tests set their own URL.
APP_URL = "http://localhost"
CLIENT_ID = "kvalitet-test"
CLIENT_SECRET = "hemligt-klient-losen"


def configure_oidc(app: Flask, provider: OidcProvider, app_url: str) -> None:
    provider.add_client(CLIENT_ID, CLIENT_SECRET, app_url)
    app.config.update(
        BASE_URL=app_url,
        OIDC_DISCOVERY_URL=provider.discovery_url,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
    )


@pytest.fixture
def oidc_provider() -> Iterator[OidcProvider]:
    provider = OidcProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def oidc(app: Flask, oidc_provider: OidcProvider) -> OidcProvider:
    configure_oidc(app, oidc_provider, APP_URL)
    return oidc_provider


def counts() -> dict[str, Any]:
    """What a refused login must leave untouched."""
    db.session.expire_all()
    return {
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "identities": db.session.scalar(select(func.count()).select_from(ExternalIdentity)),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
    }


def audit_actions(user_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if user_id is not None:
        query = query.where(AuditEntry.target == f"user:{user_id}")
    return list(db.session.scalars(query))


def configure_saml(app: Flask, idp: SamlIdp, app_url: str) -> None:
    app.config.update(BASE_URL=app_url, SAML_IDP_METADATA_XML=idp.metadata())
    with app.test_request_context():
        idp.sp_metadata = providers.sp_metadata()


@pytest.fixture
def saml_idp(tmp_path: Path) -> Iterator[SamlIdp]:
    directory = tmp_path / "idp"
    directory.mkdir()
    idp = SamlIdp(directory)
    idp.start()
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture
def saml(app: Flask, saml_idp: SamlIdp) -> SamlIdp:
    configure_saml(app, saml_idp, APP_URL)
    return saml_idp
