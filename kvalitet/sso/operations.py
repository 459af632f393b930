"""Logging in through the identity provider: match or create the user ("just in time"), keep
the roles that come from provider groups in step, end sessions on the provider's logout, and
the admin's group mappings. Every change writes an audit row."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from kvalitet.core import audit, clock
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import Role
from kvalitet.core.uow import transaction
from kvalitet.extensions import db
from kvalitet.org import operations as org_operations
from kvalitet.org.models import RoleAssignment, Unit, User
from kvalitet.sso.models import (
    PROVIDER_LABELS,
    ConsumedAssertion,
    ExternalIdentity,
    GroupMapping,
    ProviderRole,
    SamlRequest,
)

SAML_REQUEST_LIFETIME = timedelta(minutes=15)

INACTIVE_MESSAGE = "Ditt konto i Kvalitet är avstängt. Kontakta en administratör."
REPLAYED_MESSAGE = (
    "Svaret från identitetsleverantören har redan använts och gäller inte igen. "
    "Börja om inloggningen."
)


@dataclass
class Profile:
    """What the identity provider said about the person, after its signature was checked."""

    provider: str  # "oidc" or "saml"
    issuer: str
    subject: str
    email: str = ""
    name: str = ""
    title: str = ""
    # None: the provider sent no group claim at all (then roles are left as they are).
    groups: list[str] | None = None
    # SAML: the assertion's id and expiry, so that the same assertion is never used twice.
    assertion_id: str = ""
    assertion_expires: datetime | None = None
    # SAML: the id of our AuthnRequest this answers (used once, then gone).
    in_response_to: str = ""
    # What the provider's logout messages will name the person by (SAML NameID, OIDC sid).
    session_ref: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _label(provider: str) -> str:
    return PROVIDER_LABELS.get(provider, provider)


def _validate(profile: Profile) -> None:
    if not profile.subject:
        raise OperationError(
            "Identitetsleverantören skickade ingen identitet för dig. Ingen inloggning gjordes."
        )
    email = (profile.email or "").strip()
    if "@" not in email or len(email) > 254:
        raise OperationError(
            "Identitetsleverantören skickade ingen giltig e-postadress för dig, så ett konto "
            "kan inte skapas. Kontakta kommunens IT-support."
        )


def _consume_assertion(profile: Profile) -> None:
    now = clock.now()
    if profile.in_response_to:
        pending = db.session.scalar(
            select(SamlRequest).where(SamlRequest.request_id == profile.in_response_to)
        )
        if pending is None:
            raise OperationError(REPLAYED_MESSAGE)
        db.session.delete(pending)
    if not profile.assertion_id:
        return
    db.session.execute(delete(ConsumedAssertion).where(ConsumedAssertion.expires_at < now))
    used = db.session.scalar(
        select(ConsumedAssertion).where(ConsumedAssertion.assertion_id == profile.assertion_id)
    )
    if used is not None:
        raise OperationError(REPLAYED_MESSAGE)
    db.session.add(
        ConsumedAssertion(
            assertion_id=profile.assertion_id,
            expires_at=profile.assertion_expires or now,
        )
    )


def find_identity(provider: str, issuer: str, subject: str) -> ExternalIdentity | None:
    return db.session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.provider == provider,
            ExternalIdentity.issuer == issuer,
            ExternalIdentity.subject == subject,
        )
    )


def _wanted_roles(groups: list[str]) -> dict[tuple[str, int], GroupMapping]:
    """(role, unit id) → the mapping that gives it, for the person's groups."""
    member_of = {group.casefold() for group in groups}
    mappings = db.session.scalars(select(GroupMapping).order_by(GroupMapping.id)).all()
    wanted: dict[tuple[str, int], GroupMapping] = {}
    for mapping in mappings:
        if mapping.group_name.casefold() in member_of:
            wanted.setdefault((str(mapping.role), mapping.unit_id), mapping)
    return wanted


def provider_marks(user: User) -> dict[int, ProviderRole]:
    """assignment id → mark, for the user's roles that came from the provider."""
    rows = db.session.scalars(
        select(ProviderRole)
        .join(RoleAssignment, ProviderRole.assignment_id == RoleAssignment.id)
        .where(RoleAssignment.user_id == user.id)
    ).all()
    return {row.assignment_id: row for row in rows}


