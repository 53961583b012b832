"""`rsemigrate collect workplace`: page through the live Graph API and save the layout `reader` reads.

Walk: the community; its members; its groups, and breadth first each group's nested groups; for
every group its node, members and feed; for every post its comments and reactions; for every
comment with replies (`comment_count` > 0) those replies, and every comment's reactions; and the
media file of every attachment that has one, while its signed CDN URL still works. Pages are
saved as they arrive (one answer, one file) and never gathered in memory.

Rules:
- The token goes in the Authorization header, only to the Graph host (`rsemigrate.http`); the
  `access_token=` that Graph writes into `paging.next` links is stripped before following them
  and redacted in what is saved; the token's own value can never reach a saved file.
- Throttling (HTTP 429, or Graph error codes 4, 17, 32, 613) is retried with back-off, honouring
  Retry-After when sent. An invalid or expired token (code 190, HTTP 401) stops the run. Any other
  refusal of one group, post or comment edge is recorded in collect.json `skipped` and the walk
  goes on; the reader reports each as `skipped`. A media file that cannot be fetched (an expired
  URL answers 403) is listed in `media_failed` and read as `missing`.
- Everything is written into `.FOLDER.partial-<pid>` beside FOLDER and renamed at the end: an
  interrupted run never leaves something that looks like a finished collection.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from rsemigrate.archive import format_utc
from rsemigrate.errors import InputError
from rsemigrate.http import Client, RemoteError, without_params

from . import wire

DEFAULT_PAGE_SIZE = 100
#: Graph answers server errors for larger pages (reported by lahuman/workplace_export).
MAX_PAGE_SIZE = 500


class Refused(Exception):
    """Graph refused one read for a reason that does not condemn the whole run."""


def collect(folder: Path, /, token: str | None = None, graph_url: str | None = None,
            page_size: str | None = None) -> dict[str, int]:
    """The `collect` entry point: options as the CLI gives them (strings), checked here."""
    if not token:
        raise InputError("a Workplace access token is needed: --token, --token-file or WORKPLACE_TOKEN")
    try:
        size = int(page_size or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise InputError(f"--page-size must be a whole number, not {page_size!r}") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InputError(f"--page-size must be between 1 and {MAX_PAGE_SIZE}")
    with Client(graph_url or wire.GRAPH_URL, token, throttled=throttled) as client:
        return run_collect(folder, client, size)


def throttled(response: httpx.Response) -> bool:
    """Graph's rate-limit answers: a 4xx whose error code says 'slow down'."""
    return _error(response).get("code") in wire.THROTTLE_CODES


def run_collect(folder: Path, client: Client, page_size: int) -> dict[str, int]:
    if folder.exists():
        raise InputError(f"{folder}: already exists; collect into a new folder")
    stage = folder.parent / f".{folder.name}.partial-{os.getpid()}"
    stage.mkdir(parents=True)
    try:
        counts = _Walk(client, stage, page_size).run()
        os.replace(stage, folder)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return counts


