"""Who a person is at the identity provider, which provider groups give which roles, and which
role assignments came from the provider (so that roles given by hand are never touched)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core import clock
from kvalitet.core.base import TimestampMixin, UTCDateTime
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.extensions import db
from kvalitet.org.models import RoleAssignment, Unit, User

PROVIDER_LABELS = {"oidc": "OpenID Connect", "saml": "SAML"}


class ExternalIdentity(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A user's stable identifier at one identity provider (OIDC `sub`/`oid`, SAML NameID or an
    attribute), scoped by the provider's issuer / entity id."""

    __tablename__ = "sso_identity"
    __table_args__ = (
        UniqueConstraint("provider", "issuer", "subject", name="uq_sso_identity_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    provider: Mapped[str] = mapped_column(String(10))  # "oidc" or "saml"
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the provider names the person in its logout messages (SAML NameID, OIDC sid), when
    # that differs from the subject.
    session_ref: Mapped[str | None] = mapped_column(String(500), index=True)

    user: Mapped[User] = relationship()

    @property
    def provider_label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)


class GroupMapping(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """'Members of provider group X hold role R at unit U.'"""

    __tablename__ = "sso_group_mapping"
    __table_args__ = (
        UniqueConstraint("group_name", "role", "unit_id", name="uq_sso_group_mapping"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(300), index=True)
    role: Mapped[Role] = mapped_column(String(30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), str(self.role))


class ProviderRole(db.Model):  # type: ignore[name-defined,misc]
    """Marks a role assignment as given by the identity provider's groups. Assignments without
    a mark were given by hand; the login sync never grants over or revokes those."""

    __tablename__ = "sso_provider_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("role_assignment.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(10))
    group_name: Mapped[str] = mapped_column(String(300))
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    assignment: Mapped[RoleAssignment] = relationship()


class ConsumedAssertion(db.Model):  # type: ignore[name-defined,misc]
    """Ids of SAML assertions already used to log in: the same response is never accepted
    twice (kept until the assertion would have expired anyway)."""

    __tablename__ = "sso_consumed_assertion"

    id: Mapped[int] = mapped_column(primary_key=True)
    assertion_id: Mapped[str] = mapped_column(String(300), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SamlRequest(db.Model):  # type: ignore[name-defined,misc]
    """A login sent to the SAML identity provider and not yet answered. Kept on the server,
    not in the session cookie: the answer is a cross-site POST that a SameSite=Lax cookie does
    not follow. An answer whose InResponseTo is not here is refused."""

    __tablename__ = "sso_saml_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(String(300), unique=True)
    next_url: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
