"""The triage indicators, computed in one streaming pass over an archive's message files.

A community is what a committee decides about: a group (all its channels together), or a channel
that belongs to no group (a Slack channel). Private conversations are not communities; they count
in the network-wide figures only. Messages are read line by line with orjson, never validated
into records, and every community keeps only counters, so memory grows with communities, months
and authors, never with messages: a 1M-message archive is read at the pace of a plain orjson
pass (bench/bench_report.py). System messages (joins, renames) are counted apart and feed no
other indicator, so they cannot make a dead community look alive.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby, islice
from typing import TYPE_CHECKING

import orjson
from orjson import loads

from ..archive import RECORD_FILES, Archive, Attachment, Channel, Group, MessageSpan, Timestamp, User
from ..errors import ArchiveError
from .mailstyle import GREETING, is_mail_style

if TYPE_CHECKING:
    from .costs import PlanColumns

PRIVATE_KINDS = ("direct", "group_direct")
FILE_KINDS = ("file", "image")


@dataclass
class Community:
    """One row of the report: a group, or a channel outside any group. Shares are 0…1, rounded
    to 3 decimals, and None where there is nothing to divide."""

    id: str
    name: str
    kind: str  # "group" or "channel"
    private: bool
    deleted: bool
    external_network: bool
    channels: int
    created: str | None
    first: str | None
    last: str | None
    messages: int
    threads: int
    replies: int
    system_messages: int
    active_months: int
    last_90_days: int
    last_365_days: int
    reply_rate: float | None
    median_first_reply_hours: float | None
    authors: int
    top_author: str | None
    top_author_share: float | None
    top_decile_share: float | None
    files: int
    file_bytes: int
    deleted_share: float | None
    guest_authors: int
    external_authors: int
    external_share: float | None
    mail_style_posts: int
    mail_style_share: float | None
    people_posts: int
    people_replies: int
    people_reactions: int
    people_roles: list[str]
    monthly: dict[str, int]
    triage: str = ""
    rule: str = ""
    plan: PlanColumns | None = None


@dataclass
class Month:
    month: str
    messages: int
    community_messages: int
    private_messages: int
    active_authors: int


@dataclass
class Person:
    """A person of interest (--people): their visible presence in communities."""

    name: str
    email: str
    role: str
    found: bool
    posts: int = 0
    replies: int = 0
    reactions: int = 0
    communities: int = 0


@dataclass
class Network:
    name: str
    platform: str
    archive_id: str
    window_first: str | None
    window_last: str | None
    as_of: str
    messages: int
    community_messages: int
    private_messages: int
    system_messages: int
    group_post_share: float | None
    private_share: float | None
    communities: int
    private_conversations: int
    authors: int
    months: list[Month]
    people: list[Person] = field(default_factory=list)
    #: share of communities where at least one person of interest posted, replied or reacted.
    people_communities_share: float | None = None


@dataclass
class Identity:
    """What the scan needs to know of an author."""

    name: str
    guest: bool
    external: bool
    person: int | None  # index into the people list, when a person of interest


@dataclass
class _Tally:
    """A community's counters while the scan runs."""

    first: str | None = None
    last: str | None = None
    messages: int = 0
    threads: int = 0
    replies: int = 0
    answered: int = 0
    system: int = 0
    deleted: int = 0
    recent_90: int = 0
    recent_365: int = 0
    files: int = 0
    file_bytes: int = 0
    mail_style: int = 0
    #: messages by month ("YYYY-MM") and author: the monthly counts, the authors and the
    #: network's monthly authors all derive from it, so a message costs one counter, not three.
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    presence: Counter[tuple[int, str]] = field(default_factory=Counter)


@dataclass(frozen=True)
class Recent:
    """The instants the recent-activity counts compare against (ISO strings compare in order)."""

    as_of: str
    since_90: str
    since_365: str


def recent(as_of: datetime) -> Recent:
    def iso(at: datetime) -> str:
        return at.strftime("%Y-%m-%dT%H:%M:%S")

    return Recent(iso(as_of) + "~", iso(as_of - timedelta(days=90)), iso(as_of - timedelta(days=365)))


