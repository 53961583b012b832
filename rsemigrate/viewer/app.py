"""The viewer as a WSGI application: routing, sign-in, security headers and the access log.

Every response carries a strict Content-Security-Policy (scripts and styles from this server
only, no inline script), `nosniff`, no framing and no caching. Pages are Jinja2 templates with
autoescaping on; the only markup that reaches them unescaped is a body nh3 sanitised (body.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .accesslog import AccessLog
from .auth import COOKIE, SESSION_SECONDS, Sessions
from .shelf import Shelved

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none';"
       " base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}

URLS = Map([
    Rule("/", endpoint="home"),
    Rule("/static/<name>", endpoint="static"),
    Rule("/login", endpoint="login", methods=["GET", "POST"]),
    Rule("/logout", endpoint="logout", methods=["POST"]),
    Rule("/search", endpoint="search"),
    Rule("/search.csv", endpoint="search_csv"),
    Rule("/search.json", endpoint="search_json"),
    Rule("/t/<message_id>", endpoint="thread"),
    Rule("/m/<message_id>", endpoint="message"),
    Rule("/a/<archive>/", endpoint="overview"),
    Rule("/a/<archive>/verify.json", endpoint="verify_json"),
    Rule("/a/<archive>/report", endpoint="report"),
    Rule("/a/<archive>/channels", endpoint="channels"),
    Rule("/a/<archive>/c/<channel_id>", endpoint="timeline"),
    Rule("/a/<archive>/p/<user_id>", endpoint="person"),
    Rule("/a/<archive>/file/<attachment_id>", endpoint="download"),
    Rule("/a/<archive>/preview/<attachment_id>", endpoint="preview"),
], strict_slashes=False)


@dataclass
class Visit:
    """One request as the pages see it."""

    request: Request
    user: str
    app: Viewer

    def archive(self, name: str) -> Shelved:
        found = self.app.by_name.get(name)
        if found is None:
            raise NotFound(f"no archive named {name!r} is served here")
        return found

    def log(self, action: str, **detail: Any) -> None:
        self.app.access_log.record(self.user, action, **detail)

    def page(self, template: str, status: int = 200, **context: Any) -> Response:
        html = self.app.templates.get_template(template).render(
            shelf=self.app.shelf, user=self.user, auth=self.app.sessions is not None, **context)
        return Response(html, status=status, content_type="text/html; charset=utf-8")


View = Callable[..., Response]
#: endpoints served by this module itself, before (or without) signing in.
_OWN_ENDPOINTS = ("static", "login", "logout")


class Viewer:
    """The WSGI callable: `Viewer(shelf, access_log, sessions)`; sessions None means no sign-in."""

    def __init__(self, shelf: list[Shelved], access_log: AccessLog, sessions: Sessions | None) -> None:
        from . import pages

        self.shelf = shelf
        self.by_name = {shelved.name: shelved for shelved in shelf}
        self.access_log = access_log
        self.sessions = sessions
        self.views: dict[str, View] = {rule.endpoint: getattr(pages, rule.endpoint)
                                       for rule in URLS.iter_rules() if rule.endpoint not in _OWN_ENDPOINTS}
        self.templates = Environment(loader=PackageLoader("rsemigrate.viewer"),
                                     autoescape=select_autoescape(default=True, default_for_string=True),
                                     trim_blocks=True, lstrip_blocks=True)
        self.templates.globals["archive_count"] = len(shelf)

    def close_connections(self) -> None:
        """Close every SQLite connection this process holds (each reopens on use): the server calls
        it before forking its workers, since a connection must never cross a fork."""
        for shelved in self.shelf:
            shelved.close()
            shelved.state.close()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = exc.get_response(environ)  # type: ignore[assignment]
        finally:
            for shelved in self.shelf:
                shelved.release()
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        endpoint, args = URLS.bind_to_environ(request.environ).match()
        if endpoint == "static":
            return static(args["name"])
        user = self.signed_in(request)
        if endpoint in ("login", "logout"):
            return (login if endpoint == "login" else logout)(self, request)
        if user is None:
            return redirect(f"/login?next={request.full_path}" if request.path != "/" else "/login", 303)
        return self.views[endpoint](Visit(request, user, self), **args)

    def signed_in(self, request: Request) -> str | None:
        if self.sessions is None:
            return f"local ({request.remote_addr})"
        return self.sessions.user(request.cookies.get(COOKIE))


def static(name: str) -> Response:
    path = STATIC / name
    if path.suffix not in STATIC_TYPES or not path.is_file() or path.parent != STATIC:
        raise NotFound()
    return Response(path.read_bytes(), content_type=STATIC_TYPES[path.suffix])


def login(app: Viewer, request: Request) -> Response:
    if app.sessions is None:
        return redirect("/", 303)
    target = request.values.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # never an open redirect
    visit = Visit(request, "", app)
    if request.method == "GET":
        return visit.page("login.html", next=target, failed=False)
    name = request.form.get("user", "")
    token = app.sessions.login(name, request.form.get("password", ""))
    app.access_log.record(name, "login", outcome="success" if token else "refused",
                          address=request.remote_addr)
    if token is None:
        return visit.page("login.html", status=401, next=target, failed=True)
    response = redirect(target, 303)
    behind_tls = request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https"
    response.set_cookie(COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="Strict",
                        secure=behind_tls)
    return response


def logout(app: Viewer, request: Request) -> Response:
    if app.sessions is not None:
        app.sessions.logout(request.cookies.get(COOKIE))
    response = redirect("/login" if app.sessions else "/", 303)
    response.delete_cookie(COOKIE)
    return response
