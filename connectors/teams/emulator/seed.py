"""Seed the emulated tenant with existing Teams content, from a saved collection.

Why a saved collection is the seed format: it is exactly what Graph answered (pages of teams,
members, channels, messages with replies, inline images, drive files), so seeding it and collecting
it again must give the same archive — the collector and the reader are tested against each other
over real HTTP (`rsemigrate teams emulator --content FOLDER`, or `EmulatorConfig(content=[…])`).
Tests that need bespoke content write a small collection and seed that.

What a collection says becomes tenant state:
- teams, their members (who become tenant users), channels (standard, private, shared) and the
  members of private and shared channels; a channel whose messages were refused answers that status;
- every message with its replies, as saved (system events, deletions, edits, mentions, reactions,
  attachments untouched); its inline images (a refused one answers 403, as for people added later);
- the chats of the users asked for, with their members;
- reference files as items of a drive, reachable through their sharing URL: saved ones with their
  bytes, refused ones restricted (403); files that were gone (404) are not seeded.
Message authors outside every member list become tenant users too (people who left a team).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsemigrate.export import open_source

from ..source import wire
from ..source.layout import Collection
from ..source.markup import inline_images
from .rules import parse_time
from .seeded import Hosted, SeededChannel, SeededChat, SeededItem, SeededMessage, SeededTeam
from .state import Tenant, User

_KEPT_OUT = ("replies", "replies@odata.nextLink")


def seed_collection(tenant: Tenant, path: Path) -> None:
    """Load the content of the collection at `path` (a folder or a zip) into `tenant`."""
    with open_source(path) as tree, tenant.lock:
        collection = Collection(tree)
        seeding = _Seeding(tenant, collection)
        for team_id in collection.request.teams:
            seeding.team(team_id)
        for ref in collection.request.users:
            seeding.user_chats(ref)
        seeding.files()


class _Seeding:
    def __init__(self, tenant: Tenant, collection: Collection) -> None:
        self.tenant = tenant
        self.collection = collection

    def user(self, ident: Any, name: Any = None, email: Any = None, upn: Any = None) -> str | None:
        if not ident:
            return None
        uid = str(ident)
        known = self.tenant.users.get(uid)
        if known is None:
            address = str(upn or email or f"{uid}@{self.tenant.domain}")
            self.tenant.add_user(User(uid, address, str(name or address.split("@")[0]), email or None))
        elif name and not known.display_name:
            known.display_name = str(name)
        return uid

    def members(self, folder: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for saved in self.collection.items(folder):
            m = saved.item
            if isinstance(m, dict) and (
                uid := self.user(m.get("userId"), m.get("displayName"), m.get("email"))
            ):
                found[uid] = [str(r) for r in m.get("roles") or []]
        return found

    def team(self, team_id: str) -> None:
        base = wire.team_folder(team_id)
        node = self.collection.document(f"{base}/{wire.TEAM}")
        if node is None:
            return
        created = _ms(node.get("createdDateTime"))
        team = SeededTeam(team_id, str(node.get("displayName") or team_id), node.get("description"), created,
                          False, None, graph=node)
        team.drive_id = "b!" + self.tenant.new_guid().replace("-", "")
        team.members = self.members(f"{base}/{wire.MEMBERS}")
        self.tenant.teams[team_id] = team
        for saved in self.collection.items(f"{base}/{wire.CHANNELS}"):
            c = saved.item
            if not isinstance(c, dict) or not c.get("id"):
                continue
            conversation = wire.Conversation.channel(team_id, str(c["id"]))
            refused = self.collection.refused(conversation.messages)
            channel = SeededChannel(
                conversation.id,
                _ms(c.get("createdDateTime")),
                team_id=team_id,
                display_name=str(c.get("displayName") or ""),
                description=c.get("description"),
                membership_type=str(c.get("membershipType") or "standard"),
                general=c.get("displayName") == "General",
                graph=c,
                members=self.members(f"{conversation.folder}/{wire.MEMBERS}"),
                refused=int(refused.get("status") or 403) if refused else None,
            )
            team.channels[channel.id] = channel
            self.messages(channel, conversation)

    def user_chats(self, ref: str) -> None:
        base = wire.user_folder(ref)
        node = self.collection.document(f"{base}/{wire.USER}")
        if node is None:
            return
        self.user(node.get("id"), node.get("displayName"), node.get("mail"), node.get("userPrincipalName"))
        for saved in self.collection.items(f"{base}/{wire.CHATS}"):
            c = saved.item
            if not isinstance(c, dict) or not c.get("id") or str(c["id"]) in self.tenant.chats:
                continue
            roles = {
                uid: [str(r) for r in m.get("roles") or []]
                for m in c.get("members") or []
                if isinstance(m, dict)
                and (uid := self.user(m.get("userId"), m.get("displayName"), m.get("email")))
            }
            chat = SeededChat(
                str(c["id"]),
                _ms(c.get("createdDateTime")),
                chat_type=str(c.get("chatType") or "group"),
                topic=c.get("topic"),
                members=list(roles),
                graph={k: v for k, v in c.items() if k != "members"},
                roles=roles,
            )
            self.tenant.chats[chat.id] = chat
            self.messages(chat, wire.Conversation.chat(chat.id))

    def messages(self, conv: SeededChannel | SeededChat, conversation: wire.Conversation) -> None:
        for saved in self.collection.messages(conversation):
            item = saved.item
            if not isinstance(item, dict) or not item.get("id") or not item.get("createdDateTime"):
                continue
            author = wire.obj(wire.obj(item.get("from")).get("user"))
            self.user(author.get("id"), author.get("displayName"))
            mid = str(item["id"])
            graph = {k: v for k, v in item.items() if k not in _KEPT_OUT}
            message = SeededMessage(mid, _ms(item["createdDateTime"]), graph, saved.root_id, graph=graph,
                                    hosted=self.hosted(conversation, mid, item))
            conv.messages[mid] = message
            conv.times.add(message.created_ms)
            if saved.root_id is not None and saved.root_id in conv.messages:
                conv.messages[saved.root_id].replies.append(mid)

    def hosted(
        self, conversation: wire.Conversation, message_id: str, item: dict[str, Any]
    ) -> dict[str, Hosted]:
        content = wire.obj(item.get("body")).get("content")
        found: dict[str, Hosted] = {}
        for hosted in inline_images(content) if isinstance(content, str) else []:
            saved = conversation.hosted(message_id, hosted)
            sidecar = self.collection.document(f"{saved}.json") or {}
            if sidecar.get("status") == 200 and self.collection.has(f"{saved}.bin"):
                with self.collection.open(f"{saved}.bin") as fh:
                    found[hosted] = Hosted(fh.read(), str(sidecar.get("contentType") or "image/png"))
            elif sidecar.get("status") == 403:
                found[hosted] = Hosted(b"", refused=True)
        return found

    def files(self) -> None:
        for name in self.collection.names_under(wire.FILES):
            if not name.endswith(".json"):
                continue
            sidecar = self.collection.document(name) or {}
            url, status = sidecar.get("contentUrl"), sidecar.get("status")
            if not isinstance(url, str) or status not in (200, 403):
                continue
            node = wire.obj(sidecar.get("driveItem"))
            content = b""
            if status == 200:
                with self.collection.open(name.removesuffix(".json") + ".bin") as fh:
                    content = fh.read()
            drive = str(wire.obj(node.get("parentReference")).get("driveId") or "b!seeded")
            item = SeededItem(
                str(node.get("id") or self.tenant.new_guid()),
                drive,
                None,
                str(node.get("name") or url.rsplit("/", 1)[-1]),
                content=content,
                etag_guid=str(sidecar.get("id") or self.tenant.new_guid()),
                web_url=url,
                mime_type=str(wire.obj(node.get("file")).get("mimeType") or "application/octet-stream"),
                restricted=status == 403,
                graph=node,
            )
            self.tenant.items[item.id] = item


def _ms(value: Any) -> int:
    return parse_time(value, "createdDateTime") if isinstance(value, str) else 0
