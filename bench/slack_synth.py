"""A synthetic Slack workspace export of any size, for tests and the export benchmark.

Laid out and encoded as Slack writes it (PHP's pretty JSON: 4-space indents, `\\/` and `\\uXXXX`
escapes): users.json, channels.json, groups.json (private channels), dms.json (folders named by
id) and mpims.json, then one JSON array per conversation and day. Messages carry what real ones
carry (client_msg_id, user_profile, rich_text blocks) and the cases the connector must handle at
volume: threads whose replies land in later day files (the root lists them in `replies`),
`thread_broadcast`, system subtypes, `bot_message` with and without `bot_id`, edits, reactions
with their users, mrkdwn mentions, links and escapes, and file objects whose binaries are not
included (the usual export).

Messages are generated as one time-ordered stream: a new message, or a reply whose time has come.
Only the current day's messages and the replies still to come are held, so a million messages
take no more memory than ten thousand.

Two shapes. `flat`: `channels` conversations (a few DMs among them) with Zipf-like activity.
`realistic`, a real workspace's: one channel per 500 messages with that activity, and 35% of the
new messages (a quarter of all, with the thread replies) in direct conversations of 2-5 messages
(a fifth of them group DMs), each a folder of its own: 1,300 of them at 20,000 messages, about
65,000 at a million.
"""

from __future__ import annotations

import heapq
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

Shape = Literal["flat", "realistic"]

TEAM = "T0SYNTH01"
_START = int(datetime(2021, 1, 4, 8, tzinfo=UTC).timestamp())
#: mean seconds between two new conversations' messages: ~1,300 messages a day with the replies.
_MEAN_GAP = 75.0
_WORDS = ("deploy", "review", "release", "budget", "meeting", "roadmap", "customer", "ticket", "incident",
          "design", "sprint", "planning", "demo", "feedback", "question", "answer", "thanks", "déjà", "café",
          "naïve", "résumé", "über", "straße", "tomorrow", "today", "monday", "friday", "ready", "blocked",
          "done", "merged", "approved", "draft", "notes", "agenda")
