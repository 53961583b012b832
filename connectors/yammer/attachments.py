"""Attachment tokens into Attachment records; natively exported binaries into the file store.

| token                        | kind          | status                       | id                     |
|------------------------------|---------------|------------------------------|------------------------|
| `uploadedfile:<file_id>`     | file or image | present, or missing          | `uploadedfile:<id>`    |
| `page:<page_id>`             | page          | present, or missing          | `page:<id>`            |
| `opengraphobject:[id : url…]`| link          | external (a URL)             | `opengraphobject:<id>` |
| `ymodule:…` and any other    | module        | external (nothing to store)  | `<type>:<value>`       |

A binary is found through the `path` column of Files.csv/Pages.csv, else as `Files/<id>.<ext>`
(`Pages/` for pages). When several binaries claim one id (`Files/999.pdf` and `Files/999.png`),
the one whose extension matches the file's name is stored, else the first by name, and each
other one is reported as a `duplicate` naming its entry: none is dropped unsaid. A file the
export does not hold (SharePoint storage, an export without files) is `missing`: a known gap,
not an error. Files.csv and Pages.csv entries and binaries no exported message refers to are
kept as attachments too, since the export carried them.

Media types come from the file name through Python's built-in table plus the Office formats, not
the host's /etc/mime.types, so the same export always gives the same archive.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import PurePosixPath

from rsemigrate.archive import Attachment, FileStore, ReportEntry
from rsemigrate.export import Census, SourceTree

from . import wire
from .markup import Token
from .table import Table

_MEDIA_TYPES = mimetypes.MimeTypes()
for _ext, _type in {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}.items():
    _MEDIA_TYPES.add_type(_type, _ext)

#: token type → (key column of its CSV, folder of its binaries).
_STORED = {"uploadedfile": ("file_id", wire.FILES_DIR), "page": ("page_id", wire.PAGES_DIR)}


class Attachments:
    """Announces each attachment once, storing its binary on first sight."""

    def __init__(self, tree: SourceTree, root: str, entries: dict[str, str], files: FileStore) -> None:
        """`entries` maps each lower-cased entry name of the export to the name itself."""
        self._tree = tree
        self._files = files
        self._seen: set[str] = set()
        self._entries = entries
        #: token type → id → the non-empty cells of its Files.csv/Pages.csv row.
        self._rows: dict[str, dict[str, wire.FileRow | wire.PageRow]] = {kind: {} for kind in _STORED}
        #: token type → id → export entries of its binary, found by name alone (normally one).
        self._binaries = {kind: _binaries(tree, f"{root}{folder}/") for kind, (_, folder) in _STORED.items()}
        self._root = root

    def read_index(self, table: Table, kind: str, census: Census) -> Iterator[ReportEntry]:
        """Files.csv (kind `uploadedfile`) or Pages.csv (`page`); a later version row wins."""
        key = _STORED[kind][0]
        record_type = "file" if kind == "uploadedfile" else "page"
        rows = self._rows[kind]
        for item in table.dicts(key):
            if isinstance(item, ReportEntry):
                yield item
            else:
                line, row = item
                census.see(record_type, row, f"{kind}:{row[key].strip()}", table.where(line))
                rows[row[key].strip()] = {k: v for k, v in row.items() if v}  # type: ignore[assignment]

    def announce(self, token: Token, location: str | None = None) -> Iterator[Attachment | ReportEntry]:
        """The attachment `token` names, unless it was announced before."""
        if token.id in self._seen:
            return
        self._seen.add(token.id)
        if token.type in _STORED:
            yield from self._stored(token)
        elif token.type == "opengraphobject":
            card = token.card
            if card is None:
                yield Attachment(token.id, "link", "external", token.raw)
                yield ReportEntry("degraded", "attachment", token.id, "link card of an unknown shape; "
                                  "kept as its raw token (source_ref)", location=location)
            else:
                yield Attachment(token.id, "link", "external", token.raw, name=card.title, url=card.url,
                                 source={"description": card.description} if card.description else {})
        else:
            yield Attachment(token.id, "module", "external", token.raw)

    def unreferenced(self) -> Iterator[Attachment | ReportEntry]:
        """Files and pages the export holds that no exported message referred to."""
        for kind in _STORED:
            for ref in {**self._rows[kind], **self._binaries[kind]}:
                yield from self.announce(Token(kind, ref, f"{kind}:{ref}"))

    def _stored(self, token: Token) -> Iterator[Attachment | ReportEntry]:
        row = self._rows[token.type].get(token.value, {})
        entry = self._locate(token, row.get("path", ""), row.get("name", ""))
        name = row.get("name") or (PurePosixPath(entry).name if entry else None)
        media_type = _media_type(name, entry)
        if token.type == "page":
            kind = "page"
        else:
            kind = "image" if media_type and media_type.startswith("image/") else "file"
        source = {k: v for k, v in row.items() if k not in wire.STORED_CONSUMED}
        attachment = Attachment(token.id, kind, "missing", token.raw, name=name, media_type=media_type,
                                url=row.get("download_url"), source=source)  # type: ignore[arg-type]
        if entry is not None:
            with self._tree.open(entry) as stream:
                stored = self._files.put(stream)
            attachment.status, attachment.size, attachment.sha256 = "present", stored.size, stored.sha256
            if entry != row.get("path"):
                source["export_path"] = entry
        yield attachment
        for twin in self._binaries[token.type].get(token.value, ()):
            if twin != entry:
                yield ReportEntry("duplicate", "file", token.id, f"{twin} also claims to be {token.type} "
                                  f"{token.value}; {entry} was stored as its binary, this entry was not read",
                                  location=twin)

    def _locate(self, token: Token, path: str, name: str) -> str | None:
        """The export entry holding the binary: the row's `path` (from the export root or the
        top), else the `<id>.<ext>` file of the type's folder (the one with the extension of the
        row's `name` if several claim the id)."""
        if path:
            path = path.replace("\\", "/").lstrip("/").lower()
            for candidate in (f"{self._root.lower()}{path}", path):
                if candidate in self._entries:
                    return self._entries[candidate]
        candidates = self._binaries[token.type].get(token.value, [])
        suffix = PurePosixPath(name).suffix.lower()
        matching = [c for c in candidates if suffix and PurePosixPath(c).suffix.lower() == suffix]
        return (matching or candidates or [None])[0]


def _media_type(*names: str | None) -> str | None:
    """The type the first name with a known extension gives (a page's name often has none)."""
    for name in names:
        if name and (found := _MEDIA_TYPES.guess_type(name, strict=False)[0]):
            return found
    return None


def _binaries(tree: SourceTree, folder: str) -> dict[str, list[str]]:
    """{id: entries} for the `<id>.<ext>` files directly inside `folder` (any case), by name."""
    folder = folder.lower()
    found: dict[str, list[str]] = {}
    for name in tree.names():
        if name.lower().startswith(folder) and "/" not in name[len(folder):]:
            found.setdefault(name[len(folder):].partition(".")[0], []).append(name)
    return found
