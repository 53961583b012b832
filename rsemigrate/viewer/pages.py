"""The pages: each a function of the visit and the URL's arguments, returning a response.

Searching, threads and attachment checks are the search package's (the same query language and
thread tree as the CLI); this module only chooses what to show and logs who looked at what.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from urllib.parse import quote, urlencode

import orjson
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from ..archive import Message
from ..errors import InputError
from ..search import (
    AttachmentRef,
    Hit,
    Query,
    QueryError,
    Thread,
    build_tree,
    hit_record,
    parse,
    write_hits_csv,
)
from .app import Visit
from .attachments import ChangedWhileStreaming, digest, image_type, stream_checked
from .body import message_html
from .shelf import Person, Shelved

PAGE = 50
#: hits on a page of search results: twenty beside the facets, as the CLI shows; each costs an
#: FTS5 snippet and its rendering (50 made the search page half as fast again).
SEARCH_PAGE = 20
CHANNELS_PAGE = 200
REPORT_PAGE = 100
#: pages count hits, and facets count them out, up to this many, then say "at least": a broad
#: query over a million messages stays fast (`rsemigrate search --count` gives the exact number).
COUNT_LIMIT = 1_000
FACET_TOP = 10
#: the most hits a CSV or JSON download holds.
EXPORT_LIMIT = 10_000
SORTS = ("newest", "oldest", "relevance")
KINDS = {"feed": "community", "channel": "channel", "direct": "direct", "group_direct": "group direct"}
IMAGE_NAMES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


@dataclass(frozen=True, slots=True)
class PersonScope:
    """A person page: whose messages, in which archive (their directory entry when it has one)."""

    archive: Shelved
    user_id: str
    person: Person | None


@dataclass(frozen=True, slots=True)
class Found:
    """A hit and the archive it comes from."""

    archive: Shelved
    hit: Hit


# -- archives ---------------------------------------------------------------------------------

def home(visit: Visit) -> Response:
    return visit.page("home.html")


def overview(visit: Visit, archive: str) -> Response:
    shelved = visit.archive(archive)
    return visit.page("overview.html", here=shelved, header=shelved.archive.header,
                      seal=shelved.archive.seal())


def verify_json(visit: Visit, archive: str) -> Response:
    verification = visit.archive(archive).verification
    return _json({"state": verification.state, "findings": verification.findings})


def report(visit: Visit, archive: str) -> Response:
    """data/report.jsonl, filtered by action, a page at a time (streamed, never loaded whole)."""
    shelved = visit.archive(archive)
    action = visit.request.args.get("action", "")
    page = _number(visit, "page")
    entries = (entry for entry in shelved.archive.report() if not action or entry.action == action)
    shown = list(islice(entries, page * REPORT_PAGE, (page + 1) * REPORT_PAGE + 1))
    return visit.page("report.html", here=shelved, action=action, page=page,
                      entries=shown[:REPORT_PAGE], more=len(shown) > REPORT_PAGE,
                      counts=shelved.archive.header.counts.report)


def channels(visit: Visit, archive: str) -> Response:
    shelved = visit.archive(archive)
    args = visit.request.args
    kind, group, sort = args.get("kind", ""), args.get("group", ""), args.get("sort", "activity")
    listed = [c for c in shelved.channels
              if (not kind or c.kind == kind) and (not group or c.group_id == group)]
    if sort == "activity":
        listed.sort(key=lambda c: c.last_at or "", reverse=True)
    elif sort == "messages":
        listed.sort(key=lambda c: c.messages, reverse=True)
    else:
        listed.sort(key=lambda c: c.name.casefold())
    page = _number(visit, "page")
    groups = sorted({(c.group_id, c.group) for c in shelved.channels if c.group_id},
                    key=lambda g: (g[1] or "").casefold())
    return visit.page("channels.html", here=shelved, channels=listed[page * CHANNELS_PAGE:][:CHANNELS_PAGE],
                      total=len(listed), page=page, more=len(listed) > (page + 1) * CHANNELS_PAGE,
                      kind=kind, group=group, sort=sort, kinds=KINDS, groups=groups)


def timeline(visit: Visit, archive: str, channel_id: str) -> Response:
    """A channel's threads oldest first (or every message, replies marked), from a date on."""
    shelved = visit.archive(archive)
    channel = shelved.channels_by_id.get(channel_id)
    if channel is None:
        raise NotFound(f"no channel {channel_id!r} in {archive}")
    args = visit.request.args
    every, day = args.get("all") == "1", args.get("date", "")
    text = f"in:{_quoted(channel_id)}" + ("" if every else " -is:reply")
    if day:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise BadRequest(f"jump to date: {day!r} is not a date (YYYY-MM-DD)") from None
        text += f" after:{day}"
    page = _number(visit, "page")
    hits = shelved.backend.search(parse(text), sort="oldest", limit=PAGE + 1, offset=page * PAGE)
    return visit.page("timeline.html", here=shelved, channel=channel, hits=hits[:PAGE],
                      more=len(hits) > PAGE, page=page, every=every, day=day, kinds=KINDS)


