"""Login and logout through the identity provider, the SP metadata, and the admin page for
group → role mappings.

OpenID Connect: /oidc/login → provider → /oidc/callback; RP-initiated logout returns to
/oidc/utloggad; the provider's back-channel logout posts to /oidc/backchannel-logout.
SAML 2.0: /saml/login → IdP → POST /saml/acs; single logout both ways at /saml/sls; the
SP metadata is at /saml/metadata (its URL is also the default entity id).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.ident import code, decode
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import BadSignature, MissingKey, SignatureError
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly
from sqlalchemy import select

from kvalitet.admin.views import admin_required
from kvalitet.core import uow
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import ROLE_LABELS
from kvalitet.core.web import apply_operation_error, safe_next
from kvalitet.extensions import csrf, db, limiter
from kvalitet.org import operations as org_operations
from kvalitet.org.forms import LoginForm
from kvalitet.org.models import RoleAssignment, Unit, User
from kvalitet.sso import operations, providers
from kvalitet.sso.forms import MappingForm
from kvalitet.sso.models import ExternalIdentity, GroupMapping

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

# --- messages (what the person sees when a login is refused) ------------------------------

MSG_SIGNATURE = (
    "Svaret från identitetsleverantören hade ingen giltig signatur och godtogs inte. "
    "Ingen inloggning gjordes."
)
MSG_EXPIRED = (
    "Svaret från identitetsleverantören har gått ut (eller är daterat i framtiden). "
    "Börja om inloggningen; kontrollera klockan om det upprepas."
)
MSG_AUDIENCE = (
    "Svaret från identitetsleverantören var avsett för en annan tjänst än Kvalitet och "
    "godtogs inte. Ingen inloggning gjordes."
)
MSG_STATE = (
    "Svaret från identitetsleverantören hörde inte till en inloggning som pågår här (det kan "
    "redan ha använts). Börja om inloggningen."
)
MSG_TRANSIENT = (
    "Identitetsleverantören skickade bara ett tillfälligt id för dig, så du kan inte kännas "
    "igen nästa gång. Ingen inloggning gjordes. Kontakta kommunens IT-support (Kvalitet "
    "behöver ett beständigt NameID eller SAML_ATTR_ID)."
)
MSG_DENIED = "Inloggningen avbröts eller nekades hos identitetsleverantören."
MSG_UNREACHABLE = "Identitetsleverantören svarar inte just nu. Försök igen om en stund."
MSG_FAILED = (
    "Inloggningen via identitetsleverantören kunde inte slutföras. Ingen inloggning gjordes. "
    "Försök igen eller kontakta kommunens IT-support."
)


def _refused(message: str, status: int = 403) -> Any:
    """The login page again, with the reason at the top; nothing was saved."""
    db.session.rollback()
    form = LoginForm()
    return render_template("auth/login.html", form=form, error=message), status


def _finish_login(user: User, state: dict[str, Any], next_url: str | None) -> Any:
    login_user(user)
    session["sso"] = state
    return redirect(safe_next(next_url, url_for("items.inbox")))


@bp.app_context_processor
def _login_options() -> dict[str, Any]:
    buttons = []
    if providers.oidc_enabled():
        buttons.append({"label": current_app.config["OIDC_LABEL"], "endpoint": "sso.oidc_login"})
    if providers.saml_enabled():
        buttons.append({"label": current_app.config["SAML_LABEL"], "endpoint": "sso.saml_login"})
    return {"sso_buttons": buttons, "local_login_enabled": providers.local_login_enabled()}


# --- OpenID Connect ---------------------------------------------------------------------


def _claim(claims: Mapping[str, Any], setting: str) -> str:
    name = str(current_app.config.get(setting) or "")
    value = claims.get(name) if name else None
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _groups(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _oidc_error_message(exc: Exception) -> str:
    if isinstance(exc, BadSignatureError):
        return MSG_SIGNATURE
    if isinstance(exc, ExpiredTokenError):
        return MSG_EXPIRED
    if isinstance(exc, InvalidClaimError | MissingClaimError):
        claim = getattr(exc, "claim", "")
        if claim in ("aud", "azp", "iss"):
            return MSG_AUDIENCE
        if claim == "nonce":
            return MSG_STATE
        if claim in ("iat", "nbf", "exp"):
            return MSG_EXPIRED
        return MSG_FAILED
    if isinstance(exc, MismatchingStateError):
        return MSG_STATE
    if isinstance(exc, OAuthError):
        if exc.error in ("access_denied", "login_required", "consent_required"):
            return MSG_DENIED
        if exc.error == "invalid_grant":
            return MSG_STATE
        return MSG_FAILED
    if isinstance(exc, requests.RequestException):
        return MSG_UNREACHABLE
    if isinstance(exc, JoseError):
        return MSG_SIGNATURE
    return MSG_FAILED


@bp.route("/oidc/login")
@limiter.limit("30 per minute")
def oidc_login() -> Any:
    if not providers.oidc_enabled():
        abort(404)
    session["sso_next"] = safe_next(request.args.get("next"), url_for("items.inbox"))
    try:
        return providers.oidc_client().authorize_redirect(f"{providers.base_url()}/oidc/callback")
    except requests.RequestException:
        log.warning("OIDC provider unreachable", exc_info=True)
        return _refused(MSG_UNREACHABLE, 503)


@bp.route("/oidc/callback")
@limiter.limit("30 per minute")
@uow.writes
def oidc_callback() -> Any:
    if not providers.oidc_enabled():
        abort(404)
    client = providers.oidc_client()
    try:
        token = client.authorize_access_token(
            leeway=int(current_app.config.get("SSO_CLOCK_SKEW") or 0)
        )
    except (OAuthError, JoseError, requests.RequestException) as exc:
        log.warning("OIDC login refused: %r", exc)
        return _refused(_oidc_error_message(exc))
    claims = token.get("userinfo")
    if not claims:
        log.warning("OIDC token response without id_token")
        return _refused(MSG_FAILED)
    profile = operations.Profile(
        provider="oidc",
        issuer=str(claims.get("iss") or ""),
        subject=_claim(claims, "OIDC_CLAIM_ID"),
        email=_claim(claims, "OIDC_CLAIM_EMAIL")
        or (
            str(claims.get("preferred_username") or "")
            if "@" in str(claims.get("preferred_username") or "")
            else ""
        ),
        name=_claim(claims, "OIDC_CLAIM_NAME"),
        title=_claim(claims, "OIDC_CLAIM_TITLE"),
        groups=_groups(claims.get(str(current_app.config.get("OIDC_CLAIM_GROUPS") or ""))),
        session_ref=str(claims.get("sid") or ""),
    )
    try:
        user = operations.sign_in(profile)
    except OperationError as exc:
        return _refused(exc.message)
    return _finish_login(
        user,
        {"provider": "oidc", "id_token": token.get("id_token", "")},
        session.pop("sso_next", None),
    )


@bp.route("/oidc/utloggad")
def oidc_logged_out() -> Any:
    if not providers.oidc_enabled():
        abort(404)
    try:
        providers.oidc_client().validate_logout_response()
    except OAuthError:
        flash("Du är utloggad från Kvalitet.", "info")
    else:
        flash("Du är utloggad från Kvalitet och hos identitetsleverantören.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/oidc/backchannel-logout", methods=["POST"])
@csrf.exempt
@limiter.limit("60 per minute")
def oidc_backchannel_logout() -> Any:
    """OpenID Connect Back-Channel Logout 1.0: the provider says a person logged out; every
    open session of theirs in Kvalitet ends."""
    if not providers.oidc_enabled():
        abort(404)
    client = providers.oidc_client()
    raw = request.form.get("logout_token", "")
    try:
        metadata = client.load_server_metadata()
        keys = KeySet.import_key_set(client.fetch_jwk_set())
        token = jwt.decode(raw, keys)
        registry = jwt.JWTClaimsRegistry(
            leeway=int(current_app.config.get("SSO_CLOCK_SKEW") or 0),
            iss={"essential": True, "value": metadata.get("issuer")},
            aud={"essential": True, "value": client.client_id},
            iat={"essential": True},
        )
        registry.validate(token.claims)
        events = token.claims.get("events") or {}
        if "http://schemas.openid.net/event/backchannel-logout" not in events:
            raise ValueError("not a logout token")
        if "nonce" in token.claims:
            raise ValueError("logout token must not have a nonce")
    except (JoseError, ValueError, requests.RequestException) as exc:
        log.warning("OIDC back-channel logout refused: %r", exc)
        return {"error": "invalid_request"}, 400
    subject = str(token.claims.get("sub") or token.claims.get("sid") or "")
    operations.end_sessions("oidc", str(metadata.get("issuer")), subject)
    return Response(status=200, headers={"Cache-Control": "no-store"})


# --- SAML 2.0 ---------------------------------------------------------------------------


class _PendingRequests(Mapping[str, str]):
    """pysaml2's 'outstanding queries', looked up in the database one id at a time."""

    def __getitem__(self, key: str) -> str:
        pending = operations.pending_saml_request(key)
        if pending is None:
            raise KeyError(key)
        return pending.next_url

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and operations.pending_saml_request(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 1  # never "empty": an empty mapping would make pysaml2 accept unsolicited


def _saml_error_message(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, UnsolicitedResponse):
        return MSG_STATE
    if isinstance(exc, SignatureError | IncorrectlySigned | MissingKey | BadSignature):
        return MSG_SIGNATURE
    if isinstance(exc, ResponseLifetimeExceed | ToEarly) or text == "Condition not OK":
        return MSG_EXPIRED
    if isinstance(exc, StatusError):
        return MSG_DENIED
    if "AudienceRestriction" in text or "audience" in text.lower():
        return MSG_AUDIENCE
    if "destination" in text.lower() or "recipient" in text.lower():
        return MSG_AUDIENCE
    if "signature" in text.lower() or "signed" in text.lower():
        return MSG_SIGNATURE
    return MSG_FAILED


def _raw_attributes(assertion: Any) -> dict[str, list[str]]:
    """The assertion's attributes by their names as sent (and friendly names), not pysaml2's
    translation: ADFS's claim URIs would otherwise become short names."""
    values: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            texts = [str(v.text).strip() for v in attribute.attribute_value or [] if v.text]
            for key in {attribute.name, attribute.friendly_name} - {None, ""}:
                values.setdefault(str(key), []).extend(texts)
    return values


def _first(ava: Mapping[str, list[str]], setting: str) -> str:
    name = str(current_app.config.get(setting) or "")
    values = ava.get(name) or [] if name else []
    return str(values[0]).strip() if values else ""


@bp.route("/saml/metadata")
def saml_metadata() -> Any:
    if not providers.saml_enabled():
        abort(404)
    return Response(providers.sp_metadata(), mimetype="application/samlmetadata+xml")


@bp.route("/saml/login")
@limiter.limit("30 per minute")
@uow.writes
def saml_login() -> Any:
    if not providers.saml_enabled():
        abort(404)
    next_url = safe_next(request.args.get("next"), url_for("items.inbox"))
    try:
        client = providers.saml_client()
        request_id, info = client.prepare_for_authenticate(
            entityid=providers.idp_entity_id(client),
            binding=BINDING_HTTP_REDIRECT,
            response_binding=BINDING_HTTP_POST,
        )
    except requests.RequestException:
        log.warning("SAML metadata unreachable", exc_info=True)
        return _refused(MSG_UNREACHABLE, 503)
    operations.start_saml_login(str(request_id), next_url)
    location = dict(info["headers"])["Location"]
    return redirect(location)


@bp.route("/saml/acs", methods=["POST"])
@csrf.exempt
@limiter.limit("30 per minute")
def saml_acs() -> Any:
    if not providers.saml_enabled():
        abort(404)
    raw = request.form.get("SAMLResponse", "")
    if not raw:
        return _refused(MSG_FAILED, 400)
    client = providers.saml_client()
    try:
        response = client.parse_authn_request_response(
            raw, BINDING_HTTP_POST, outstanding=_PendingRequests()
        )
    except Exception as exc:  # pysaml2 raises many kinds, some plain Exception
        log.warning("SAML login refused: %r", exc)
        return _refused(_saml_error_message(exc))
    if response is None or response.assertion is None:
        return _refused(MSG_FAILED)
    ava = _raw_attributes(response.assertion)
    name_id = response.name_id
    assertion = response.assertion
    expires = None
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        expires = datetime.fromtimestamp(_timestamp(assertion.conditions.not_on_or_after), tz=UTC)
    name = _first(ava, "SAML_ATTR_NAME") or " ".join(
        part
        for part in (_first(ava, "SAML_ATTR_GIVEN_NAME"), _first(ava, "SAML_ATTR_SURNAME"))
        if part
    )
    groups_setting = str(current_app.config.get("SAML_ATTR_GROUPS") or "")
    subject = (
        _first(ava, "SAML_ATTR_ID")
        if current_app.config.get("SAML_ATTR_ID")
        else str(name_id.text or "")
        if name_id is not None
        else ""
    )
    if (
        not current_app.config.get("SAML_ATTR_ID")
        and name_id is not None
        and name_id.format == NAMEID_FORMAT_TRANSIENT
    ):
        return _refused(MSG_TRANSIENT)
    session_index = ""
    if assertion.authn_statement:
        session_index = str(assertion.authn_statement[0].session_index or "")
    pending = operations.pending_saml_request(str(response.in_response_to or ""))
    profile = operations.Profile(
        provider="saml",
        issuer=str(response.issuer() or ""),
        subject=subject,
        email=_first(ava, "SAML_ATTR_EMAIL"),
        name=name,
        title=_first(ava, "SAML_ATTR_TITLE"),
        groups=[str(g) for g in ava[groups_setting]] if groups_setting in ava else None,
        assertion_id=str(assertion.id or ""),
        assertion_expires=expires,
        in_response_to=str(response.in_response_to or ""),
        session_ref=str(name_id.text or "") if name_id is not None else "",
    )
    next_url = pending.next_url if pending is not None else None
    try:
        user = operations.sign_in(profile)
    except OperationError as exc:
        return _refused(exc.message)
    return _finish_login(
        user,
        {
            "provider": "saml",
            "idp": profile.issuer,
            "name_id": code(name_id) if name_id is not None else "",
            "session_index": session_index,
        },
        next_url,
    )


def _timestamp(text: str) -> float:
    return float(calendar.timegm(str_to_time(text)))


def _http_response(info: dict[str, Any]) -> Any:
    """What pysaml2's apply_binding produced, as a Flask response."""
    if info.get("method") == "GET":
        return redirect(dict(info["headers"])["Location"])
    return Response(info["data"], headers=dict(info.get("headers") or []))


@bp.route("/saml/sls", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit("60 per minute")
@uow.writes
def saml_sls() -> Any:
    """Single logout: the answer to our LogoutRequest, or the IdP's own LogoutRequest."""
    if not providers.saml_enabled():
        abort(404)
    values = request.form if request.method == "POST" else request.args
    binding = BINDING_HTTP_POST if request.method == "POST" else BINDING_HTTP_REDIRECT
    client = providers.saml_client()
    if "SAMLResponse" in values:
        try:
            client.parse_logout_request_response(values["SAMLResponse"], binding)
        except Exception as exc:
            log.warning("SAML logout response refused: %r", exc)
            flash(
                "Du är utloggad från Kvalitet, men identitetsleverantören bekräftade inte "
                "utloggningen där. Stäng webbläsaren för att vara säker.",
                "warning",
            )
        else:
            flash("Du är utloggad från Kvalitet och hos identitetsleverantören.", "info")
        return redirect(url_for("auth.login"))
    if "SAMLRequest" not in values:
        abort(400)
    try:
        logout_request = client.parse_logout_request(
            values["SAMLRequest"],
            binding,
            relay_state=values.get("RelayState"),
            sigalg=values.get("SigAlg"),
            signature=values.get("Signature"),
        )
    except Exception as exc:
        log.warning("SAML logout request refused: %r", exc)
        abort(400)
    message = logout_request.message
    issuer = str(message.issuer.text if message.issuer is not None else "")
    name_id = message.name_id
    user = operations.end_sessions("saml", issuer, str(name_id.text if name_id else ""))
    if current_user.is_authenticated and user is not None and current_user.id == user.id:
        logout_user()
    session.pop("sso", None)
    try:
        reply = client.create_logout_response(message, bindings=[BINDING_HTTP_REDIRECT])
        args = client.response_args(message, [BINDING_HTTP_REDIRECT])
        info = client.apply_binding(
            args["binding"],
            str(reply),
            args["destination"],
            values.get("RelayState", ""),
            response=True,
            sign=True,
        )
    except (UnsupportedBinding, UnknownPrincipal) as exc:
        log.warning("SAML logout response could not be sent: %r", exc)
        return redirect(url_for("auth.login"))
    return _http_response(info)


# --- logout at the provider as well -------------------------------------------------------


def _saml_logout(state: dict[str, Any]) -> Any:
    client = providers.saml_client()
    idp = state.get("idp") or providers.idp_entity_id(client)
    services = client.metadata.single_logout_service(idp, BINDING_HTTP_REDIRECT, "idpsso")
    if not services:
        return None
    destination = services[0]["location"]
    _request_id, logout_request = client.create_logout_request(
        destination,
        idp,
        name_id=decode(state["name_id"]),
        session_indexes=[state["session_index"]] if state.get("session_index") else None,
        sign=False,
    )
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT, str(logout_request), destination, "", sign=True
    )
    return _http_response(info)


def _oidc_logout(state: dict[str, Any]) -> Any:
    client = providers.oidc_client()
    if not client.load_server_metadata().get("end_session_endpoint"):
        return None
    return client.logout_redirect(
        post_logout_redirect_uri=f"{providers.base_url()}/oidc/utloggad",
        id_token_hint=state.get("id_token") or None,
        client_id=client.client_id,
    )


@bp.after_app_request
def _logout_at_provider(response: Response) -> Response:
    """After Kvalitet's own logout (auth.logout), send a person who came through the
    identity provider on to log out there too (RP-initiated logout / SAML single logout)."""
    if request.endpoint != "auth.logout" or response.status_code != 302:
        return response
    state = session.pop("sso", None)
    if not state:
        return response
    try:
        if state.get("provider") == "oidc" and providers.oidc_enabled():
            onward = _oidc_logout(state)
        elif state.get("provider") == "saml" and providers.saml_enabled():
            onward = _saml_logout(state)
        else:
            onward = None
    except Exception:
        log.warning("Logout at the identity provider failed", exc_info=True)
        onward = None
    if onward is None:
        return response
    for cookie in response.headers.getlist("Set-Cookie"):
        onward.headers.add("Set-Cookie", cookie)
    return onward


# --- admin: group → role mappings ---------------------------------------------------------


@bp.route("/admin/inloggning", methods=["GET", "POST"])
@admin_required
def admin() -> Any:
    form = MappingForm()
    form.role.choices = [(str(role), label) for role, label in ROLE_LABELS.items()]
    form.unit_id.choices = [(0, "Välj enhet")] + [
        (unit_id, label) for unit_id, label in org_operations.unit_choices()
    ]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            operations.add_mapping(
                current_user, form.group_name.data or "", form.role.data or "", unit
            )
        except OperationError as exc:
            apply_operation_error(form, exc)
        else:
            flash(
                "Kopplingen är sparad. Den gäller från varje persons nästa inloggning.", "success"
            )
            return redirect(url_for("sso.admin"))
    mappings = db.session.scalars(
        select(GroupMapping).order_by(GroupMapping.group_name, GroupMapping.id)
    ).all()
    identities = db.session.scalars(
        select(ExternalIdentity)
        .join(User, ExternalIdentity.user_id == User.id)
        .order_by(User.name, ExternalIdentity.id)
    ).all()
    marks: dict[int, Any] = {}
    for identity in identities:
        marks.update(operations.provider_marks(identity.user))
    return render_template(
        "sso/admin.html",
        form=form,
        mappings=mappings,
        identities=identities,
        marks=marks,
        oidc_enabled=providers.oidc_enabled(),
        saml_enabled=providers.saml_enabled(),
        base_url=providers.base_url(),
        sp_entity_id=providers.sp_entity_id(),
        break_glass=current_app.config.get("LOCAL_LOGIN_BREAK_GLASS") or [],
    ), (400 if form.errors else 200)


@bp.route("/admin/inloggning/<int:mapping_id>/ta-bort", methods=["POST"])
@admin_required
def remove_mapping(mapping_id: int) -> Any:
    mapping = db.session.get(GroupMapping, mapping_id)
    if mapping is None:
        abort(404)
    operations.remove_mapping(current_user, mapping)
    flash("Kopplingen är borttagen. Roller den gav tas bort vid nästa inloggning.", "success")
    return redirect(url_for("sso.admin"))


def role_source(assignment: RoleAssignment, marks: Mapping[int, Any]) -> str:
    mark = marks.get(assignment.id)
    return f"Från identitetsleverantören (grupp {mark.group_name})" if mark else "Given manuellt"


bp.add_app_template_global(role_source, "sso_role_source")
