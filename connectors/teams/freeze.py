"""Freezing a Teams plan into the ledger: every container, file, post and member, before any write.

The posts come from `prepare.drafts`, the exact stream the dry run approved, rendered by
`render.message_payload` with the authors' object ids; only what Graph assigns at import time
(the files' eTag GUIDs and URLs, the posts' ids) is filled in later. From then on the ledger, not
the archive, says what to send, so a resume sends exactly what the first run planned.

The frozen plan is a fingerprint of what decides the content: the plan file without its
connection and pacing keys (rates may change between runs; the app identity is checked on its
own), plus the users mapping CSV.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

import orjson

from rsemigrate.archive import Archive
from rsemigrate.migrate import Container, File, Frozen, Member, Message, Migration, Skip, plan_fingerprint
from transforms import Draft

from .accounts import Accounts
from .credential import Identity
from .plan import GENERAL, TeamsPlan, TeamTarget
from .plan import Container as PlanContainer
from .prepare import Preparation, drafts
from .render import content_digest, message_payload

#: [teams] keys about how to connect, not what to import.
CONNECTION_KEYS = (
    "tenant_id",
    "client_id",
    "client_secret_env",
    "client_secret_file",
    "client_certificate_file",
    "client_certificate_password_env",
    "graph_url",
    "login_url",
    "per_team_rps",
    "channel_posts_rps",
    "chat_posts_rps",
    "team_creates_rps",
    "teams_calls_rps",
)
_UNSAFE = re.compile(r'[\x00-\x1f"*:<>?/\\|#%]')


def safe_file_name(name: str) -> str:
    """A SharePoint-safe file name (no reserved characters, no leading or trailing dots and spaces),
    without invisible format characters: a right-to-left override (U+202E) would show
    "invoice‮fdp.exe" as "invoiceexe.pdf" in Teams and SharePoint."""
    visible = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    cleaned = _UNSAFE.sub("_", visible).strip(" .") or "file"
    if len(cleaned) > 120:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: 110 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else cleaned[:120]
    return cleaned


def _sha(data: object) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass
class _Rows:
    containers: list[Container]
    files: list[File]
    messages: list[Message]
    members: list[Member]
    skips: list[Skip]

    def container(self, **fields: object) -> Container:
        row = Container(position=len(self.containers), **fields)  # type: ignore[arg-type]
        self.containers.append(row)
        return row


def freeze(prep: Preparation, accounts: Accounts, identity: Identity, mode: str) -> Frozen:
    archive, plan = prep.archive, prep.plan
    rows = _Rows([], [], [], [], [])
    margin = plan.connection.container_margin_seconds * 1000
    planned: list[tuple[PlanContainer, list[Draft]]] = []
    for container in plan.containers:
        before = Counter(prep.skipped)
        stream = list(drafts(prep, container))
        for reason, n in (prep.skipped - before).items():
            rows.skips.append(Skip(container_key=container.key, reason=reason, count=n))
        if stream:
            planned.append((container, stream))
    for team in plan.teams.values():
        mine = [(c, d) for c, d in planned if c.team is team]
        if mine:
            _team(rows, team, mine, accounts, margin, prep)
    for container, stream in planned:
        if container.kind == "chat":
            members = {accounts.id(d.author.target) for d in stream if d.author and d.author.target}
            members |= {accounts.id(t) for t in _member_targets(prep, container)}
            row = rows.container(key=container.key, kind="chat", name=container.name,
                                 planned_ms=stream[0].created_ms - margin,  # type: ignore[operator]
                                 detail=orjson.dumps({"members": sorted(members)}).decode())
            _posts(rows, row, stream, accounts)
    for channel, reason in plan.skipped:
        n = archive.message_count(channel.id)
        if n:
            rows.skips.append(Skip(container_key=f"source:{channel.id}", reason=reason, count=n))
    migration = migration_for(archive, plan, identity, mode)
    migration.unresolved = orjson.dumps(sorted(accounts.unresolved)).decode()
    return Frozen(migration, rows.containers, rows.files, rows.messages, rows.members, rows.skips)


def migration_for(archive: Archive, plan: TeamsPlan, identity: Identity, mode: str) -> Migration:
    """The ledger's migration row for this archive, plan and app: what a resume must match."""
    return Migration(
        target="teams",
        mode=mode,
        archive_id=archive.header.archive_id,
        archive_seal=archive.seal(),
        plan=plan_fingerprint(plan.common, plan.path, "teams", CONNECTION_KEYS),
        plan_path=str(plan.path.resolve()),
        owner=identity.app,
        tenant=identity.tenant,
        tool_version=version("rsemigrate"),
    )


