"""The emulator's HTTP side: routing (werkzeug), token checks, throttling, faults, lifecycle.

This is an EMULATOR of a documented subset of Microsoft Graph, not Microsoft Graph: it follows
the published rules for importing into Teams so that tests and rehearsals fail where a tenant
would, but it cannot prove that a real tenant accepts a payload (docs/teams.md lists what only a
canary tenant can settle).

    with GraphEmulator(EmulatorConfig(users=[User.make("ann@contoso.com")])) as url:
        ...  # Graph at url + "/v1.0", tokens at url + "/{tenant}/oauth2/v2.0/token"
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import drive, messages, reads, teams
from .auth import TokenError, Tokens
from .call import Call, Reply
from .config import EmulatorConfig
from .faults import Faults
from .rules import GraphError
from .seed import seed_collection
from .state import Tenant, User
from .throttle import UNLIMITED, Limits, Throttle, buckets_for

log = logging.getLogger("rsemigrate.teams.emulator")

_CHANNEL = "/v1.0/teams/<team>/channels/<channel>"
_ROUTES: list[tuple[str, str, Callable[[Call], Reply]]] = [
    ("POST", "/v1.0/teams", teams.create_team),
    ("GET", "/v1.0/teams", messages.list_teams),
    ("GET", "/v1.0/teams/<team>/operations/<operation>", teams.get_operation),
    ("POST", "/v1.0/teams/<team>/completeMigration", teams.complete_team),
    ("POST", "/v1.0/teams/<team>/channels", teams.create_channel),
    ("POST", _CHANNEL + "/startMigration", teams.start_channel),
    ("POST", _CHANNEL + "/completeMigration", teams.complete_channel),
    ("POST", _CHANNEL + "/messages", messages.post_channel_message),
    ("POST", _CHANNEL + "/messages/<message>/replies", messages.post_reply),
    ("GET", _CHANNEL + "/filesFolder", drive.files_folder),
    ("POST", "/v1.0/teams/<team>/members", teams.add_member),
    ("POST", "/v1.0/teams/<team>/members/add", teams.add_members),
    ("POST", "/v1.0/chats", teams.create_chat),
    ("POST", "/v1.0/chats/<chat>/startMigration", teams.start_chat),
    ("POST", "/v1.0/chats/<chat>/completeMigration", teams.complete_chat),
    ("POST", "/v1.0/chats/<chat>/messages", messages.post_chat_message),
    ("GET", "/v1.0/users", messages.list_users),
    ("GET", "/v1.0/users/<user>", messages.get_user),
    ("GET", "/v1.0/users/<user>/drive/root", drive.user_drive_root),
    ("GET", "/v1.0/groups", messages.list_groups),
    ("GET", "/v1.0/drives/<drive>/items/<path:rest>", drive.drive_item),
    ("PUT", "/v1.0/drives/<drive>/items/<path:rest>", drive.drive_item),
    ("POST", "/v1.0/drives/<drive>/items/<path:rest>", drive.drive_item),
    *reads.ROUTES,  # GETs of teams, channels, members, messages, chats, hosted contents, shares
]
#: reached without a token, like SharePoint upload URLs (and, here, file downloads).
_OPEN_ROUTES: list[tuple[str, str, Callable[[Call], Reply]]] = [
    ("GET", "/_upload/<session>", drive.upload_fragment),
    ("PUT", "/_upload/<session>", drive.upload_fragment),
    ("DELETE", "/_upload/<session>", drive.upload_fragment),
    ("GET", "/_files/<drive>/<item>/<path:name>", drive.download),
]
_FAULT_CODES = {403: "Forbidden", 404: "NotFound", 429: "TooManyRequests", 503: "ServiceUnavailable",
                504: "GatewayTimeout"}
_ODATA_KEYS = re.compile(r"/(teams|operations|chats|channels|users)\('([^']*)'\)")


def _limits(c: EmulatorConfig) -> Limits:
    if c.limits is not None:
        return c.limits
    if c.per_channel_rps is None and c.tenant_rps is None:
        return Limits()
    return replace(UNLIMITED, per_conversation=c.per_channel_rps or 0.0, overall=c.tenant_rps or 0.0)


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if isinstance(body, bytes):
        return Response(body, status, headers)
    text = "" if body is None else json.dumps(body)
    return Response(text, status, headers, content_type="application/json" if text else None)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")}}}
    return _json_response(status, body, headers)


class _Dropped(ConnectionAbortedError):
    """Raised inside the WSGI call to make werkzeug drop the connection without an answer."""


def _drop(environ: dict[str, Any]) -> None:
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise _Dropped("fault injection: connection dropped")


class _Handler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if getattr(self.server, "log_requests", False):
            log.info("%s %s %s", self.command, self.path.split("?")[0], code)

    def log_error(self, format: str, *args: Any) -> None:
        pass


class GraphEmulator:
    """A local Graph emulator on an ephemeral (or given) port; `with` starts and stops it."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        c = self.config
        self.tenant = Tenant(c.tenant_id, c.domain, c.apps, c.users, c.seed)
        for collection in c.content:
            seed_collection(self.tenant, collection)
        self.tokens = Tokens(self.tenant)
        self.throttle = Throttle(_limits(c))
        self.faults = Faults()
        self.requests = 0
        self._map = Map([Rule(path, endpoint=(fn, True), methods=[m]) for m, path, fn in _ROUTES]
                        + [Rule(path, endpoint=(fn, False), methods=[m]) for m, path, fn in _OPEN_ROUTES])
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def graph_url(self) -> str:
        return self.url + "/v1.0"

    @property
    def token_url(self) -> str:
        return f"{self.url}/{self.tenant.id}/oauth2/v2.0/token"

    def bind(self) -> str:
        """Open the listening socket (no requests served yet); returns the base URL."""
        self._server = make_server(self._host, self._port, self, threaded=True, request_handler=_Handler)
        self._server.log_requests = self.config.log_requests  # type: ignore[attr-defined]
        return self.url

    def start(self) -> str:
        url = self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="graph-emulator", daemon=True)
        self._thread.start()
        return url

    def serve_forever(self) -> None:
        if self._server is None:
            self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def limits_of(self, method: str, path: str) -> list[tuple[str, float]]:
        """The throttling buckets (name, requests/s) a request to `path` counts toward (benchmarks
        use it to compute the documented ceiling of a run from the requests it made)."""
        path = _ODATA_KEYS.sub(r"/\1/\2", path)
        try:
            _, params = self._map.bind("emulator").match(path, method=method)
        except (NotFound, MethodNotAllowed):
            params = {}
        return buckets_for(self.throttle.limits, method, path, dict(params))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        return self._dispatch(request, environ)(environ, start_response)

    def _dispatch(self, request: Request, environ: dict[str, Any]) -> Response:
        path = _ODATA_KEYS.sub(r"/\1/\2", request.path)
        now = self.config.clock()
        if path.endswith("/oauth2/v2.0/token") and request.method == "POST":
            try:
                return _json_response(200, self.tokens.issue(path.split("/")[1], dict(request.form), now))
            except TokenError as exc:
                return _json_response(exc.status, {"error": exc.error, "error_description": exc.description})
        if path.startswith("/_emulator/"):
            return self._admin(request, path)
        try:
            (handler, needs_token), params = self._map.bind("emulator").match(path, method=request.method)
        except NotFound:
            return _error(
                404, "UnknownResource", f"{request.method} {path} is not part of the emulated Graph subset"
            )
        except MethodNotAllowed:
            return _error(405, "MethodNotAllowed", f"{request.method} is not allowed on {path}")
        app = None
        if needs_token:
            app = self.tokens.verify(request.headers.get("Authorization"), now)
            if app is None:
                return _error(401, "InvalidAuthenticationToken", "Access token is empty, invalid or expired.")
            wait = self.throttle.admit(buckets_for(self.throttle.limits, request.method, path, params), now)
            if wait is not None:
                return _error(429, "TooManyRequests", "Too many requests; retry after the given delay.",
                              {"Retry-After": str(wait)})
        fault = self.faults.pick(request.method, path)
        if fault is not None and fault.action == "status":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            code = _FAULT_CODES.get(fault.status, "InternalServerError")
            return _error(fault.status, code, "Injected fault", headers)
        if fault is not None and fault.action == "drop":
            _drop(environ)
        call = Call(self.tenant, app, self.config, int(now * 1000), dict(params), dict(request.args),
                    request.get_data(), {k.lower(): v for k, v in request.headers.items()},
                    self.url + "/v1.0", path.removeprefix("/v1.0"), request.method, self.url)
        with self.tenant.lock:
            self.requests += 1
            try:
                reply = handler(call)
            except GraphError as exc:
                return _error(exc.status, exc.code, exc.message, exc.headers)
        if fault is not None and fault.action == "lost":
            _drop(environ)
        return _json_response(reply.status, reply.body, reply.headers)

    def _admin(self, request: Request, path: str) -> Response:
        """Control endpoints for rehearsals: state, faults, users. No token (bind to loopback)."""
        if path == "/_emulator/state" and request.method == "GET":
            return _json_response(200, self.tenant.snapshot())
        if path == "/_emulator/health":
            return _json_response(200, {"status": "ok", "emulator": True, "tenant": self.tenant.id})
        if path == "/_emulator/faults" and request.method == "POST":
            try:
                fault = self.faults.add(str((request.get_json(silent=True) or {}).get("spec", "")))
            except ValueError as exc:
                return _error(400, "BadRequest", str(exc))
            return _json_response(201, {"added": fault.__dict__})
        if path == "/_emulator/faults" and request.method == "DELETE":
            self.faults.clear()
            return _json_response(204, None)
        if path == "/_emulator/users" and request.method == "POST":
            with self.tenant.lock:
                for entry in request.get_json(silent=True) or []:
                    self.tenant.add_user(User.make(entry["upn"], entry.get("displayName"),
                                                   enabled=entry.get("enabled", True)))
            return _json_response(201, {"users": len(self.tenant.users)})
        return _error(404, "UnknownResource", f"no emulator control endpoint {request.method} {path}")