# -- search -----------------------------------------------------------------------------------

def search(visit: Visit) -> Response:
    return _search_page(visit, None)


def person(visit: Visit, archive: str, user_id: str) -> Response:
    shelved = visit.archive(archive)
    visit.log("person", archive=shelved.name, user_id=user_id)
    return _search_page(visit, PersonScope(shelved, user_id, shelved.people.get(user_id)))


def _search_page(visit: Visit, person: PersonScope | None) -> Response:
    args = visit.request.args
    text, sort, page = args.get("q", "").strip(), args.get("sort", "newest"), _number(visit, "page")
    if sort not in SORTS:
        sort = "newest"
    scope = [person.archive] if person else _scope(visit)
    context = {"q": text, "sort": sort, "page": page, "scope": args.get("archive", ""), "person": person,
               "error": None, "found": [], "total": None, "facets": None, "sorts": SORTS}
    full = _with_person(text, person)
    if not full:
        return visit.page("search.html", **context)
    try:
        query = parse(full)
        found = run_search(scope, query, sort=sort, offset=page * SEARCH_PAGE, limit=SEARCH_PAGE)
        if len(scope) == 1:  # facets count the hits too: no second pass
            facets = scope[0].backend.facets(query, cap=COUNT_LIMIT, top=FACET_TOP)
            total, at_least = facets.counted, facets.capped
        else:
            facets, counts = None, [s.backend.count(query, limit=COUNT_LIMIT) for s in scope]
            total, at_least = sum(counts), COUNT_LIMIT in counts
    except QueryError as exc:
        visit.log("search", query=full, archives=[s.name for s in scope], outcome="invalid")
        context["error"] = exc
        return visit.page("search.html", status=400, **context)
    visit.log("search", query=full, archives=[s.name for s in scope], hits=total, at_least=at_least)
    context.update(found=found, total=total, at_least=at_least, facets=facets,
                   more=len(found) == SEARCH_PAGE and (at_least or total > (page + 1) * SEARCH_PAGE),
                   first=page * SEARCH_PAGE + 1,
                   refine=lambda extra: _refine(text, extra),
                   params=_params(visit))
    return visit.page("search.html", **context)


def search_csv(visit: Visit) -> Response:
    found, scope = _export(visit)
    out = io.StringIO()
    write_hits_csv([f.hit for f in found], out)
    if len(scope) > 1:  # the archive each hit comes from, first; then exactly the CLI's fields
        rows = csv.reader(io.StringIO(out.getvalue()))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["archive", *next(rows)])
        writer.writerows([f.archive.name, *row] for f, row in zip(found, rows, strict=True))
    return _download(out.getvalue().encode(), "text/csv; charset=utf-8", "search.csv")


def search_json(visit: Visit) -> Response:
    found, scope = _export(visit)
    records = [hit_record(f.hit) if len(scope) == 1 else {"archive": f.archive.name, **hit_record(f.hit)}
               for f in found]
    return _download(orjson.dumps(records, option=orjson.OPT_INDENT_2) + b"\n", "application/json",
                     "search.json")


def _export(visit: Visit) -> tuple[list[Found], list[Shelved]]:
    """The current query's hits (up to EXPORT_LIMIT) for a download, and the archives searched."""
    args = visit.request.args
    scope = _scope(visit)
    person = None
    if (archive := args.get("person_archive")) and (user_id := args.get("person")):
        person = PersonScope(visit.archive(archive), user_id, None)
        scope = [person.archive]
    text = _with_person(args.get("q", "").strip(), person)
    try:
        query = parse(text)
    except QueryError as exc:
        raise BadRequest(str(exc)) from None
    sort = args.get("sort", "newest") if args.get("sort") in SORTS else "newest"
    found = run_search(scope, query, sort=sort, offset=0, limit=EXPORT_LIMIT)
    visit.log("export", query=text, archives=[s.name for s in scope], hits=len(found))
    return found, scope


def run_search(scope: list[Shelved], query: Query, *, sort: str, offset: int, limit: int) -> list[Found]:
    """One page of hits across the archives in scope, merged by time."""
    if len(scope) == 1:
        hits = scope[0].backend.search(query, sort=sort, limit=limit, offset=offset)  # type: ignore[arg-type]
        return [Found(scope[0], hit) for hit in hits]
    found = [Found(shelved, hit) for shelved in scope
             for hit in shelved.backend.search(query, sort=sort, limit=offset + limit, offset=0)]  # type: ignore[arg-type]
    if sort != "relevance":  # ranks of two indexes do not compare: then archive by archive
        found.sort(key=lambda f: f.hit.created_at, reverse=sort == "newest")
    return found[offset:offset + limit]


def _scope(visit: Visit) -> list[Shelved]:
    name = visit.request.args.get("archive", "")
    return [visit.archive(name)] if name else visit.app.shelf


def _with_person(text: str, person: PersonScope | None) -> str:
    return f"from:{_quoted(person.user_id)} {text}".strip() if person else text


def _refine(text: str, extra: str) -> str:
    return f"{text} {extra}".strip()


