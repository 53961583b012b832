"""The emulator's OAuth 2.0 client-credentials endpoint and its access tokens.

Tokens are JWTs shaped like Entra ID app-only tokens (`tid`, `appid`, `roles`, `exp`, `idtyp`
= "app"), signed with HMAC-SHA256 under a key that lives only in this emulator process. Clients
must treat them as opaque, except for reading `roles` (which a preflight may do, as with the real
service). Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from .state import App, Tenant

TOKEN_SECONDS = 3599
GRAPH_AUDIENCE = "https://graph.microsoft.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class TokenError(Exception):
    status: int
    error: str
    description: str


class Tokens:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._key = secrets.token_bytes(32)

    def issue(self, tenant_ref: str, form: dict[str, str], now: float) -> dict[str, object]:
        """Answer a token request (form fields as posted), or raise TokenError like Entra ID."""
        if tenant_ref not in (self.tenant.id, self.tenant.domain, "organizations"):
            raise TokenError(400, "invalid_request", f"AADSTS90002: Tenant '{tenant_ref}' not found.")
        if form.get("grant_type") != "client_credentials":
            raise TokenError(400, "unsupported_grant_type", "only client_credentials is supported")
        app = self.tenant.apps.get(form.get("client_id", ""))
        if app is None or not hmac.compare_digest(
            app.secret.encode(), form.get("client_secret", "").encode()
        ):
            raise TokenError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if not form.get("scope", "").endswith("/.default"):
            raise TokenError(
                400, "invalid_scope", "app-only tokens need the scope https://graph.microsoft.com/.default"
            )
        claims = {
            "aud": GRAPH_AUDIENCE, "iss": f"https://sts.windows.net/{self.tenant.id}/", "tid": self.tenant.id,
            "appid": app.client_id, "idtyp": "app", "roles": sorted(app.roles),
            "iat": int(now), "nbf": int(now), "exp": int(now) + TOKEN_SECONDS,
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return {"token_type": "Bearer", "expires_in": TOKEN_SECONDS, "ext_expires_in": TOKEN_SECONDS,
                "access_token": f"{header}.{body}.{signature}"}

    def verify(self, authorization: str | None, now: float) -> App | None:
        """The app behind a `Bearer` header, or None when the token is missing, forged or expired."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        try:
            header, body, signature = authorization[7:].strip().split(".")
            expected = hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            claims = json.loads(_unb64(body))
        except ValueError:
            return None
        if claims.get("exp", 0) < now or claims.get("tid") != self.tenant.id:
            return None
        app = self.tenant.apps.get(claims.get("appid", ""))
        if app is None:
            return None
        return App(app.client_id, app.secret, frozenset(claims.get("roles", [])))
