"""A small read-only Graph client for the preflight: app-only token, GETs, Retry-After.

The import itself (a later step) will use msgraph-sdk; the preflight only needs a token and a
handful of GETs, so it uses httpx directly and stays fast to import. The client secret comes from
an environment variable or a file, is sent only to the token endpoint, and never appears in a
message or a log line.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from rsemigrate.errors import InputError

from .plan import ConnectionSection

SCOPE = "https://graph.microsoft.com/.default"
RETRY_STATUSES = (429, 503, 504)

#: a user's fields the checks read. accountEnabled and userType are not among the properties Graph
#: returns by default, only when selected (https://learn.microsoft.com/graph/api/user-get).
_USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled,userType"


class GraphReadError(Exception):
    """A Graph read that failed for a reason other than 'not found'."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


def read_secret(connection: ConnectionSection, plan_dir: Path, purpose: str = "--online") -> str:
    """The app's client secret, from `client_secret_file` or the environment (never the plan)."""
    if connection.client_secret_file:
        path = (plan_dir / connection.client_secret_file).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(
                f"cannot read teams.client_secret_file: {exc.strerror}", file=str(path)
            ) from None
    secret = os.environ.get(connection.client_secret_env, "")
    if not secret:
        raise InputError(f"{purpose} needs the app's client secret: set the environment variable "
                         f"{connection.client_secret_env} or teams.client_secret_file in the plan")
    return secret


def token_claims(token: str) -> dict[str, Any]:
    """The claims of an access token (read, not verified: Graph verifies it)."""
    try:
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_roles(token: str) -> list[str]:
    """The `roles` claim of an access token."""
    roles = token_claims(token).get("roles", [])
    return [str(r) for r in roles] if isinstance(roles, list) else []


class GraphReader:
    def __init__(self, connection: ConnectionSection, secret: str, *, max_attempts: int = 5,
                 max_wait: float = 30.0, client: httpx.Client | None = None) -> None:
        if not connection.tenant_id or not connection.client_id:
            raise InputError("--online needs teams.tenant_id and teams.client_id in the plan")
        self.connection = connection
        self._secret = secret
        self._client = client or httpx.Client(timeout=30.0)
        self._token: str | None = None
        self.max_attempts, self.max_wait = max_attempts, max_wait

    def close(self) -> None:
        self._client.close()

    def token(self) -> str:
        if self._token is None:
            c = self.connection
            url = f"{c.login_url.rstrip('/')}/{quote(c.tenant_id or '')}/oauth2/v2.0/token"
            response = self._send(
                "POST",
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": c.client_id,
                    "client_secret": self._secret,
                    "scope": SCOPE,
                },
            )
            if response.status_code != 200:
                detail = _json(response)
                raise GraphReadError(response.status_code, str(detail.get("error", "token")),
                                     str(detail.get("error_description", "no token")))
            self._token = str(response.json()["access_token"])
        return self._token

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(1, self.max_attempts + 1):
            response = self._client.request(method, url, **kwargs)
            if response.status_code not in RETRY_STATUSES or attempt == self.max_attempts:
                return response
            try:
                wait = float(response.headers.get("Retry-After", ""))
            except ValueError:
                wait = 2.0 ** attempt
            time.sleep(min(wait, self.max_wait))
        raise AssertionError("unreachable")

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any] | None:
        """GET a Graph path; None on 404, GraphReadError on any other failure."""
        url = self.connection.graph_url.rstrip("/") + path
        response = self._send("GET", url, params=params, headers={"Authorization": f"Bearer {self.token()}"})
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            error = _json(response).get("error") or {}
            raise GraphReadError(
                response.status_code, str(error.get("code", "")), str(error.get("message", ""))
            )
        return response.json()

    def user(self, ref: str) -> dict[str, Any] | None:
        return self.get(f"/users/{quote(ref, safe='@')}", {"$select": _USER_FIELDS})

    def users_with_mail(self, email: str) -> list[dict[str, Any]]:
        """Accounts whose `mail` is this address (a guest's UPN is not its email)."""
        found = self.get("/users", {"$filter": f"mail eq '{email.replace(chr(39), chr(39) * 2)}'",
                                    "$select": _USER_FIELDS})
        return list((found or {}).get("value", []))

    def groups_named(self, name: str) -> list[dict[str, Any]]:
        found = self.get("/groups", {"$filter": f"displayName eq '{name.replace(chr(39), chr(39) * 2)}'"})
        return list((found or {}).get("value", []))

    def team(self, team_id: str) -> dict[str, Any] | None:
        return self.get(f"/teams/{quote(team_id)}")

    def channels(self, team_id: str) -> list[dict[str, Any]]:
        found = self.get(f"/teams/{quote(team_id)}/channels")
        return list((found or {}).get("value", []))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