class _Walk:
    def __init__(self, client: Client, stage: Path, page_size: int) -> None:
        self._client = client
        self._stage = stage
        self._limit = str(page_size)
        self._skipped: list[dict[str, Any]] = []
        self._media_failed: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()

    def run(self) -> dict[str, int]:
        started = format_utc(datetime.now(UTC))
        self._save(wire.COMMUNITY, self._get("community", {"fields": "id,name"}))
        for _ in self._pages("community/members", wire.MEMBER_FIELDS, wire.MEMBERS):
            self.counts["members"] += 1
        queue = deque(str(g["id"]) for g in self._pages("community/groups", wire.GROUP_FIELDS, wire.GROUPS)
                      if isinstance(g, dict) and g.get("id"))
        seen = set(queue)
        while queue:
            for child in self._group(queue.popleft()):
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        self._save(wire.COLLECT, {
            "tool": {"name": "rsemigrate", "version": version("rsemigrate")},
            "graph_url": self._client.base_url, "started_at": started,
            "finished_at": format_utc(datetime.now(UTC)), "page_size": int(self._limit),
            "fields": {"members": wire.MEMBER_FIELDS, "groups": wire.GROUP_FIELDS, "feed": wire.POST_FIELDS,
                       "comments": wire.COMMENT_FIELDS, "reactions": wire.REACTION_FIELDS},
            "skipped": self._skipped, "media_failed": self._media_failed,
        })
        self.counts["skipped"] = len(self._skipped)
        self.counts["media failed"] = len(self._media_failed)
        return dict(self.counts)

    def _group(self, group_id: str) -> list[str]:
        """Save one group's folder; the ids of its nested groups."""
        base = f"{wire.GROUPS}/{group_id}"
        try:
            self._save(
                f"{base}/{wire.GROUP}", self._get(group_id, {"fields": wire.GROUP_FIELDS}, fatal=False)
            )
        except Refused as exc:
            return self._skip("group", group_id, group_id, exc)
        self.counts["groups"] += 1
        children: list[str] = []
        try:
            deque(self._pages(f"{group_id}/members", "id,name,email,administrator", f"{base}/{wire.MEMBERS}",
                              fatal=False), maxlen=0)
            children = [str(g["id"]) for g in self._pages(f"{group_id}/groups", wire.GROUP_FIELDS,
                                                          f"{base}/{wire.GROUPS}", fatal=False)
                        if isinstance(g, dict) and g.get("id")]
            for post in self._pages(f"{group_id}/feed", wire.POST_FIELDS, f"{base}/{wire.FEED}", fatal=False):
                if isinstance(post, dict) and post.get("id"):
                    self.counts["posts"] += 1
                    self._thread(group_id, post)
        except Refused as exc:
            self._skip("group", group_id, f"{group_id}/…", exc)
        return children

    def _thread(self, group_id: str, post: dict[str, Any]) -> None:
        """A post's media, reactions, comments, and each comment's media, reactions and replies."""
        self._object_extras(group_id, post)
        for comment in self._edge(group_id, str(post["id"]), wire.COMMENTS, wire.COMMENT_FIELDS):
            self.counts["comments"] += 1
            self._object_extras(group_id, comment)
            if comment.get("comment_count", 1):
                for reply in self._edge(group_id, str(comment["id"]), wire.COMMENTS, wire.COMMENT_FIELDS):
                    self.counts["comments"] += 1
                    self._object_extras(group_id, reply)

    def _object_extras(self, group_id: str, item: dict[str, Any]) -> None:
        for _ in self._edge(group_id, str(item["id"]), wire.REACTIONS, wire.REACTION_FIELDS):
            self.counts["reactions"] += 1
        for position, node in wire.attachment_nodes(item):
            if url := wire.media_url(node):
                self._media(group_id, wire.media_key(str(item["id"]), position, node), url)

    def _edge(self, group_id: str, object_id: str, edge: str, fields: str) -> Iterator[dict[str, Any]]:
        folder = f"{wire.GROUPS}/{group_id}/{edge}/{object_id}"
        try:
            for item in self._pages(f"{object_id}/{edge}", fields, folder, fatal=False):
                if isinstance(item, dict) and item.get("id"):
                    yield item
        except Refused as exc:
            self._skip(edge, object_id, f"{object_id}/{edge}", exc)

    def _media(self, group_id: str, key: str, url: str) -> None:
        try:
            with self._client.stream(url) as response:
                if response.status_code != 200:
                    self._media_failed.append({"group": group_id, "key": key, "status": response.status_code})
                    return
                target = (
                    self._stage / wire.GROUPS / group_id / wire.MEDIA / f"{key}{_extension(url, response)}"
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    fh.writelines(response.iter_bytes(1 << 20))
        except RemoteError as exc:
            self._media_failed.append({"group": group_id, "key": key, "error": str(exc)})
            return
        self.counts["media files"] += 1

    def _pages(self, path: str, fields: str, folder: str, *, fatal: bool = True) -> Iterator[Any]:
        """Every item of a collection, saving each page as `folder/page-NNNN.json` first."""
        url: str | None = path
        params: dict[str, str] | None = {"fields": fields, "limit": self._limit}
        number = 0
        while url:
            page = self._get(url, params, fatal=fatal)
            number += 1
            self._save(f"{folder}/{wire.page_name(number)}", page)
            yield from page.get("data") or []
            following = (page.get("paging") or {}).get("next")
            url = without_params(following, "access_token") if isinstance(following, str) else None
            params = None  # a `next` link carries every parameter itself

    def _get(self, url: str, params: dict[str, str] | None, *, fatal: bool = True) -> dict[str, Any]:
        response = self._client.get(url, params)
        where = self._client.redact(str(response.request.url))
        if response.status_code == 200:
            try:
                data = response.json()
            except ValueError:
                raise RemoteError(f"GET {where}: the answer is not JSON") from None
            if isinstance(data, dict):
                return data
            raise RemoteError(f"GET {where}: expected a JSON object")
        error = _error(response)
        message = self._client.redact(str(error.get("message") or response.reason_phrase))
        text = f"HTTP {response.status_code}, code {error.get('code')}: {message}"
        if response.status_code == 401 or error.get("code") in wire.TOKEN_CODES:
            raise RemoteError(f"GET {where}: the access token was refused ({text}); get a new one")
        if fatal or response.status_code in (429, 500, 502, 503, 504) or throttled(response):
            raise RemoteError(f"GET {where}: {text}")
        raise Refused(text)

    def _skip(self, kind: str, object_id: str, path: str, exc: Refused) -> list[str]:
        self._skipped.append({"kind": kind, "id": object_id, "path": path, "error": str(exc)})
        return []

    def _save(self, relpath: str, data: object) -> None:
        target = self._stage / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
        target.write_text(self._client.redact(text) + "\n", encoding="utf-8")


def _error(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def _extension(url: str, response: httpx.Response) -> str:
    suffix = PurePosixPath(urlsplit(url).path).suffix
    if suffix and len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix.lower()
    guessed = mimetypes.guess_extension(response.headers.get("content-type", "").split(";")[0].strip())
    return guessed or ".bin"