def scan(archive: Archive, as_of: datetime, identities: Mapping[str, Identity],
         people: list[Person]) -> tuple[list[Community], Network]:
    """Every community's indicators and the network-wide figures, in one pass over the messages."""
    groups = {g.id: g for g in archive.groups()}
    sizes = {a["id"]: a["size"] or 0 for a in _raw(archive, Attachment) if a["kind"] in FILE_KINDS}
    members, private, listed = _communities(archive, groups)
    community_of = {channel.id: key for key, channels in members.items() for channel in channels}
    tallies: dict[str, _Tally] = {key: _Tally() for key in [*listed, *members]}
    net = _NetTally()
    w = recent(as_of)
    person_of = {uid: who.person for uid, who in identities.items() if who.person is not None}
    for span, lines in _channel_lines(archive, private):
        if span[4] in community_of:
            _scan_community(span, lines, tallies[community_of[span[4]]], w, sizes, person_of, net)
        else:
            _scan_private(span, lines, net)
    month_authors: dict[str, set[str]] = defaultdict(set)
    communities = [_community(key, groups, members.get(key, []), tallies[key], identities, people,
                              month_authors) for key in tallies]
    community_months: Counter[str] = Counter()
    for community in communities:
        community_months.update(community.monthly)
    private_months: Counter[str] = Counter()
    for pair, n in net.private_pairs.items():
        month = pair[:7]
        private_months[month] = private_months.get(month, 0) + n
        month_authors[month].add(pair[7:])
    net_months = community_months + private_months
    total = sum(net_months.values())
    in_communities = sum(c.messages for c in communities)
    authors = set().union(*month_authors.values()) if month_authors else set()
    for t in tallies.values():
        for (index, what), n in t.presence.items():
            setattr(people[index], what, getattr(people[index], what) + n)
        for index in {index for index, _ in t.presence}:
            people[index].communities += 1
    header = archive.header
    network = Network(
        name=header.source.network_name or header.source.input_name,
        platform=header.source.platform,
        archive_id=header.archive_id,
        window_first=header.window.first,
        window_last=header.window.last,
        as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        messages=total,
        community_messages=in_communities,
        private_messages=net.private,
        system_messages=net.system + sum(t.system for t in tallies.values()),
        group_post_share=share(in_communities, total),
        private_share=share(net.private, total),
        communities=len(communities),
        private_conversations=len(private),
        authors=len(authors),
        months=[Month(m, net_months[m], net_months[m] - private_months[m], private_months[m],
                      len(month_authors[m])) for m in month_range(net_months)],
        people=people,
        people_communities_share=share(sum(1 for c in communities if c.people_roles), len(communities))
        if people else None,
    )
    return communities, network


def _communities(archive: Archive, groups: Mapping[str, Group]
                 ) -> tuple[dict[str, list[Channel]], set[str], list[str]]:
    """(community id -> its channels, the private conversations' ids, the groups that are
    communities). A group's feed is the group; a channel (Slack, Teams) is a community of its own,
    and a group that only holds channels (a Slack workspace, a Teams team) is not one."""
    members: dict[str, list[Channel]] = defaultdict(list)
    private: set[str] = set()
    containers: set[str] = set()
    relpath = RECORD_FILES[Channel]
    for number, line in archive.lines(relpath):
        quick = PRIVATE_CHANNEL.match(line)  # a hundred thousand private conversations: no parse
        if quick is not None:
            private.add(quick[1].decode())
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ArchiveError(f"data/{relpath} line {number}: not JSON ({exc})") from None
        if raw["kind"] in PRIVATE_KINDS:
            private.add(raw["id"])
            continue
        channel = _channel(raw)
        key = channel.group_id if channel.group_id in groups and channel.kind == "feed" else channel.id
        members[key].append(channel)
        containers.add(channel.group_id or "")
    return members, private, [g for g in groups if g in members or g not in containers]


@dataclass
class _NetTally:
    private_pairs: dict[str, int] = field(default_factory=dict)
    private: int = 0
    system: int = 0