def _sync_roles(user: User, profile: Profile, wanted: dict[tuple[str, int], GroupMapping]) -> None:
    """Grant the mapped roles the person lacks and revoke provider-given roles whose group
    is gone. Roles given by hand are neither marked nor revoked."""
    label = _label(profile.provider)
    held = {(str(ra.role), ra.unit_id): ra for ra in user.roles}
    marks = provider_marks(user)
    now = clock.now()
    for key, mapping in wanted.items():
        assignment = held.get(key)
        if assignment is not None:
            if assignment.id in marks:
                marks[assignment.id].synced_at = now
            continue
        org_operations.grant_role(user, user, mapping.role, mapping.unit)
        db.session.flush()
        assignment = db.session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.role == mapping.role,
                RoleAssignment.unit_id == mapping.unit_id,
            )
        ).one()
        db.session.add(
            ProviderRole(
                assignment=assignment,
                provider=profile.provider,
                group_name=mapping.group_name,
                synced_at=now,
            )
        )
        audit.record(
            user,
            "sso_role_granted",
            target=f"user:{user.id}",
            summary=f"{user.name} fick rollen {mapping.role_label} vid {mapping.unit.name} "
            f"från gruppen {mapping.group_name} hos identitetsleverantören ({label})",
            after={"role": mapping.role, "unit": mapping.unit.name, "group": mapping.group_name},
        )
    for mark in marks.values():
        assignment = mark.assignment
        if (str(assignment.role), assignment.unit_id) in wanted:
            continue
        audit.record(
            user,
            "sso_role_revoked",
            target=f"user:{user.id}",
            summary=f"{user.name} har inte längre rollen {assignment.role_label} vid "
            f"{assignment.unit.name}: inte kvar i gruppen {mark.group_name} hos "
            f"identitetsleverantören ({label})",
            before={
                "role": assignment.role,
                "unit": assignment.unit.name,
                "group": mark.group_name,
            },
        )
        db.session.delete(mark)
        db.session.flush()
        org_operations.revoke_role(user, assignment)


def _provision(profile: Profile, wanted: dict[tuple[str, int], GroupMapping]) -> User:
    """Link to an existing account with the same e-mail address (when allowed) or create one."""
    label = _label(profile.provider)
    existing = org_operations.find_user_by_email(profile.email)
    if existing is not None:
        if not current_app.config.get("SSO_LINK_BY_EMAIL"):
            raise OperationError(
                "Det finns redan ett konto i Kvalitet med din e-postadress. En administratör "
                "behöver koppla det till din inloggning. Ingen inloggning gjordes."
            )
        other = db.session.scalar(
            select(ExternalIdentity).where(
                ExternalIdentity.user_id == existing.id,
                ExternalIdentity.provider == profile.provider,
                ExternalIdentity.issuer == profile.issuer,
            )
        )
        if other is not None:
            raise OperationError(
                "E-postadressen hör redan till en annan person hos identitetsleverantören. "
                "Ingen inloggning gjordes. Kontakta en administratör."
            )
        if not existing.active:
            raise OperationError(INACTIVE_MESSAGE)
        db.session.add(
            ExternalIdentity(
                user=existing,
                provider=profile.provider,
                issuer=profile.issuer,
                subject=profile.subject,
            )
        )
        audit.record(
            existing,
            "sso_linked",
            target=f"user:{existing.id}",
            summary=f"Kopplade kontot {existing.email} till inloggning via {label}",
        )
        return existing
    home: Unit | None = None
    for mapping in wanted.values():
        home = mapping.unit
        break
    name = (profile.name or "").strip() or profile.email.split("@")[0]
    user = org_operations.create_user(
        None,
        name=name[:200],
        email=profile.email,
        title=(profile.title or "")[:200],
        home_unit=home,
    )
    db.session.add(
        ExternalIdentity(
            user=user, provider=profile.provider, issuer=profile.issuer, subject=profile.subject
        )
    )
    audit.record(
        user,
        "sso_provisioned",
        target=f"user:{user.id}",
        summary=f"Skapade kontot för {user.name} ({user.email}) vid första inloggningen via "
        f"{label}",
        after={"name": user.name, "email": user.email, "title": user.title},
    )
    return user


def _update_profile(user: User, profile: Profile) -> None:
    keys = ["name", "title"]
    before = audit.snapshot(user, keys)
    if profile.name.strip():
        user.name = profile.name.strip()[:200]
    if profile.title.strip():
        user.title = profile.title.strip()[:200]
    old, new = audit.changed(before, audit.snapshot(user, keys))
    if new:
        audit.record(
            user,
            "sso_profile_updated",
            target=f"user:{user.id}",
            summary=f"Uppgifter för {user.name} uppdaterade från identitetsleverantören",
            before=old,
            after=new,
        )


def sign_in(profile: Profile) -> User:
    """The person the provider vouched for, created on first login; refuses with a Swedish
    message (and changes nothing) when the account may not log in."""
    _validate(profile)
    profile.email = profile.email.strip().lower()
    with transaction():
        _consume_assertion(profile)
        wanted = _wanted_roles(profile.groups or [])
        identity = find_identity(profile.provider, profile.issuer, profile.subject)
        if identity is None:
            user = _provision(profile, wanted)
            identity = find_identity(profile.provider, profile.issuer, profile.subject)
        else:
            user = identity.user
            if not user.active:
                raise OperationError(INACTIVE_MESSAGE)
            _update_profile(user, profile)
        if profile.groups is not None:
            _sync_roles(user, profile, wanted)
        now = clock.now()
        user.last_login_at = now
        user.failed_logins = 0
        if identity is not None:
            identity.last_login_at = now
            identity.session_ref = profile.session_ref or None
        if not user.session_token:
            user.session_token = secrets.token_hex(16)
        audit.record(
            user,
            "sso_login",
            target=f"user:{user.id}",
            summary=f"Loggade in via {_label(profile.provider)}",
        )
    return user


