"""A local EMULATOR of files.slack.com's download behaviour, for tests and rehearsals.

It is not Slack. It answers `GET /files-pri/<team>-<file id>/…` the way Slack is documented and
reported to (source-formats.md §3.5; slack-advanced-exporter #13):
- with `Authorization: Bearer <the token>`: 200 and the file's bytes;
- without it, or with another token: 302 to `/signin`, which answers 200 with an HTML sign-in
  page (what naive downloaders end up saving as the "file");
- files listed in `statuses` answer that status (401, 403, 404…); files in `signin` answer the
  sign-in page even with the right token (a token without the files:read scope does that);
- files in `throttle` first answer 429 with `Retry-After` that many times.
Every request is recorded as (path, Authorization header) so tests can check where the token went.

    with FilesEmulator("xoxp-1", {"F01": b"data"}) as url:   # url: http://127.0.0.1:PORT
        ...
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SIGNIN_PAGE = (b"<!DOCTYPE html><html><head><title>Slack</title></head><body>"
               b"<h1>Sign in to your workspace</h1><form action=\"/signin\"></form></body></html>")
_FILE = re.compile(r"/files-pri/[A-Z0-9]+-(F[A-Z0-9]+)/")


@dataclass
class FilesEmulator:
    token: str
    #: file id → content.
    files: dict[str, bytes]
    statuses: dict[str, int] = field(default_factory=dict)
    signin: set[str] = field(default_factory=set)
    #: file id → how many 429 answers come before the file.
    throttle: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    _server: BaseWSGIServer | None = None

    def __enter__(self) -> str:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        authorization = request.headers.get("Authorization")
        self.requests.append((request.path, authorization))
        return self._answer(request.path, authorization)(environ, start_response)

    def _answer(self, path: str, authorization: str | None) -> Response:
        if path == "/signin":
            return Response(SIGNIN_PAGE, 200, content_type="text/html; charset=utf-8")
        match = _FILE.match(path)
        file_id = match[1] if match else None
        if file_id is None or (file_id not in self.files and file_id not in self.statuses):
            return Response(b"file not found", 404, content_type="text/plain")
        if self.throttle.get(file_id, 0) > 0:
            self.throttle[file_id] -= 1
            return Response(b"", 429, headers={"Retry-After": str(self.retry_after)})
        if authorization != f"Bearer {self.token}":
            return Response(b"", 302, headers={"Location": f"/signin?redir={path}"})
        if file_id in self.statuses:
            return Response(b"", self.statuses[file_id])
        if file_id in self.signin:
            return Response(SIGNIN_PAGE, 200, content_type="text/html; charset=utf-8")
        return Response(self.files[file_id], 200, content_type="application/octet-stream")


class _Quiet(WSGIRequestHandler):
    """No access log: `requests` records what tests need, and a log line per request is noise."""

    def log_request(self, *args: object) -> None:
        pass