def _raw(archive: Archive, cls: type) -> Iterator[dict]:
    """A record file's lines as plain dicts: validating a hundred thousand channels and spans
    into records would cost the report a fifth of its time (`validate` checks them)."""
    relpath = RECORD_FILES[cls]
    for number, line in archive.lines(relpath):
        try:
            yield orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ArchiveError(f"data/{relpath} line {number}: not JSON ({exc})") from None


def _channel(raw: dict) -> Channel:
    """A channel with the fields the report uses (members and source are left out)."""
    created = raw.get("created_at")
    return Channel(raw["id"], raw["kind"], raw["name"], raw.get("group_id"), bool(raw.get("private")),
                   created_at=Timestamp(created["utc"], created["raw"]) if created else None)


#: where a channel's messages are: (file, offset, count, first line, channel id, length).
Span = tuple[str, int, int, int, str, int]
#: the channel id of a run of private conversations read as one span.
PRIVATE_RUN = ""


def _channel_lines(archive: Archive, private: set[str]) -> Iterator[tuple[Span, Iterator[bytes]]]:
    """(span, its lines) for every community channel, and for every run of private conversations
    that follow each other in a file (as one span, so 100,000 tiny conversations cost no more
    than their messages), reading each message file once and in order: the same reads as a plain
    pass over the files. Each span's lines must be consumed in turn."""
    spans = sorted((s["file"], s["offset"], s["count"], s["first_line"], s["channel_id"], s["length"])
                   for s in _raw(archive, MessageSpan))
    for file, in_file in groupby(spans, key=lambda s: s[0]):
        try:
            fh = open(archive.data / file, "rb")
        except FileNotFoundError:
            raise ArchiveError(f"data/{file}: missing, though data/message_index.jsonl lists "
                               "messages in it") from None
        with fh:
            for span in _private_runs(in_file, private):
                if fh.tell() != span[1]:
                    fh.seek(span[1])
                yield span, islice(fh, span[2])


def _private_runs(spans: Iterable[Span], private: set[str]) -> Iterator[Span]:
    run: Span | None = None
    for span in spans:
        if span[4] not in private:
            if run:
                yield run
                run = None
            yield span
        elif run and run[1] + run[5] == span[1] and run[3] + run[2] == span[3]:
            run = (run[0], run[1], run[2] + span[2], run[3], PRIVATE_RUN, run[5] + span[5])
        else:
            if run:
                yield run
            run = (span[0], span[1], span[2], span[3], PRIVATE_RUN, span[5])
    if run:
        yield run


def _invalid(span: Span, index: int, exc: Exception) -> ArchiveError:
    """The error for line `index` of a span, naming its file and line."""
    where = f"data/{span[0]} line {span[3] + index}"
    if isinstance(exc, orjson.JSONDecodeError):
        return ArchiveError(f"{where}: not a JSON message ({exc})")
    return ArchiveError(f"{where}: not a valid message ({type(exc).__name__}: {exc})")