_EMOJI = ("thumbsup", "heart", "tada", "eyes", "white_check_mark", "joy", "pray", "rocket", "fire", "100")
_FILETYPES = (
    ("pdf", "application/pdf", "PDF"),
    ("png", "image/png", "PNG"),
    ("jpg", "image/jpeg", "JPEG"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel Spreadsheet"),
    ("txt", "text/plain", "Plain Text"),
)
_SYSTEM = (("channel_join", "has joined the channel"), ("channel_leave", "has left the channel"),
           ("channel_topic", "set the channel topic: Weekly priorities"),
           ("channel_purpose", "set the channel purpose: Where the work happens"))


@dataclass
class Conversation:
    id: str
    folder: str
    members: list[str]
    name: str | None = None


@dataclass(order=True)
class _Reply:
    """A reply decided when its root was written, waiting for its time."""

    at: int
    ts: str = field(compare=False)
    conversation: int = field(compare=False)
    root_ts: str = field(compare=False)
    user: str = field(compare=False)
    root_user: str = field(compare=False)


def write_synthetic_export(folder: Path, messages: int, users: int = 2000, channels: int = 200,
                           seed: int = 0, shape: Shape = "flat", private_share: float = 0.35) -> None:
    """Write a `messages`-message export of `users` people and `channels` conversations (75%
    public, 15% private, 7.5% DMs, the rest group DMs) into `folder`.

    With `shape="realistic"`, `channels` is raised to one per 500 messages and `private_share`
    of the messages go to direct conversations of 2-5 messages, each started when first used.
    """
    rng = random.Random(seed)
    if shape == "realistic":
        channels = max(channels, messages // 500)
    else:
        private_share = 0.0
    folder.mkdir(parents=True, exist_ok=True)
    people = _users(users)
    names = {u["id"]: u["name"] for u in people if not u["is_bot"]}
    bots = [u for u in people if u["is_bot"]]
    conversations, indexes = _conversations(rng, names, channels)
    _dump(folder / "users.json", people)
    stream = _Stream(folder, rng, people, bots, conversations, indexes, private_share)
    stream.run(messages)
    for name in ("channels.json", "groups.json", "dms.json", "mpims.json"):
        _dump(folder / name, indexes[name])


def _users(count: int) -> list[dict[str, Any]]:
    """People (every 40th without email, every 97th deleted, every 50th a guest) and two bots."""
    found = []
    for i in range(count):
        bot = i >= count - 2
        first, last = f"Person{i}", f"Nom{i % 97}é"
        profile: dict[str, Any] = {
            "title": "" if i % 3 else "Engineer", "phone": "", "skype": "",
            "real_name": f"{first} {last}", "real_name_normalized": f"{first} {last}",
            "display_name": first.lower(), "display_name_normalized": first.lower(), "fields": None,
            "status_text": "", "status_emoji": "", "avatar_hash": f"g{i:011x}",
            "image_72": f"https://avatars.slack-edge.com/2021-01-04/{i}_72.png",
            "first_name": first, "last_name": last, "team": TEAM,
        }
        if bot:
            profile["bot_id"] = f"B{i:08X}"
        elif i % 40:
            profile["email"] = f"person{i}@synth.example"
        found.append({
            "id": f"U{i:08X}", "team_id": TEAM, "name": first.lower(), "deleted": i % 97 == 96,
            "color": "9f69e7", "real_name": f"{first} {last}", "tz": "Europe/Paris",
            "tz_label": "Central European Time", "tz_offset": 3600, "profile": profile,
            "is_admin": i == 0, "is_owner": i == 0, "is_primary_owner": i == 0,
            "is_restricted": i % 50 == 49, "is_ultra_restricted": i % 100 == 99,
            "is_bot": bot, "is_app_user": False, "updated": _START,
        })
    return found


def _conversations(rng: random.Random, names: dict[str, str],
                   count: int) -> tuple[list[Conversation], dict[str, list[dict[str, Any]]]]:
    """The conversations, in random order of activity, and the four index files listing them."""
    user_ids = list(names)
    dms, mpims = max(1, count * 3 // 40), max(1, count // 40)
    public = max(1, count * 3 // 4)
    private = max(0, count - public - dms - mpims)
    found: list[Conversation] = []
    indexes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(public + private):
        kind = "channels.json" if i < public else "groups.json"
        name = "general" if i == 0 else f"{'team' if i < public else 'private'}-{i:04d}"
        members = list(user_ids) if i == 0 else rng.sample(user_ids, min(len(user_ids), rng.randint(3, 60)))
        cid = f"{'C' if i < public else 'G'}{i:08X}"
        indexes[kind].append(
            {
                "id": cid,
                "name": name,
                "created": _START - 86_400,
                "creator": members[0],
                "is_archived": False,
                "is_general": i == 0,
                "members": members,
                "pins": [],
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {
                    "value": f"Conversations of {name}",
                    "creator": members[0],
                    "last_set": _START - 86_400,
                },
            }
        )
        found.append(Conversation(cid, name, members, name))
    for i in range(dms):
        members = rng.sample(user_ids, 2)
        cid = f"D{i:08X}"
        indexes["dms.json"].append({"id": cid, "created": _START - 86_400, "members": members})
        found.append(Conversation(cid, cid, members))
    for i in range(mpims):
        members = rng.sample(user_ids, min(len(user_ids), 3))
        name = "mpdm-" + "--".join(names[m] for m in members) + "-1"
        indexes["mpims.json"].append({
            "id": f"G9{i:07X}", "name": name, "created": _START - 86_400, "creator": members[0],
            "is_archived": False, "members": members,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "Group messaging", "creator": members[0], "last_set": _START - 86_400},
        })
        found.append(Conversation(f"G9{i:07X}", name, members, name))
    rng.shuffle(found)  # which ones are busy has nothing to do with their kind
    return found, indexes


class _Stream:
    """The time-ordered message stream; writes each day's files when the day is over."""

    def __init__(self, folder: Path, rng: random.Random, people: list[dict[str, Any]],
                 bots: list[dict[str, Any]], conversations: list[Conversation],
                 indexes: dict[str, list[dict[str, Any]]], private_share: float) -> None:
        self.folder, self.rng, self.bots, self.conversations = folder, rng, bots, conversations
        self.indexes, self.private_share = indexes, private_share
        self.profiles = {u["id"]: _message_profile(u) for u in people}
        self.names = {u["id"]: u["name"] for u in people if not u["is_bot"]}
        self.user_ids = list(self.names)
        # Zipf-like activity: a few busy channels, a long quiet tail.
        self.weights = list(accumulate(1 / (n + 1) ** 0.9 for n in range(len(conversations))))
        self.channels = range(len(conversations))
        #: direct conversations still to be written to: (index, messages left).
        self.direct: list[tuple[int, int]] = []
        self.pending: list[_Reply] = []
        self.day: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.day_name = ""
        self.serial = 0
        self.files = 0

    def run(self, count: int) -> None:
        clock = _START
        for _ in range(count):
            if self.pending and self.pending[0].at <= clock:
                self._emit(self.pending[0].at, self._reply(heapq.heappop(self.pending)))
            else:
                if self.rng.random() < self.private_share:
                    self._emit(clock, self._direct(clock))
                else:
                    index = self.rng.choices(self.channels, cum_weights=self.weights)[0]
                    self._emit(clock, self._top(index, clock))
                clock += max(1, int(self.rng.expovariate(1 / _MEAN_GAP)))
        self._flush()

    def _ts(self, at: int) -> str:
        """A ts unique in its conversation: the microseconds are a running serial."""
        self.serial += 1
        return f"{at}.{self.serial % 1_000_000:06d}"

    def _emit(self, at: int, item: tuple[int, dict[str, Any]]) -> None:
        day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
        if day != self.day_name:
            self._flush()
            self.day_name = day
        self.day[item[0]].append(item[1])

    def _flush(self) -> None:
        for index, items in self.day.items():
            folder = self.folder / self.conversations[index].folder
            folder.mkdir(exist_ok=True)
            _dump(folder / f"{self.day_name}.json", items)
        self.day.clear()

    def _top(self, index: int, at: int) -> tuple[int, dict[str, Any]]:
        conversation, rng = self.conversations[index], self.rng
        user = rng.choice(conversation.members)
        ts = self._ts(at)
        roll = rng.random()
        if roll < 0.03 and conversation.name:
            subtype, what = rng.choice(_SYSTEM)
            return index, {"type": "message", "subtype": subtype, "ts": ts, "user": user,
                           "text": f"<@{user}> {what}", **self._sender(user)}
        if roll < 0.05:
            return index, self._bot(ts)
        message = self._message(ts, user, conversation)
        if rng.random() < 0.25:
            self._thread(index, message, at)
        return index, message

    def _direct(self, at: int) -> tuple[int, dict[str, Any]]:
        """A message in a direct conversation: the next of an open one, or the first of a new one."""
        rng = self.rng
        if self.direct and rng.random() < 0.7:
            i = rng.randrange(len(self.direct))
            index, left = self.direct[i]
            if left == 1:
                self.direct[i] = self.direct[-1]
                self.direct.pop()
            else:
                self.direct[i] = (index, left - 1)
        else:
            index = len(self.conversations)
            members = rng.sample(self.user_ids, rng.choice((2, 2, 2, 2, 3)))
            if len(members) == 2:
                cid = f"D{index:08X}"
                self.indexes["dms.json"].append({"id": cid, "created": at, "members": members})
                self.conversations.append(Conversation(cid, cid, members))
            else:
                cid, name = f"G8{index:07X}", "mpdm-" + "--".join(self.names[m] for m in members) + "-1"
                self.indexes["mpims.json"].append({
                    "id": cid, "name": name, "created": at, "creator": members[0], "is_archived": False,
                    "members": members, "topic": {"value": "", "creator": "", "last_set": 0},
                    "purpose": {"value": "Group messaging", "creator": members[0], "last_set": at}})
                self.conversations.append(Conversation(cid, name, members, name))
            self.direct.append((index, rng.randint(1, 4)))
        conversation = self.conversations[index]
        return index, self._message(self._ts(at), rng.choice(conversation.members), conversation)

    def _reply(self, reply: _Reply) -> tuple[int, dict[str, Any]]:
        conversation = self.conversations[reply.conversation]
        message = self._message(reply.ts, reply.user, conversation)
        message["thread_ts"], message["parent_user_id"] = reply.root_ts, reply.root_user
        if self.rng.random() < 0.03:
            message["subtype"] = "thread_broadcast"
        return reply.conversation, message

    def _thread(self, index: int, root: dict[str, Any], at: int) -> None:
        """Decide the root's replies now (Slack lists them in the root); some come days later."""
        rng, members = self.rng, self.conversations[index].members
        replies = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 6, 9, 14))):
            at += (
                int(rng.expovariate(1 / 1200))
                + 1
                + (rng.randint(86_400, 3 * 86_400) if rng.random() < 0.05 else 0)
            )
            reply = _Reply(at, self._ts(at), index, root["ts"], rng.choice(members), root["user"])
            heapq.heappush(self.pending, reply)
            replies.append(reply)
        users = list(dict.fromkeys(r.user for r in replies))
        root.update({"thread_ts": root["ts"], "reply_count": len(replies), "reply_users_count": len(users),
                     "latest_reply": replies[-1].ts, "reply_users": users, "is_locked": False,
                     "subscribed": False, "replies": [{"user": r.user, "ts": r.ts} for r in replies]})

    def _message(self, ts: str, user: str, conversation: Conversation) -> dict[str, Any]:
        rng = self.rng
        text = self._text(conversation)
        message: dict[str, Any] = {
            "client_msg_id": f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-"
            f"4{rng.getrandbits(12):03x}-a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
            "type": "message",
            "text": text,
            "user": user,
            "ts": ts,
            **self._sender(user),
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": f"{rng.getrandbits(20):05x}",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                }
            ],
        }
        if rng.random() < 0.05:
            message["edited"] = {"user": user, "ts": f"{int(ts.split('.')[0]) + rng.randint(5, 3600)}.000000"}
        if rng.random() < 0.15:
            message["reactions"] = [
                {
                    "name": name,
                    "users": (
                        who := rng.sample(
                            conversation.members, min(len(conversation.members), rng.randint(1, 4))
                        )
                    ),
                    "count": len(who),
                }
                for name in rng.sample(_EMOJI, rng.randint(1, 3))
            ]
        if rng.random() < 0.03:
            message["files"] = [self._file(user, ts) for _ in range(rng.choice((1, 1, 1, 2)))]
            message["upload"] = False
        return message

    def _sender(self, user: str) -> dict[str, Any]:
        return {"team": TEAM, "user_team": TEAM, "source_team": TEAM, "user_profile": self.profiles[user]}

    def _text(self, conversation: Conversation) -> str:
        rng = self.rng
        words = rng.choices(_WORDS, k=rng.randint(3, 40))
        roll = rng.random()
        if roll < 0.2:
            words.insert(rng.randrange(len(words)), f"<@{rng.choice(conversation.members)}>")
        if roll < 0.02:
            other = rng.choice(self.conversations)
            words.append(f"<#{other.id}|{other.name}>" if other.name else f"<#{other.id}>")
        if rng.random() < 0.05:
            n = rng.randint(1, 10**6)
            words.append(
                rng.choice((f"<https://docs.synth.example/d/{n}|spec {n}>", f"<https://synth.example/t/{n}>"))
            )
        if rng.random() < 0.01:
            words.insert(0, "<!here>")
        if rng.random() < 0.03:
            words.append("&lt;3 &amp; more")
        if rng.random() < 0.05:
            words[0] = f"*{words[0]}*"
        return " ".join(words)

    def _bot(self, ts: str) -> dict[str, Any]:
        """A bot post with a link card: with `bot_id` (90%), else a legacy webhook's `username`."""
        n = self.serial
        card = {"id": 1, "fallback": f"Build {n} passed", "title": f"Build {n}", "color": "36a64f",
                "title_link": f"https://ci.synth.example/builds/{n}", "text": "All checks green"}
        if self.rng.random() < 0.9:
            bot = self.rng.choice(self.bots)
            return {"type": "message", "subtype": "bot_message", "text": f"Build {n} passed", "ts": ts,
                    "bot_id": bot["profile"]["bot_id"], "username": bot["name"], "attachments": [card]}
        return {"type": "message", "subtype": "bot_message", "text": f"Nightly job {n} done", "ts": ts,
                "username": "legacy-webhook", "attachments": [card]}

    def _file(self, user: str, ts: str) -> dict[str, Any]:
        self.files += 1
        file_id = f"F{self.files:09X}"
        ext, mimetype, pretty = self.rng.choice(_FILETYPES)
        name = f"document-{self.files}.{ext}"
        private = f"https://files.slack.com/files-pri/{TEAM}-{file_id}"
        return {
            "id": file_id,
            "created": int(ts.split(".")[0]),
            "timestamp": int(ts.split(".")[0]),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": ext,
            "pretty_type": pretty,
            "user": user,
            "user_team": TEAM,
            "editable": False,
            "size": self.rng.randint(1_000, 5_000_000),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{private}/{name}",
            "url_private_download": f"{private}/download/{name}",
            "permalink": f"https://synth.slack.com/files/{user}/{file_id}/{name}",
            "permalink_public": f"https://slack-files.com/{TEAM}-{file_id}-{self.files:010x}",
            "has_rich_preview": False,
            "file_access": "visible",
        }


def _message_profile(user: dict[str, Any]) -> dict[str, Any]:
    """The `user_profile` Slack copies into each message of a person."""
    profile = user["profile"]
    return {"avatar_hash": profile["avatar_hash"], "image_72": profile["image_72"],
            "first_name": profile["first_name"], "real_name": profile["real_name"],
            "display_name": profile["display_name"], "team": TEAM, "name": user["name"],
            "is_restricted": user["is_restricted"], "is_ultra_restricted": user["is_ultra_restricted"]}


def _dump(path: Path, value: object) -> None:
    """JSON as Slack's exporter writes it (PHP json_encode, pretty-printed)."""
    path.write_text(json.dumps(value, indent=4).replace("/", "\\/") + "\n", encoding="ascii")
