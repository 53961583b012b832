"""A local EMULATOR of the Workplace Graph API read endpoints, serving a saved collection.

It is not Workplace (which closes on 1 June 2026): it answers the requests `collect workplace`
makes, over real HTTP on 127.0.0.1, with the content of a folder in the layout of `wire`, so
that collector and reader can be tested against each other (collect from the emulator, export,
compare with exporting the folder itself). What it does as Graph is documented to:
- `GET [/vNN.N]/community`, `/community/members`, `/community/groups`, `/<group>`,
  `/<group>/members|groups|feed`, `/<post or comment>/comments|reactions`; `fields` is accepted
  and ignored (the saved objects are served as they are);
- pages of `limit` items (default 25) as `{"data", "paging": {"cursors", "next"}}`, where `next`
  carries `access_token=…` in its query as Graph's do;
- the token as `Authorization: Bearer` or `access_token=`; anything else answers code 190;
- a group the listing names but the folder does not hold answers code 10 (no permission);
  an unknown id answers code 100;
- `throttle` maps request numbers (1-based, Graph requests only) to a throttling answer:
  429 → HTTP 429 with Retry-After, 4/17/32/613 → HTTP 400 with that error code.
Media are served by a second server (another origin, like Meta's CDN): saved files at
`/media/<key>.<ext>`; media the folder lacks at `/expired/<key>.jpg`, which answers 403 as an
expired signed URL does. Every request is recorded as (server, path, Authorization header).
The whole folder is loaded in memory: it is a test tool for small collections.
"""

from __future__ import annotations

import base64
import copy
import json
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from rsemigrate.export import open_source

from . import wire
from .layout import Collection

_VERSION = re.compile(r"^/v\d+\.\d+")
_EDGES = {wire.MEMBERS, wire.GROUPS, wire.FEED, wire.COMMENTS, wire.REACTIONS}


@dataclass
class GraphEmulator:
    folder: Path
    token: str
    page_size: int = 25
    throttle: dict[int, int] = field(default_factory=dict)
    retry_after: int = 1
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    _servers: list[BaseWSGIServer] = field(default_factory=list)
    _count: int = 0

    def __enter__(self) -> str:
        graph = self._serve(self._graph)
        cdn = self._serve(self._cdn)
        self._load(f"http://127.0.0.1:{cdn.server_port}")
        self._base = f"http://127.0.0.1:{graph.server_port}/v18.0"
        return self._base

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def _serve(self, handler: Callable[[Request], Response]) -> BaseWSGIServer:
        def app(environ: dict, start_response):  # type: ignore[no-untyped-def]
            return handler(Request(environ))(environ, start_response)

        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers.append(server)
        return server

    def _load(self, cdn: str) -> None:
        with open_source(self.folder) as tree:
            collection = Collection(tree)
            self.community = collection.document(wire.COMMUNITY)
            self.nodes = {
                g: collection.document(f"{wire.GROUPS}/{g}/{wire.GROUP}") for g in collection.group_folders
            }
            self.edges: dict[tuple[str, str], list[Any]] = {}
            for group, edge, owner in collection.page_keys():
                items = [item for _, _, item in collection.items((group, edge, owner))]
                self.edges[owner or group or "community", edge] = items
            self.media = {key: tree.open(entry).read() for _, key, entry in collection.media_files()}
            self.media_names = {key: PurePosixPath(entry).name for _, key, entry in collection.media_files()}
        listed = {
            str(g.get("id")) for g in self.edges.get(("community", wire.GROUPS), []) if isinstance(g, dict)
        }
        self.forbidden = listed - set(self.nodes)
        for (_owner, edge), items in self.edges.items():
            if edge in (wire.FEED, wire.COMMENTS):
                for item in items:
                    self._point_media(item, cdn)

    def _point_media(self, item: Any, cdn: str) -> None:
        """Media URLs of the saved item, pointed at the emulated CDN (a fresh 'signed' URL)."""
        if not isinstance(item, dict):
            return
        for position, node in wire.attachment_nodes(item):
            media = node.get("media")
            if not isinstance(media, dict) or not wire.media_url(node):
                continue
            key = wire.media_key(str(item.get("id")), position, node)
            url = (
                f"{cdn}/media/{self.media_names[key]}"
                if key in self.media_names
                else f"{cdn}/expired/{key}.jpg"
            )
            if media.get("source"):
                media["source"] = url
            else:
                media["image"] = {**media.get("image", {}), "src": url}

    def _graph(self, request: Request) -> Response:
        self.requests.append(("graph", request.full_path, request.headers.get("Authorization")))
        self._count += 1
        if code := self.throttle.get(self._count):
            status = 429 if code == 429 else 400
            return _error(status, 4 if code == 429 else code, "(#4) Application request limit reached",
                          {"Retry-After": str(self.retry_after)} if code == 429 else None)
        if (
            request.headers.get("Authorization") != f"Bearer {self.token}"
            and request.args.get("access_token") != self.token
        ):
            return _error(
                400, 190, "Invalid OAuth access token - Cannot parse access token", type_="OAuthException"
            )
        parts = _VERSION.sub("", request.path).strip("/").split("/")
        if parts == ["community"]:
            return _json(self.community)
        if len(parts) == 1 and parts[0] in self.nodes:
            return _json(self.nodes[parts[0]])
        if parts[0] in self.forbidden:
            return _error(403, 10, "(#10) Requires group membership or the Read group content permission")
        if len(parts) == 2 and parts[1] in _EDGES and (parts[0], parts[1]) in self.edges:
            return self._page(request, "/".join(parts), self.edges[parts[0], parts[1]])
        return _error(
            400,
            100,
            f"Unsupported get request. Object with ID '{parts[0]}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation",
        )

    def _page(self, request: Request, path: str, items: list[Any]) -> Response:
        limit = min(int(request.args.get("limit", self.page_size)), 100)
        after = request.args.get("after")
        start = int(base64.b64decode(after).decode().split(":")[1]) + 1 if after else 0
        chunk = copy.deepcopy(items[start:start + limit])
        page: dict[str, Any] = {"data": chunk}
        if chunk:
            def cursor(i):
                return base64.b64encode(f"offset:{i}".encode()).decode()
            page["paging"] = {"cursors": {"before": cursor(start), "after": cursor(start + len(chunk) - 1)}}
            if start + len(chunk) < len(items):
                query = {k: v for k, v in request.args.items() if k not in ("after", "access_token")}
                query.update(access_token=self.token, limit=str(limit), after=cursor(start + len(chunk) - 1))
                page["paging"]["next"] = f"{self._base}/{path}?{urlencode(query)}"
        return _json(page)

    def _cdn(self, request: Request) -> Response:
        self.requests.append(("cdn", request.full_path, request.headers.get("Authorization")))
        kind, _, name = request.path.strip("/").partition("/")
        key = name.partition(".")[0]
        if kind == "media" and key in self.media:
            return Response(
                self.media[key], 200, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
        return Response(b"URL signature expired", 403, content_type="text/plain")


def _json(data: Any) -> Response:
    return Response(json.dumps(data), 200, content_type="application/json")


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None,
           type_: str = "GraphMethodException") -> Response:
    body = {"error": {"message": message, "type": type_, "code": code, "fbtrace_id": "AbCdEfGhIjK"}}
    return Response(json.dumps(body), status, headers, content_type="application/json")


class _Quiet(WSGIRequestHandler):
    """No access log: `requests` records what tests need, and a log line per request is noise."""

    def log_request(self, *args: object) -> None:
        pass