def _scan_community(span: Span, lines: Iterator[bytes], t: _Tally, w: Recent,
                    sizes: Mapping[str, int], person_of: Mapping[str, int], net: _NetTally) -> None:
    """Add one channel's messages to its community's tally. The hot loop of the report: counters
    live in locals and the person-of-interest checks run only when there are people."""
    pending: dict[str, str] = {}  # thread root id -> its time, until its first reply
    months = t.months
    # a channel's messages are in time order: count its current month's authors, and look the
    # month up again only when a message leaves it (two string comparisons, no slicing)
    month_from = month_to = ""
    month_authors: dict[str, int] = {}
    presence, waits = t.presence, t.waits
    since_365, since_90, as_of = w.since_365, w.since_90, w.as_of
    instant, greeting = datetime.fromisoformat, GREETING.match
    first = last = None
    messages = threads = replies = answered = system = deleted = recent_90 = recent_365 = 0
    files = file_bytes = mail_style = 0
    try:
        for line in lines:
            m = loads(line)
            at = m["created_at"]["utc"]
            author = m["author_id"]
            if m["kind"] == "system":
                system += 1
                continue
            if not month_from <= at < month_to:
                month_from, month_to = at[:7], _next_month(at)
                month_authors = months.setdefault(month_from, {})
            month_authors[author] = month_authors.get(author, 0) + 1  # a Counter would run Python
            if first is None:
                first = at
            last = at
            if since_365 < at < as_of:
                recent_365 += 1
                recent_90 += at > since_90
            if m["reply_to_id"] is None:
                threads += 1
                pending[m["id"]] = at
                text = m["text"]
                if greeting(text) and is_mail_style(text):  # most posts fail the first test
                    mail_style += 1
                if person_of and author in person_of:
                    presence[(person_of[author], "posts")] += 1
            else:
                replies += 1
                asked = pending.pop(m["thread_id"], None)
                if asked is not None:
                    answered += 1
                    waits.append((instant(at) - instant(asked)).total_seconds())
                if person_of and author in person_of:
                    presence[(person_of[author], "replies")] += 1
            if m["deleted_at"] is not None:
                deleted += 1
            attachment_ids = m["attachment_ids"]
            if attachment_ids:
                for attachment_id in attachment_ids:
                    if attachment_id in sizes:
                        files += 1
                        file_bytes += sizes[attachment_id]
            if person_of:
                for reaction in m["reactions"]:
                    if reaction.get("user_id") in person_of:
                        presence[(person_of[reaction["user_id"]], "reactions")] += 1
            messages += 1  # last: until then, messages + system is the failing line's index
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _invalid(span, messages + system, exc) from None
    t.first = first if t.first is None or (first and first < t.first) else t.first
    t.last = last if t.last is None or (last and last > t.last) else t.last
    t.messages += messages
    t.threads += threads
    t.replies += replies
    t.answered += answered
    t.system += system
    t.deleted += deleted
    t.recent_90 += recent_90
    t.recent_365 += recent_365
    t.files += files
    t.file_bytes += file_bytes
    t.mail_style += mail_style


#: A private message as the archive writer lays it out (record fields in order, no spaces):
#: the author and the month read straight from the bytes. Private conversations are a third of a
#: network's messages and need nothing else, so this skips a full parse of each; a line laid out
#: otherwise (another writer, an id with an escape) is parsed in full, so nothing depends on it.
PRIVATE_LINE = re.compile(rb'\{"id":"[^"\\]*","channel_id":"[^"\\]*","thread_id":"[^"\\]*",'
                          rb'"author_id":"([^"\\]*)","created_at":\{"utc":"(\d{4}-\d{2})')
SYSTEM_KIND = b',"kind":"system",'
#: a private conversation's channel line, as the archive writer lays it out.
PRIVATE_CHANNEL = re.compile(rb'\{"id":"([^"\\]*)","kind":"(?:direct|group_direct)"')
TEXT_KEY = b',"text":"'


def _private_fields(line: bytes) -> tuple[str, bool]:
    """("YYYY-MM" + author id, is a system message) of a private message line."""
    match = PRIVATE_LINE.match(line)
    if match is not None:
        # the first top-level "kind" follows "text"; inside a string a quote is always escaped
        start = line.find(TEXT_KEY)
        kind = line.find(b',"kind":"', start)
        if start > 0 and kind > 0:
            return (match[2] + match[1]).decode(), line.startswith(SYSTEM_KIND, kind)
    m = loads(line)
    return m["created_at"]["utc"][:7] + m["author_id"], m["kind"] == "system"


def _scan_private(span: Span, lines: Iterator[bytes], net: _NetTally) -> None:
    pairs = net.private_pairs
    messages = system = 0
    try:
        for line in lines:
            pair, is_system = _private_fields(line)
            if is_system:
                system += 1
                continue
            pairs[pair] = pairs.get(pair, 0) + 1
            messages += 1
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise _invalid(span, messages + system, exc) from None
    net.private += messages
    net.system += system


def _next_month(utc: str) -> str:
    """The month after `utc`'s, as the 'YYYY-MM' prefix every instant of it compares after."""
    year, month = int(utc[:4]), int(utc[5:7])
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def share(part: float, whole: float) -> float | None:
    return round(part / whole, 3) if whole else None


