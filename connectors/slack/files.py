"""Slack files into Attachment records, their binaries into the file store.

A Slack export holds file *metadata* only (every plan; source-formats.md §3.4). A binary is
stored when:
1. the export carries it (`__uploads/<F…>/<name>`, or `<channel>/attachments/<F…>-<name>`, as
   added by slack-advanced-exporter and slackdump) → `present`;
2. else, when a token is given, it is downloaded from `url_private_download` with
   `Authorization: Bearer` → `present`. Without a valid token Slack answers a 302 to its HTML
   sign-in page, so an HTML answer for a file that is not HTML is refused, never stored; the file
   is then `missing` and the report says why (as for 401/403/404, or a 429 that outlasts the
   retries). The token goes only to files.slack.com (or the configured `files_url`): a URL on any
   other host, which a doctored export could hold, is never fetched with it;
3. else the file is `external`: it still lives in Slack, at `url_private`.
Files Slack itself no longer has (`mode` tombstone: deleted; hidden_by_limit: beyond the free
plan's history) are `missing`, with a report entry; files stored elsewhere (`is_external`, e.g.
Google Drive) are `external`. Link cards (`attachments[]` with a URL) become `link` attachments.

A file shared in several messages is announced once, under its Slack id. The export's binary
must carry the file's `name`: when the file's folder holds several binaries (`__uploads/F1/a.pdf`
beside `doc3.pdf`), the one of that name is stored, and every other one is reported as skipped,
so no file's bytes are ever stored under another file's name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit

from rsemigrate.archive import Attachment, FileStore, ReportEntry
from rsemigrate.export import SourceTree
from rsemigrate.http import Client, RemoteError, RetryPolicy, rebase, same_origin

from . import wire

_CHUNK = 1 << 20
#: files above this size spill from memory to a temporary file while they download.
_IN_MEMORY = 8 << 20
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_STARTS = (b"<!doctype html", b"<html")
_GONE = {"tombstone": "deleted in Slack", "hidden_by_limit": "hidden by the free plan's history limit"}


class Downloader:
    """Fetches `files.slack.com` URLs with the token, from `files_url` (the same by default)."""

    def __init__(
        self, token: str, files_url: str = wire.FILES_ORIGIN, retry: RetryPolicy | None = None
    ) -> None:
        self.files_url = files_url.rstrip("/")
        self._client = Client(self.files_url, token, retry=retry or RetryPolicy())

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, expected_type: str | None, files: FileStore) -> tuple[str, int] | str:
        """(sha256, size) of the stored download, or why it was refused."""
        if not same_origin(url, wire.FILES_ORIGIN):
            return (
                f"{urlsplit(url).hostname or 'its URL'} is not files.slack.com: the token is only sent there"
            )
        try:
            with self._client.stream(rebase(url, self.files_url)) as response:
                if response.status_code != 200:
                    return f"download refused: HTTP {response.status_code}"
                chunks = response.iter_bytes(_CHUNK)
                first = next(chunks, b"")
                if _is_html(response.headers.get("content-type", ""), first) and not _is_html(
                    expected_type or "", b""
                ):
                    return ("download answered with an HTML page (Slack's sign-in page: token invalid, "
                            "expired or lacking files:read); refused, not stored as the file")
                with tempfile.SpooledTemporaryFile(_IN_MEMORY) as spool:
                    spool.write(first)
                    for chunk in chunks:
                        spool.write(chunk)
                    spool.seek(0)
                    stored = files.put(spool)  # type: ignore[arg-type]
        except RemoteError as exc:
            return f"download failed: {exc}"
        return stored.sha256, stored.size


class SlackFiles:
    """Announces each file once; stores what the export carries or the token can fetch."""

    def __init__(self, tree: SourceTree, binaries: dict[str, dict[str, str]], files: FileStore,
                 downloader: Downloader | None) -> None:
        self._tree = tree
        self._binaries = binaries
        self._files = files
        self._downloader = downloader
        self._seen: set[str] = set()

    def announce(self, item: wire.FileObject, location: str) -> Iterator[Attachment | ReportEntry]:
        """The attachment for a message's file object, unless announced before."""
        file_id = item["id"]
        if file_id in self._seen:
            return
        self._seen.add(file_id)
        media_type = item.get("mimetype") or None
        kind = "image" if media_type and media_type.startswith("image/") else "file"
        url = item.get("url_private_download") or item.get("url_private") or item.get("permalink")
        attachment = Attachment(
            file_id,
            kind,
            "external",
            file_id,
            name=item.get("name") or item.get("title"),
            media_type=media_type,
            size=item.get("size"),
            url=url,
            source={k: v for k, v in item.items() if k not in wire.FILE_CONSUMED},
        )
        mode = item.get("mode", "")
        entry, others = _binary(self._binaries.get(file_id, {}), item.get("name"))
        for other in others:
            yield ReportEntry("skipped", "file", file_id, f"{other} is in the export beside file {file_id} "
                              f"but is not its binary (named {item.get('name')!r}); not read", location=other)
        if entry is not None:
            with self._tree.open(entry) as stream:
                stored = self._files.put(stream)
            attachment.status, attachment.sha256, attachment.size = "present", stored.sha256, stored.size
            attachment.source["export_path"] = entry
        elif mode in _GONE:
            attachment.status = "missing"
            yield ReportEntry("degraded", "attachment", file_id, f"file {_GONE[mode]}; only its "
                              "metadata is in the export", location=location)
        elif self._downloader is not None and url and not item.get("is_external"):
            outcome = self._downloader.fetch(url, media_type, self._files)
            if isinstance(outcome, str):
                attachment.status = "missing"
                yield ReportEntry("degraded", "attachment", file_id, outcome, location=location)
            else:
                attachment.status = "present"
                attachment.sha256, attachment.size = outcome
        yield attachment


def _binary(candidates: dict[str, str], name: object) -> tuple[str | None, list[str]]:
    """(the entry holding the file named `name`, the entries that are not it): a lone binary is
    the file's whatever its name (tools shorten names), one of several only by its name."""
    if len(candidates) == 1:
        return next(iter(candidates.values())), []
    entry = candidates.get(name) if isinstance(name, str) else None
    return entry, [e for e in candidates.values() if e != entry]


def link_cards(message_id: str, cards: list[dict[str, object]]) -> list[Attachment]:
    """`link` attachments for the legacy `attachments[]` cards that point somewhere."""
    found = []
    for n, card in enumerate(cards, 1):
        if not isinstance(card, dict):
            continue
        url = card.get("from_url") or card.get("original_url") or card.get("title_link")
        if isinstance(url, str) and url:
            title = card.get("title") or card.get("service_name")
            found.append(Attachment(f"{message_id}:card:{card.get('id', n)}", "link", "external", url,
                                    name=title if isinstance(title, str) else None, url=url,
                                    source={k: v for k, v in card.items() if k not in ("from_url", "title")}))
    return found


def _is_html(content_type: str, head: bytes) -> bool:
    if content_type.split(";")[0].strip().lower() in _HTML_TYPES:
        return True
    return head.lstrip()[:20].lower().startswith(_HTML_STARTS)