def _member_targets(prep: Preparation, container: PlanContainer) -> set[str]:
    """Target accounts of the source channels' listed members (mapped people only)."""
    out: set[str] = set()
    for channel in container.sources:
        for user_id in channel.member_ids:
            who = prep.users.identity(user_id)
            if who.target and (container.kind == "chat" or who.mapped):
                out.add(who.target)
    return out


def _team(rows: _Rows, team: TeamTarget, mine: list[tuple[PlanContainer, list[Draft]]], accounts: Accounts,
          margin: int, prep: Preparation) -> None:
    starts = {c.key: d[0].created_ms - margin for c, d in mine}  # type: ignore[operator]
    detail = {"id": team.id, "description": team.description}
    parent = rows.container(
        key=f"team:{team.key}",
        kind="existing-team" if team.existing else "team",
        name=team.name,
        is_parent=True,
        planned_ms=None if team.existing else min(starts.values()),
        detail=orjson.dumps(detail).decode(),
    )
    if not team.existing and not any(c.kind == "general" for c, _ in mine):
        # General exists in every team and must be completed with the others, messages or not.
        rows.container(key=f"{team.key}/general", kind="general", name=GENERAL, parent_key=parent.key,
                       planned_ms=parent.planned_ms)
    members: dict[str, Member] = {}
    for container, stream in mine:
        row = rows.container(
            key=container.key,
            kind=container.kind,
            name=container.name,
            parent_key=parent.key,
            planned_ms=parent.planned_ms if container.kind == "general" else starts[container.key],
        )
        _posts(rows, row, stream, accounts)
        authors = {
            (d.author.target, d.author.name)
            for d in stream
            if d.author and d.author.mapped and d.author.target
        }
        authors |= {(t, t) for t in _member_targets(prep, container)}
        for target, name in sorted(authors):
            oid = accounts.id(target)
            members.setdefault(oid, Member(parent_key=parent.key, account=oid, name=name))
    if team.existing:
        return  # the import adds nobody to a team it did not create
    for owner in team.owners:
        oid = accounts.id(owner)
        members[oid] = Member(parent_key=parent.key, account=oid, name=owner, role="owner")
    rows.members.extend(members.values())


def _posts(rows: _Rows, container: Container, stream: list[Draft], accounts: Accounts) -> None:
    files: dict[str, File] = {}
    chat = container.kind == "chat"
    for seq, draft in enumerate(stream):
        assert draft.author is not None and draft.author.target and draft.created_ms is not None
        author = accounts.id(draft.author.target)
        payload = message_payload(draft, resolve=lambda who: accounts.id(who.target or ""))
        del payload["createdDateTime"]  # the ledger's created_ms is the one source of the time
        for ref in draft.files:
            att = ref.attachment
            if att.id in files:
                continue
            year = datetime.fromtimestamp(draft.created_ms / 1000, UTC).year
            name = safe_file_name(att.name or att.id)
            folder = "Microsoft Teams Chat Files/Imported" if chat else "Imported"
            files[att.id] = File(container_key=container.key, key=att.id, name=name, sha256=att.sha256 or "",
                                 size=att.size or 0, position=seq,
                                 path=f"{folder}/{year}/{safe_file_name(att.id)}-{name}",
                                 owner=author if chat else None)
        rows.messages.append(Message(
            container_key=container.key, seq=seq, key=draft.key, root_key=None if chat else draft.root_id,
            created_ms=draft.created_ms, author=author, author_name=draft.author.name,
            fallback=draft.author.method == "placeholder", payload=orjson.dumps(payload).decode(),
            payload_sha256=_sha(payload), content_hash=content_digest(payload["body"]["content"]),
            files=orjson.dumps([ref.attachment.id for ref in draft.files]).decode()))
    rows.files.extend(files.values())