def month_range(months: Iterable[str]) -> list[str]:
    """Every month from the first to the last of `months` ('YYYY-MM'), gaps included."""
    present = sorted(months)
    if not present:
        return []
    year, month = map(int, present[0].split("-"))
    out = []
    while (label := f"{year:04d}-{month:02d}") <= present[-1]:
        out.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _community(key: str, groups: Mapping[str, Group], channels: list[Channel], t: _Tally,
               identities: Mapping[str, Identity], people: list[Person],
               month_authors: dict[str, set[str]]) -> Community:
    """The community's row; its authors also go into the network's monthly authors."""
    group = groups.get(key)
    first_channel = channels[0] if channels else None
    container = groups.get(first_channel.group_id or "") if first_channel and not group else None
    created = (group.created_at if group else None) or (first_channel.created_at if first_channel else None)
    monthly: dict[str, int] = {}
    authors: dict[str, int] = {}
    for month, by_author in t.months.items():
        monthly[month] = sum(by_author.values())
        month_authors[month].update(by_author)
        for author, n in by_author.items():
            authors[author] = authors.get(author, 0) + n
    counts = sorted(authors.values(), reverse=True)
    top_id = max(authors, key=authors.__getitem__) if authors else None
    decile = math.ceil(len(counts) / 10)
    whos = [identities.get(a) for a in authors]
    outside = sum(n for a, n in authors.items() if (w := identities.get(a)) and (w.guest or w.external))
    threads_answered = t.answered
    return Community(
        id=key,
        name=_name(key, group, container, first_channel),
        kind="group" if group else "channel",
        private=group.private if group else bool(first_channel and first_channel.private),
        deleted=bool(group and group.deleted),
        external_network=bool(group and group.external),
        channels=len(channels),
        created=created.utc if created else None,
        first=t.first,
        last=t.last,
        messages=t.messages,
        threads=t.threads,
        replies=t.replies,
        system_messages=t.system,
        active_months=len(monthly),
        last_90_days=t.recent_90,
        last_365_days=t.recent_365,
        reply_rate=share(threads_answered, t.threads),
        median_first_reply_hours=round(statistics.median(t.waits) / 3600, 2) if t.waits else None,
        authors=len(authors),
        top_author=(identities[top_id].name if top_id in identities else top_id) if top_id else None,
        top_author_share=share(counts[0], t.messages) if counts else None,
        top_decile_share=share(sum(counts[:decile]), t.messages) if counts else None,
        files=t.files,
        file_bytes=t.file_bytes,
        deleted_share=share(t.deleted, t.messages),
        guest_authors=sum(1 for w in whos if w and w.guest),
        external_authors=sum(1 for w in whos if w and w.external and not w.guest),
        external_share=share(outside, t.messages),
        mail_style_posts=t.mail_style,
        mail_style_share=share(t.mail_style, t.threads),
        people_posts=sum(n for (_, what), n in t.presence.items() if what == "posts"),
        people_replies=sum(n for (_, what), n in t.presence.items() if what == "replies"),
        people_reactions=sum(n for (_, what), n in t.presence.items() if what == "reactions"),
        people_roles=sorted({people[index].role for index, _ in t.presence}),
        monthly=dict(sorted(monthly.items())),
    )


def _name(key: str, group: Group | None, container: Group | None, channel: Channel | None) -> str:
    """A group's name; a channel's, after its workspace or team's when it has one."""
    if group:
        return group.name
    if channel is None:
        return key
    return f"{container.name} / {channel.name}" if container else channel.name


def identities_of(users: Iterable[User], home_domains: list[str], people_roles: Mapping[str, int],
                  name_of: Callable[[User], str]) -> dict[str, Identity]:
    """Author id -> what the scan needs: display name, guest, external (outside `home_domains`, or
    the most common domain when none is given), and the person-of-interest index by email."""
    users = list(users)
    domains = {d.lower() for d in home_domains}
    if not domains:
        common = Counter(_domain(u.email) for u in users if _domain(u.email))
        domains = {common.most_common(1)[0][0]} if common else set()
    return {u.id: Identity(name_of(u), u.guest,
                           bool(_domain(u.email)) and _domain(u.email) not in domains,
                           people_roles.get((u.email or "").lower()))
            for u in users}


def _domain(email: str | None) -> str:
    return email.rsplit("@", 1)[1].lower() if email and "@" in email else ""