def _params(visit: Visit) -> str:
    return urlencode({k: v for k, v in visit.request.args.items() if k != "page"})


def _quoted(value: str) -> str:
    return '"' + value.replace('"', "") + '"'


# -- threads ----------------------------------------------------------------------------------

def thread(visit: Visit, message_id: str) -> Response:
    return _thread_page(visit, message_id)


def message(visit: Visit, message_id: str) -> Response:
    return _thread_page(visit, message_id)


def _thread_page(visit: Visit, message_id: str) -> Response:
    shelved, found = _find_thread(visit, message_id)
    root = build_tree(found, shelved.archive)
    located = [(m.message_id, m.record_at) for m in found.messages if m.record_at is not None]
    records = {record.id: record for record in shelved.messages(found.channel_id or "", located)}
    visit.log("thread", archive=shelved.name, thread_id=found.thread_id, message_id=message_id)
    people = shelved.people

    def name(user_id: str | None) -> str | None:
        person = people.get(user_id or "")
        return person.name if person else None

    def body(record: Message) -> Markup:
        return message_html(record, lambda uid: f"/a/{shelved.name}/p/{quote(uid, safe='')}", name)

    return visit.page("thread.html", here=shelved, thread=found, root=root, focus=message_id,
                      records=records, body=body, name=name, is_image=_is_image, reactions=_reactions)


def _find_thread(visit: Visit, message_id: str) -> tuple[Shelved, Thread]:
    for shelved in _scope(visit):
        try:
            return shelved, shelved.backend.thread(message_id)
        except InputError:
            continue
    raise NotFound(f"message {message_id!r} is in none of the archives served here")


def _is_image(name: str | None) -> bool:
    return (name or "").lower().endswith(IMAGE_NAMES)


def _reactions(record: Message, name: Callable[[str | None], str | None]) -> list[tuple[str, list[str]]]:
    """(kind, who) for each kind of reaction, in order of first use."""
    grouped: dict[str, list[str]] = {}
    for reaction in record.reactions:
        who = name(reaction.user_id) or reaction.user_id or "someone"
        grouped.setdefault(reaction.kind, []).append(who)
    return list(grouped.items())


# -- attachments ------------------------------------------------------------------------------

def download(visit: Visit, archive: str, attachment_id: str) -> Response:
    shelved, ref, path = _stored(visit, archive, attachment_id)
    found = digest(path)
    if found != ref.sha256:
        visit.log("download", archive=shelved.name, attachment_id=attachment_id, outcome="refused",
                  reason="sha256 mismatch", sha256=found, expected=ref.sha256)
        return visit.page("refused.html", status=409, here=shelved, ref=ref, found=found)
    visit.log("download", archive=shelved.name, attachment_id=attachment_id, name=ref.name, sha256=ref.sha256,
              outcome="sent")
    response = Response(_guarded(stream_checked(path, ref.sha256 or "")),
                        content_type="application/octet-stream", direct_passthrough=True)
    response.content_length = path.stat().st_size
    response.headers["Content-Disposition"] = _disposition("attachment", ref.name or attachment_id)
    return response


def preview(visit: Visit, archive: str, attachment_id: str) -> Response:
    """An allow-listed image, inline; anything else is refused (it can still be downloaded)."""
    shelved, ref, path = _stored(visit, archive, attachment_id)
    media_type = image_type(path)
    if media_type is None or not (ref.name or "").lower().endswith(IMAGE_NAMES):
        raise NotFound("no inline preview: only PNG, JPEG, GIF and WebP images are shown inline")
    data = path.read_bytes()
    if digest(path) != ref.sha256:
        raise NotFound("no preview: the stored file changed since the archive was sealed")
    response = Response(data, content_type=media_type)
    response.headers["Content-Disposition"] = _disposition("inline", ref.name or attachment_id)
    return response


def _stored(visit: Visit, archive: str, attachment_id: str) -> tuple[Shelved, AttachmentRef, Path]:
    shelved = visit.archive(archive)
    ref = shelved.backend.attachment(attachment_id)
    if ref is None or ref.status != "present" or not ref.sha256:
        raise NotFound(f"attachment {attachment_id!r}: no file of it is stored in this archive")
    path = shelved.archive.file_path(ref.sha256)
    if not path.is_file():
        raise NotFound(f"attachment {attachment_id!r}: its stored file is gone from the archive")
    return shelved, ref, path


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Stop the stream (the client sees a short download) if the file changed while sending."""
    try:
        yield from chunks
    except ChangedWhileStreaming:
        return


def _disposition(kind: str, name: str) -> str:
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# -- helpers ----------------------------------------------------------------------------------

def _number(visit: Visit, name: str) -> int:
    value = visit.request.args.get(name, "0")
    if not value.isdigit():
        raise BadRequest(f"{name}: expected a page number, got {value!r}")
    return int(value)


def _json(value: object) -> Response:
    return Response(orjson.dumps(value), content_type="application/json")


def _download(data: bytes, content_type: str, name: str) -> Response:
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = _disposition("attachment", name)
    return response