def start_saml_login(request_id: str, next_url: str) -> None:
    """Remember the AuthnRequest sent to the identity provider until its answer comes."""
    with transaction():
        now = clock.now()
        db.session.execute(delete(SamlRequest).where(SamlRequest.expires_at < now))
        db.session.add(
            SamlRequest(
                request_id=request_id,
                next_url=next_url[:500],
                expires_at=now + SAML_REQUEST_LIFETIME,
            )
        )


def pending_saml_request(request_id: str) -> SamlRequest | None:
    if not request_id:
        return None
    return db.session.scalar(
        select(SamlRequest).where(
            SamlRequest.request_id == request_id, SamlRequest.expires_at >= clock.now()
        )
    )


def end_sessions(provider: str, issuer: str, subject: str) -> User | None:
    """The provider logged the person out (SAML single logout, OIDC back-channel logout):
    every open session of theirs in Kvalitet ends."""
    identity = find_identity(provider, issuer, subject) or db.session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.provider == provider,
            ExternalIdentity.issuer == issuer,
            ExternalIdentity.session_ref == subject,
        )
    )
    if identity is None:
        return None
    with transaction():
        user = identity.user
        user.session_token = secrets.token_hex(16)
        audit.record(
            user,
            "sso_logout_provider",
            target=f"user:{user.id}",
            summary=f"Utloggad från alla sessioner av identitetsleverantören ({_label(provider)})",
        )
    return user


# --- group mappings -------------------------------------------------------------------------


def add_mapping(actor: User, group_name: str, role: str, unit: Unit | None) -> GroupMapping:
    group_name = (group_name or "").strip()
    if not group_name:
        raise OperationError("Ange gruppens namn hos identitetsleverantören.", field="group_name")
    if len(group_name) > 300:
        raise OperationError("Gruppnamnet är för långt (högst 300 tecken).", field="group_name")
    if role not in set(Role):
        raise OperationError("Välj en giltig roll.", field="role")
    if unit is None:
        raise OperationError("Välj en enhet.", field="unit_id")
    exists = db.session.scalar(
        select(GroupMapping).where(
            GroupMapping.group_name == group_name,
            GroupMapping.role == role,
            GroupMapping.unit_id == unit.id,
        )
    )
    if exists is not None:
        raise OperationError("Den kopplingen finns redan.", field="group_name")
    with transaction():
        mapping = GroupMapping(group_name=group_name, role=role, unit=unit)
        db.session.add(mapping)
        db.session.flush()
        audit.record(
            actor,
            "sso_mapping_added",
            target=f"sso_mapping:{mapping.id}",
            summary=f"Gruppen {group_name} ger rollen {Role(role).label} vid {unit.name}",
        )
    return mapping


def remove_mapping(actor: User, mapping: GroupMapping) -> None:
    """Removes the mapping; roles it gave are taken away at each person's next login."""
    with transaction():
        audit.record(
            actor,
            "sso_mapping_removed",
            target=f"sso_mapping:{mapping.id}",
            summary=f"Tog bort kopplingen {mapping.group_name} → {mapping.role_label} vid "
            f"{mapping.unit.name}",
        )
        db.session.delete(mapping)


# --- staff who left -------------------------------------------------------------------------


def deactivate_stale(days: int) -> list[User]:
    """Deactivate accounts that log in only via a provider (no password of their own) and
    have not done so for `days` days. Break-glass accounts are never touched."""
    if days < 1:
        raise OperationError("Ange minst 1 dag.")
    cutoff = clock.now() - timedelta(days=days)
    keep = {str(e).strip().lower() for e in current_app.config.get("LOCAL_LOGIN_BREAK_GLASS") or []}
    users = db.session.scalars(
        select(User)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(User.active.is_(True), User.password_hash == "")
        .distinct()
    ).all()
    stale = []
    for user in users:
        identities = db.session.scalars(
            select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
        ).all()
        seen = max(i.last_login_at or i.created_at for i in identities)
        if seen < cutoff and user.email.lower() not in keep:
            stale.append(user)
    for user in stale:
        org_operations.update_user(
            None,  # type: ignore[arg-type]  # the system, not a person
            user,
            name=user.name,
            email=user.email,
            title=user.title,
            home_unit_id=user.home_unit_id,
            active=False,
        )
        with transaction():
            audit.record(
                None,
                "sso_deactivated",
                target=f"user:{user.id}",
                summary=f"{user.name} avaktiverad: inte inloggad via identitetsleverantören "
                f"på {days} dagar",
            )
    return stale
