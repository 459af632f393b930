"""A real OpenID Connect provider for the tests, built on Authlib's server classes and served
over HTTP on 127.0.0.1: discovery, JWKS, authorization code with PKCE and nonce, token
endpoint with client secret, RP-initiated logout. Its person logs in at the provider's own
page by user name (the provider's "directory" is `users`).

Knobs for the refusal tests change what the provider signs: `tamper` = "signature" (payload
changed after signing), "expired", "audience" or "nonce"."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, abort, jsonify, redirect, render_template_string, request, session
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server

LOGIN_PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8">
<title>Testkommunens inloggning</title></head><body><h1>Testkommunens inloggning</h1>
<form method="post"><label for="username">Användarnamn</label>
<input id="username" name="username" autocomplete="username">
<button type="submit">Logga in hos kommunen</button></form></body></html>"""


@dataclass
class OidcClient(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return ""

    def get_amr(self) -> list[str]:
        return []


class OidcProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-1", "use": "sig"})
        self.users: dict[str, dict[str, Any]] = {}
        self.clients: dict[str, OidcClient] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tamper: str | None = None
        self.logouts: list[str] = []
        self.url = ""
        self.app = self._make_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- set-up -------------------------------------------------------------------------

    def add_client(self, client_id: str, secret: str, app_url: str) -> None:
        self.clients[client_id] = OidcClient(
            client_id=client_id,
            client_secret=secret,
            redirect_uris=[f"{app_url}/oidc/callback"],
            post_logout_redirect_uris=[f"{app_url}/oidc/utloggad"],
        )

    def add_user(self, username: str, **claims: Any) -> None:
        self.users[username] = {"sub": f"sub-{username}", **claims}

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
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        return jwt.encode({"alg": "RS256", "kid": "test-1"}, claims, key or self.key)

    # --- the provider -------------------------------------------------------------------

    def _make_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        # Its own cookie name: browsers share cookies between ports of 127.0.0.1.
        app.config.update(SECRET_KEY=secrets.token_hex(16), SESSION_COOKIE_NAME="idp_session")

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = AuthCode(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.scope,
                    user=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Any) -> AuthCode | None:
                item = provider.codes.get(code)
                if item is not None and item.client_id == client.client_id:
                    return item
                return None

            def delete_authorization_code(self, authorization_code: AuthCode) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthCode) -> dict[str, Any]:
                return authorization_code.user

        class IdToken(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Any) -> Any:
                return provider.key

            def get_client_algorithm(self, client: Any) -> str:
                return "RS256"

            def get_encode_header(self, client: Any) -> dict[str, str]:
                return {"alg": "RS256", "kid": "test-1"}

            def get_client_claims(self, client: Any) -> dict[str, Any]:
                now = int(time.time())
                claims: dict[str, Any] = {
                    "iss": provider.url,
                    "aud": [client.get_client_id()],
                    "iat": now,
                    "exp": now + 300,
                }
                if provider.tamper == "expired":
                    claims.update(iat=now - 3600, exp=now - 1800)
                if provider.tamper == "audience":
                    claims["aud"] = ["en-annan-tjanst"]
                return claims

            def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
                return UserInfo(user)

            def encode_id_token(self, token: dict[str, Any], req: Any) -> str:
                if provider.tamper == "nonce" and req.authorization_code is not None:
                    req.authorization_code.nonce = "en-annan-nonce"
                if provider.tamper == "signature_key":
                    claims = {**self.get_client_claims(req.client), **req.user}
                    return provider.sign(
                        {**claims, "nonce": req.authorization_code.nonce}, provider.other_key
                    )
                encoded = str(super().encode_id_token(token, req))
                if provider.tamper == "signature":
                    header, payload, signature = encoded.split(".")
                    forged = provider._forge_payload(payload)
                    return ".".join([header, forged, signature])
                return encoded

        server = AuthorizationServer(
            app,
            query_client=lambda client_id: provider.clients.get(client_id),
            save_token=lambda token, req: None,
        )
        server.register_grant(
            CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)]
        )

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            base = provider.url
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                jwks_uri=f"{base}/jwks",
                end_session_endpoint=f"{base}/logout",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                backchannel_logout_supported=True,
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            username = request.form.get("username") or session.get("username")
            if request.method == "GET" and not session.get("username"):
                return render_template_string(LOGIN_PAGE)
            user = provider.users.get(username or "")
            if user is None:
                return render_template_string(LOGIN_PAGE), 401
            session["username"] = username
            grant = server.get_consent_grant(end_user=user)
            return server.create_authorization_response(grant_user=user, grant=grant)

        @app.post("/token")
        def issue_token() -> Any:
            return server.create_token_response()

        @app.get("/logout")
        def logout() -> Any:
            hint = request.args.get("id_token_hint", "")
            client = provider.clients.get(request.args.get("client_id", ""))
            target = request.args.get("post_logout_redirect_uri", "")
            try:
                claims = jwt.decode(hint, KeySet([provider.key])).claims if hint else {}
            except Exception:
                abort(400)
            if client is None or target not in client.post_logout_redirect_uris:
                abort(400)
            provider.logouts.append(str(claims.get("sub", "")))
            session.clear()
            state = request.args.get("state")
            return redirect(f"{target}?{urlencode({'state': state})}" if state else target)

        return app

    def _forge_payload(self, payload: str) -> str:
        """The same id_token with another person's e-mail address, signature untouched."""
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
        claims["email"] = "angripare@example.se"
        raw = json.dumps(claims, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
