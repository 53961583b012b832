"""A synthetic Teams collection of any size, for tests and the export benchmark.

Laid out and encoded as `rsemigrate collect teams` saves one (connectors/teams/source/wire.py;
each Graph answer one file, orjson with 2-space indents): collect.json, per team its team.json,
member and channel pages, per channel its root pages (`$expand=replies`, 50 roots a page, linked
by `@odata.nextLink`) and, for a root whose expansion was cut (`replies@odata.nextLink`), all of
its /replies pages; per requested user their user.json and chat pages (members expanded); per
chat its message pages, newest first. chatMessages are shaped as the Graph reference documents
them (source-formats.md §4.3) and carry what real ones carry at volume: html bodies with
two-span person mentions and channel mentions, reactions with their users and times, reference
files (`<attachment id>` in the body; collected with `--files links`, so no binaries), inline
images saved beside their sidecars, adaptive cards from apps, subjects, edits, deletions (an
emptied body with `deletedDateTime`), system events with their `eventDetail`, guests, and people
who left (in no member list: rebuilt from `from`, one `degraded` report entry each).

Every conversation is written whole before the next: its message counts are decided first, then
its pages are generated and written one at a time, so memory holds one page (and the list of
chats, which the users' chat listings need), whatever the size.

Two shapes. `flat`: `channels` conversations (nine in ten channels, in teams of 1-20 channels,
the rest chats) with Zipf-like activity. `realistic`, a real tenant's: one channel per 500 messages
with that activity (teams of 1-20 channels), and 35% of the messages in 1:1 and group chats of
2-5 messages each, each a chat of its own: about 10,000 chats at 100,000 messages and 100,000
at a million.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

import orjson

from connectors.teams.source import wire

Shape = Literal["flat", "realistic"]

GRAPH = wire.GRAPH_URL
TENANT = "5eed0000-4c1a-4e7b-9a2f-3d4c5b6a7e81"
DOMAIN = "synth.example"
_START_MS = int(datetime(2023, 1, 2, 8, tzinfo=UTC).timestamp()) * 1000
#: the collection covers two years of activity.
_SPAN_MS = 730 * 86_400_000
_COLLECTED = "2025-06-30T07:00:00.000Z"
_WORDS = (
    "deploy",
    "review",
    "release",
    "budget",
    "meeting",
    "roadmap",
    "customer",
    "ticket",
    "incident",
    "design",
    "sprint",
    "planning",
    "demo",
    "feedback",
    "question",
    "answer",
    "thanks",
    "déjà",
    "café",
    "naïve",
    "résumé",
    "über",
    "straße",
    "tomorrow",
    "today",
    "monday",
    "friday",
    "ready",
    "blocked",
    "done",
    "merged",
    "approved",
    "draft",
    "notes",
    "agenda",
)
_REACTIONS = (
    ("like", None),
    ("heart", None),
    ("laugh", None),
    ("surprised", None),
    ("sad", None),
    ("💯", "Hundred points"),
    ("🎉", "Party popper"),
    ("👀", "Eyes"),
)
_FILES = ("pdf", "docx", "xlsx", "pptx", "png")
#: replies of an ordinary thread; a long one (one root in 5,000) has more than Graph expands.
_REPLIES = (0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 6, 9, 14, 25, 60)
_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    upn: str
    email: str
    guest: bool = False


@dataclass(frozen=True)
class Chat:
    id: str
    kind: str  # oneOnOne or group
    members: tuple[int, ...]
    messages: int
    created_ms: int


@dataclass
class Written:
    """What the generator wrote: messages per channel or chat id (roots, replies and chat
    messages alike), and the numbers of teams, channels and chats."""

    messages: dict[str, int] = field(default_factory=dict)
    teams: int = 0
    channels: int = 0
    chats: int = 0


def write_synthetic_collection(
    folder: Path,
    messages: int,
    users: int = 2000,
    channels: int = 100,
    seed: int = 0,
    shape: Shape = "flat",
    private_share: float = 0.35,
    expanded_replies: int = wire.EXPANDED_REPLIES,
) -> Written:
    """Write a finished collection of `messages` messages by `users` people into `folder`.

    `expanded_replies` is how many replies Graph puts inside a root (1000, channel-list-messages);
    a thread with more gets its /replies pages saved, as the collector does.
    """
    rng = random.Random(seed)
    if shape == "realistic":
        channels = max(channels, messages // 500)
    else:
        private_share = 0.0
    people = _people(users)
    internal = [i for i, p in enumerate(people) if not p.guest and not _departed(i)]
    pairs: set[tuple[int, int]] = set()
    chats = _chats(rng, people, internal, round(messages * private_share), pairs)
    # the flat shape's few chats share the channels' Zipf activity; the realistic ones keep their sizes
    busy_chats = [] if chats else [
        _chat(rng, people, internal, 0, pairs) for _ in range(max(1, channels // 10))
    ]
    teams = _teams(rng, people, channels - len(busy_chats))
    activity = _activity(
        rng, messages - sum(c.messages for c in chats), len(teams.channels) + len(busy_chats)
    )
    chats += [
        replace(chat, messages=n) for chat, n in zip(busy_chats, activity[len(teams.channels) :], strict=True)
    ]
    out = _Writer(folder, rng, people, expanded_replies)
    out.teams(teams, activity)
    out.users([people[i] for i in internal], internal, chats)
    for chat in chats:
        out.chat(chat)
    out.save(wire.COLLECT, _collect_state(teams.ids, [people[i].upn for i in internal], out.written))
    return out.written


def _people(count: int) -> list[Person]:
    """People with two-word names (Teams mentions them in two spans); every 50th a guest."""
    found = []
    for i in range(count):
        uid = str(uuid.UUID(int=(0x5EED << 112) | i, version=4))
        first, last = f"Person{i}", f"Nom{i % 97}é"
        if i % 50 == 49:
            upn, mail = f"person{i}_fabrikam.example#EXT#@{DOMAIN}", f"person{i}@fabrikam.example"
            found.append(Person(uid, f"{first} {last} (Fabrikam)", upn, mail, guest=True))
        else:
            found.append(Person(uid, f"{first} {last}", f"person{i}@{DOMAIN}", f"person{i}@{DOMAIN}"))
    return found


def _departed(i: int) -> bool:
    """Every 101st person but the guests left before the collection: in no member listing,
    still an author."""
    return i % 101 == 100 and i % 50 != 49


def _chats(rng: random.Random, people: list[Person], internal: list[int], total: int,
           pairs: set[tuple[int, int]]) -> list[Chat]:
    """Chats of 2-5 messages holding `total` messages: four in five 1:1, the rest group chats."""
    found: list[Chat] = []
    while total > 0:
        size = min(rng.randint(2, 5), total)
        found.append(_chat(rng, people, internal, size, pairs))
        total -= size
    return found


def _chat(
    rng: random.Random, people: list[Person], internal: list[int], size: int, pairs: set[tuple[int, int]]
) -> Chat:
    created = _START_MS + rng.randrange(_SPAN_MS - 86_400_000)
    if rng.random() < 0.8:
        while True:  # one 1:1 chat per pair of people, as in Teams
            a, b = sorted(rng.sample(internal, 2))
            if (a, b) not in pairs:
                pairs.add((a, b))
                break
        return Chat(f"19:{people[a].id}_{people[b].id}@unq.gbl.spaces", "oneOnOne", (a, b), size, created)
    members = rng.sample(internal, rng.randint(3, 5))
    guests = range(49, len(people), 50)
    if guests and rng.random() < 0.2:  # a guest invited in
        members[-1] = rng.choice(guests)
    return Chat(f"19:{rng.getrandbits(128):032x}@thread.v2", "group", tuple(members), size, created)


@dataclass
class _Teams:
    ids: list[str]
    #: per channel: (team index, channel id, name, membershipType)
    channels: list[tuple[int, str, str, str]]
    #: per team: its members (indexes into people)
    members: list[list[int]]


def _teams(rng: random.Random, people: list[Person], channels: int) -> _Teams:
    """Teams of 1-20 channels (the first one General), each with its members."""
    found = _Teams([], [], [])
    listed = [i for i in range(len(people)) if not _departed(i)]
    while len(found.channels) < channels:
        t = len(found.ids)
        found.ids.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        found.members.append(
            sorted(rng.sample(listed, min(len(listed), 3 + int(rng.paretovariate(1.1) * 8))))
        )
        for n in range(min(rng.randint(1, 20), channels - len(found.channels))):
            kind = (
                "standard" if n == 0 or rng.random() < 0.9 else rng.choice(("private", "private", "shared"))
            )
            name = "General" if n == 0 else f"{rng.choice(_WORDS).title()} {t}-{n}"
            found.channels.append((t, f"19:{rng.getrandbits(128):032x}@thread.tacv2", name, kind))
    return found


def _activity(rng: random.Random, total: int, conversations: int) -> list[int]:
    """Messages per conversation: `total` spread over them by Zipf-like weights (a few busy ones,
    a long quiet tail), busy or quiet whatever their team."""
    busy = list(range(conversations))
    rng.shuffle(busy)
    weights = list(accumulate(1 / (n + 1) ** 0.9 for n in range(conversations)))
    counts = Counter(rng.choices(busy, cum_weights=weights, k=total))
    return [counts[i] for i in range(conversations)]


def _collect_state(teams: list[str], users: list[str], written: Written) -> dict[str, Any]:
    return {
        "tool": {"name": "rsemigrate", "version": "0.1.0"},
        "graph_url": GRAPH,
        "request": {"teams": teams, "users": users, "files": "links", "tenant_id": TENANT},
        "started_at": "2025-06-28T22:00:00.000Z",
        "finished_at": _COLLECTED,
        "resumed": 0,
        "counts": {
            "teams": written.teams,
            "channels": written.channels,
            "chats": written.chats,
            "messages": sum(written.messages.values()),
        },
    }


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


class _Writer:
    def __init__(self, folder: Path, rng: random.Random, people: list[Person], expanded: int) -> None:
        self.folder, self.rng, self.people, self.expanded = folder, rng, people, expanded
        self.written = Written()
        self.serial = 0
        self.departed = [i for i in range(len(people)) if _departed(i)]
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, relpath: str, data: object) -> None:
        """As CollectionFolder.save writes a Graph answer."""
        path = self.folder / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")

    def pages(self, folder: str, context: str, items: list[Any], next_link: str) -> None:
        """A listing saved page by page, 50 items a page, each but the last linking the next."""
        chunks = [items[i : i + wire.TOP] for i in range(0, len(items), wire.TOP)] or [[]]
        for n, chunk in enumerate(chunks, 1):
            page: dict[str, Any] = {"@odata.context": context, "@odata.count": len(chunk), "value": chunk}
            if n < len(chunks):
                page["@odata.nextLink"] = f"{next_link}$skiptoken={n * wire.TOP}"
            self.save(f"{folder}/{wire.page_name(n)}", page)

    # people, teams, channels, chats

    def identity(self, i: int) -> dict[str, Any]:
        person = self.people[i]
        return {
            "application": None,
            "device": None,
            "user": {
                "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                "id": person.id,
                "displayName": person.name,
                "userIdentityType": "aadUser",
                "tenantId": TENANT,
            },
        }

    def member(self, i: int, scope: str) -> dict[str, Any]:
        person = self.people[i]
        return {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "id": f"{scope}##{person.id}",
            "roles": ["guest"] if person.guest else [],
            "displayName": person.name,
            "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
            "userId": person.id,
            "email": person.email,
            "tenantId": TENANT,
        }

    def teams(self, teams: _Teams, activity: list[int]) -> None:
        by_team: dict[int, list[int]] = {}
        for c, (t, *_) in enumerate(teams.channels):
            by_team.setdefault(t, []).append(c)
        for t, team_id in enumerate(teams.ids):
            base = wire.team_folder(team_id)
            self.written.teams += 1
            self.save(
                f"{base}/{wire.TEAM}",
                {
                    "@odata.context": f"{GRAPH}/$metadata#teams/$entity",
                    "id": team_id,
                    "createdDateTime": _iso(_START_MS - 86_400_000),
                    "displayName": f"Team {t}",
                    "description": f"Where team {t} works",
                    "internalId": f"19:{team_id.replace('-', '')}@thread.tacv2",
                    "classification": None,
                    "specialization": "none",
                    "visibility": "private" if t % 4 == 3 else "public",
                    "isArchived": False,
                    "tenantId": TENANT,
                    "isMembershipLimitedToOwners": False,
                },
            )
            members = teams.members[t]
            self.pages(
                f"{base}/{wire.MEMBERS}",
                f"{GRAPH}/$metadata#teams('{team_id}')/members",
                [self.member(i, team_id) for i in members],
                f"{GRAPH}/teams/{team_id}/members?",
            )
            listed = []
            for c in by_team[t]:
                _, channel_id, name, kind = teams.channels[c]
                listed.append(
                    {
                        "id": channel_id,
                        "createdDateTime": _iso(_START_MS - 86_400_000),
                        "displayName": name,
                        "description": f"About {name.lower()}",
                        "isFavoriteByDefault": None,
                        "email": "",
                        "tenantId": TENANT,
                        "webUrl": f"https://teams.microsoft.com/l/channel/{channel_id}/{name}"
                        f"?groupId={team_id}&tenantId={TENANT}",
                        "membershipType": kind,
                        "isArchived": False,
                    }
                )
            self.pages(
                f"{base}/{wire.CHANNELS}",
                f"{GRAPH}/$metadata#teams('{team_id}')/channels",
                listed,
                f"{GRAPH}/teams/{team_id}/channels?",
            )
            for c in by_team[t]:
                _, channel_id, name, kind = teams.channels[c]
                conversation = wire.Conversation.channel(team_id, channel_id)
                authors = members
                if kind in wire.OWN_MEMBERS:
                    authors = sorted(self.rng.sample(members, max(1, len(members) // 3)))
                    self.pages(
                        f"{conversation.folder}/{wire.MEMBERS}",
                        f"{GRAPH}/$metadata#members",
                        [self.member(i, channel_id) for i in authors],
                        f"{GRAPH}{conversation.graph}/members?",
                    )
                self.written.channels += 1
                self.channel(conversation, authors, activity[c])

    def users(self, requested: list[Person], indexes: list[int], chats: list[Chat]) -> None:
        """Each requested user's user.json and chat listing (every chat they are in, members expanded)."""
        theirs: dict[int, list[int]] = {i: [] for i in indexes}
        for c, chat in enumerate(chats):
            for i in chat.members:
                if i in theirs:
                    theirs[i].append(c)
        for person, i in zip(requested, indexes, strict=True):
            base = wire.user_folder(person.upn)
            self.save(
                f"{base}/{wire.USER}",
                {
                    "@odata.context": f"{GRAPH}/$metadata#users/$entity",
                    "id": person.id,
                    "displayName": person.name,
                    "mail": person.email,
                    "userPrincipalName": person.upn,
                    "jobTitle": "Engineer" if i % 3 else None,
                    "department": f"Department {i % 12}",
                    "officeLocation": ("Lyon", "Paris", "Dublin", "Berlin")[i % 4],
                    "accountEnabled": i % 97 != 96,
                    "businessPhones": [],
                    "givenName": f"Person{i}",
                    "surname": f"Nom{i % 97}é",
                },
            )
            listed = [self.chat_node(chats[c], person.id) for c in theirs[i]]
            self.pages(
                f"{base}/{wire.CHATS}",
                f"{GRAPH}/$metadata#users('{person.id}')/chats(members())",
                listed,
                f"{GRAPH}/users/{person.id}/chats?$expand=members&$top={wire.TOP}&",
            )

    def chat_node(self, chat: Chat, viewer: str) -> dict[str, Any]:
        return {
            "id": chat.id,
            "topic": None if chat.kind == "oneOnOne" else f"Chat {chat.id[3:11]}",
            "createdDateTime": _iso(chat.created_ms),
            "lastUpdatedDateTime": _iso(chat.created_ms + 3_600_000),
            "chatType": chat.kind,
            "webUrl": f"https://teams.microsoft.com/l/chat/{chat.id}/0?tenantId={TENANT}",
            "tenantId": TENANT,
            "onlineMeetingInfo": None,
            "viewpoint": None,
            "members@odata.context": f"{GRAPH}/$metadata#users('{viewer}')/chats('{chat.id}')/members",
            "members": [
                {**self.member(i, chat.id), "roles": ["guest" if self.people[i].guest else "owner"]}
                for i in chat.members
            ],
        }

    # messages

    def channel(self, conversation: wire.Conversation, members: list[int], count: int) -> None:
        """A channel's roots with their replies, oldest first, 50 roots a page."""
        rng = self.rng
        self.written.messages[conversation.id] = count
        start = _START_MS + rng.randrange(_SPAN_MS // 2)
        step = max(1, (_START_MS + _SPAN_MS - start) // max(1, count))
        clock, used, left = start, set[int](), count
        roots: list[dict[str, Any]] = []
        number = 0
        context = f"{GRAPH}/$metadata#teams('{conversation.team_id}')/channels('{conversation.id}')/messages"
        link = f"{GRAPH}{conversation.graph}/messages?$top={wire.TOP}&$expand=replies&"
        while left:
            clock += rng.randint(1, 2 * step)
            replies = rng.choice(_REPLIES) if rng.random() >= 0.0002 else self.expanded + rng.randint(1, 200)
            replies = min(replies, left - 1)
            roots.append(self._thread(conversation, members, clock, used, replies, context))
            left -= 1 + replies
            if len(roots) == wire.TOP or not left:
                number += 1
                page = {"@odata.context": f"{context}(replies())", "@odata.count": len(roots), "value": roots}
                if left:
                    page["@odata.nextLink"] = f"{link}$skiptoken={number * wire.TOP}"
                self.save(f"{conversation.messages}/{wire.page_name(number)}", page)
                roots = []
        if not number:  # Graph answers an empty page for a channel without messages
            self.pages(conversation.messages, f"{context}(replies())", [], link)

    def _thread(self, conversation: wire.Conversation, members: list[int], clock: int, used: set[int],
                replies: int, context: str) -> dict[str, Any]:
        """A root with its replies inline, as `$expand=replies` answers it; past the expansion,
        the root says so (`replies@odata.nextLink`) and all its replies are saved as /replies pages."""
        rng = self.rng
        root = self.message(conversation, members, _unique(clock, used), None)
        # minutes to hours apart, so a long thread runs on for weeks
        later = sorted(_unique(clock + rng.randint(60_000, 7_200_000) * n, used)
                       for n in range(1, replies + 1))
        thread = [self.message(conversation, members, ms, root["id"]) for ms in later]
        graph = f"{GRAPH}{conversation.graph_message(root['id'])}/replies"
        root["replies@odata.context"] = f"{context}('{root['id']}')/replies"
        root["replies"] = thread[: self.expanded]
        if replies > self.expanded:
            root["replies@odata.count"] = replies
            root["replies@odata.nextLink"] = f"{graph}?$skiptoken={self.expanded}"
            self.pages(conversation.replies(root["id"]), root["replies@odata.context"], thread,
                       f"{graph}?$top={wire.TOP}&")
        return root

    def chat(self, chat: Chat) -> None:
        """A chat's messages in one listing, newest first (as Graph lists chat messages)."""
        conversation = wire.Conversation.chat(chat.id)
        self.written.chats += 1
        self.written.messages[chat.id] = chat.messages
        clock, used, found = chat.created_ms, set[int](), []
        for _ in range(chat.messages):
            clock += self.rng.randint(5_000, 3_600_000)
            found.append(self.message(conversation, list(chat.members), _unique(clock, used), None))
        found.reverse()
        self.pages(
            conversation.messages,
            f"{GRAPH}/$metadata#chats('{chat.id}')/messages",
            found,
            f"{GRAPH}/chats/{chat.id}/messages?$top={wire.TOP}&",
        )

    def message(
        self, conversation: wire.Conversation, members: list[int], ms: int, root: str | None
    ) -> dict[str, Any]:
        rng, mid = self.rng, str(ms)
        channel = conversation.team_id is not None
        author = rng.choice(members)
        if channel and self.departed and rng.random() < 0.004:  # someone who has left since
            author = rng.choice(self.departed)
        message: dict[str, Any] = {
            "id": mid,
            "replyToId": root,
            "etag": mid,
            "messageType": "message",
            "createdDateTime": _iso(ms),
            "lastModifiedDateTime": _iso(ms),
            "lastEditedDateTime": None,
            "deletedDateTime": None,
            "subject": None,
            "summary": None,
            "chatId": None if channel else conversation.id,
            "importance": "normal",
            "locale": "en-us",
            "webUrl": f"https://teams.microsoft.com/l/message/{conversation.id}/{mid}?tenantId={TENANT}"
            + (f"&groupId={conversation.team_id}&parentMessageId={root or mid}" if channel else ""),
            "policyViolation": None,
            "eventDetail": None,
            "from": self.identity(author),
            "body": {"contentType": "html", "content": ""},
            "channelIdentity": {"teamId": conversation.team_id, "channelId": conversation.id}
            if channel
            else None,
            "attachments": [],
            "mentions": [],
            "reactions": [],
        }
        roll = rng.random()
        if roll < 0.03:
            return self._event(message, conversation, members)
        if channel and root is None and roll < 0.05:
            return self._card(message)
        if roll < 0.06:  # deleted: Teams empties the body and dates the deletion
            message["deletedDateTime"] = message["lastModifiedDateTime"] = _iso(
                ms + rng.randint(60_000, 86_400_000)
            )
            return message
        html = [" ".join(rng.choices(_WORDS, k=rng.randint(3, 40)))]
        if rng.random() < 0.2:
            self._mention_person(message, html, rng.choice(members))
        if channel and rng.random() < 0.02:
            self._mention_channel(message, html, conversation)
        if channel and root is None and rng.random() < 0.1:
            message["subject"] = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS)}"
            message["importance"] = "high" if rng.random() < 0.2 else "normal"
        body = f"<p>{' '.join(html)}</p>"
        if rng.random() < 0.03:
            body += self._file(message, conversation)
        if rng.random() < 0.005:
            body += self._image(message, conversation, root)
        message["body"]["content"] = body
        if rng.random() < 0.05:
            message["lastEditedDateTime"] = message["lastModifiedDateTime"] = _iso(
                ms + rng.randint(5_000, 3_600_000)
            )
        if rng.random() < 0.15:
            self._react(message, members, ms)
        return message

    def _mention_person(self, message: dict[str, Any], html: list[str], who: int) -> None:
        """Teams mentions a two-word name as two spans of one user, one `mentions[]` entry each."""
        n = len(message["mentions"])
        first, last = self.people[who].name.split(" ")[:2]
        html.insert(0, f'<at id="{n}">{first}</at>&nbsp;<at id="{n + 1}">{last}</at>')
        for i, text in ((n, first), (n + 1, last)):
            message["mentions"].append(
                {
                    "id": i,
                    "mentionText": text,
                    "mentioned": {**self.identity(who), "conversation": None, "tag": None},
                }
            )

    def _mention_channel(
        self, message: dict[str, Any], html: list[str], conversation: wire.Conversation
    ) -> None:
        n = len(message["mentions"])
        html.append(f'<at id="{n}">this channel</at>')
        message["mentions"].append(
            {
                "id": n,
                "mentionText": "this channel",
                "mentioned": {
                    "application": None,
                    "device": None,
                    "user": None,
                    "tag": None,
                    "conversation": {
                        "id": conversation.id,
                        "displayName": "this channel",
                        "conversationIdentityType": "channel",
                    },
                },
            }
        )

    def _file(self, message: dict[str, Any], conversation: wire.Conversation) -> str:
        self.serial += 1
        guid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        name = f"document-{self.serial}.{self.rng.choice(_FILES)}"
        where = (
            f"https://synth.sharepoint.com/sites/team-{conversation.team_id[:8]}/Shared%20Documents"
            if conversation.team_id
            else f"https://synth-my.sharepoint.com/personal/{message['from']['user']['id'][:8]}/Documents/"
            "Microsoft%20Teams%20Chat%20Files"
        )
        message["attachments"].append(
            {
                "id": guid,
                "contentType": wire.REFERENCE,
                "contentUrl": f"{where}/{name}",
                "content": None,
                "name": name,
                "thumbnailUrl": None,
                "teamsAppId": None,
            }
        )
        return f'<attachment id="{guid}"></attachment>'

    def _image(self, message: dict[str, Any], conversation: wire.Conversation, root: str | None) -> str:
        """An inline image, saved as the collector saves it (.bin, then its .json sidecar)."""
        self.serial += 1
        hosted = f"aWQ9eF8wLXdldS1kMTAt{self.serial:016x}LHR5cGU9MSx1cmw9"
        url = f"{GRAPH}{conversation.graph_message(message['id'], root)}/hostedContents/{hosted}/$value"
        data = _PNG + self.serial.to_bytes(8, "big")
        saved = self.folder / conversation.hosted(message["id"], hosted)
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.with_name(saved.name + ".bin").write_bytes(data)
        self.save(
            f"{conversation.hosted(message['id'], hosted)}.json",
            {"id": hosted, "status": 200, "contentType": "image/png", "size": len(data)},
        )
        return f'<p><img src="{url}" width="250" height="140" alt="image" itemid="{hosted}"></p>'

    def _card(self, message: dict[str, Any]) -> dict[str, Any]:
        """An app's post: an adaptive card, the body only its placeholder."""
        self.serial += 1
        card = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        message["from"] = {
            "application": {
                "@odata.type": "#microsoft.graph.teamworkApplicationIdentity",
                "id": "b07e0000-0000-4000-8000-00000000b07e",
                "displayName": "Release Bot",
                "applicationIdentityType": "bot",
            },
            "device": None,
            "user": None,
        }
        message["body"]["content"] = f'<attachment id="{card}"></attachment>'
        content = {
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": f"Build {self.serial} passed"}],
        }
        message["attachments"].append(
            {
                "id": card,
                "contentType": f"{wire.CARD_PREFIX}adaptive",
                "contentUrl": None,
                "content": orjson.dumps(content).decode(),
                "name": None,
                "thumbnailUrl": None,
                "teamsAppId": None,
            }
        )
        return message

    def _event(
        self, message: dict[str, Any], conversation: wire.Conversation, members: list[int]
    ) -> dict[str, Any]:
        """A system event: empty body, what happened in `eventDetail`, no `from`."""
        rng = self.rng
        initiator = self.identity(rng.choice(members))
        initiator["user"]["displayName"] = None  # Graph leaves it null in events
        if conversation.team_id is not None:
            detail: dict[str, Any] = rng.choice(
                (
                    {
                        "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
                        "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
                        "members": [
                            {
                                "id": self.people[rng.choice(members)].id,
                                "displayName": None,
                                "userIdentityType": "aadUser",
                                "tenantId": TENANT,
                            }
                        ],
                    },
                    {
                        "@odata.type": "#microsoft.graph.channelDescriptionUpdatedEventMessageDetail",
                        "channelId": conversation.id,
                        "channelDescription": f"All about {rng.choice(_WORDS)}",
                    },
                    {
                        "@odata.type": "#microsoft.graph.messagePinnedEventMessageDetail",
                        "eventDateTime": message["createdDateTime"],
                    },
                )
            )
        else:
            detail = {
                "@odata.type": "#microsoft.graph.callEndedEventMessageDetail",
                "callId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "callDuration": f"PT{rng.randint(1, 59)}M{rng.randint(0, 59)}S",
                "callEventType": "call",
                "callParticipants": [{"participant": self.identity(i)} for i in members],
            }
        message.update(
            {
                "messageType": "systemEventMessage",
                "from": None,
                "body": {"contentType": "html", "content": "<systemEventMessage/>"},
                "eventDetail": {**detail, "initiator": initiator},
            }
        )
        return message

    def _react(self, message: dict[str, Any], members: list[int], ms: int) -> None:
        rng = self.rng
        for kind, shown in rng.sample(_REACTIONS, rng.randint(1, 3)):
            for who in rng.sample(members, min(len(members), rng.randint(1, 4))):
                reaction = {
                    "reactionType": kind,
                    "createdDateTime": _iso(ms + rng.randint(1_000, 86_400_000)),
                    "user": self.identity(who),
                }
                reaction["user"]["user"]["displayName"] = None
                if shown:
                    reaction["displayName"] = shown
                message["reactions"].append(reaction)


def _unique(ms: int, used: set[int]) -> int:
    """A millisecond no other message of the conversation has: Teams message ids are their
    creation time in epoch milliseconds, unique within a channel or chat."""
    while ms in used:
        ms += 1
    used.add(ms)
    return ms
