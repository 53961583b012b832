"""Helpers for the import tests: an emulated tenant for an archive, a plan pointed at it, the import
run in-process or as a real subprocess, and the content planned vs the content the emulator holds."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner

from connectors.teams.emulator import EmulatorConfig, GraphEmulator, User
from connectors.teams.emulator.state import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from connectors.teams.guests import unresolved_from_start
from connectors.teams.plan import load_plan
from connectors.teams.prepare import drafts, prepare
from connectors.teams.render import content_digest
from rsemigrate.archive.reader import Archive
from rsemigrate.archive.records import Attachment
from rsemigrate.cli import main
from rsemigrate.testing import run_cli
from transforms.identities import UserMap, user_mapping

from .conftest import message, sample_records

#: msgraph's builders warn about their own deprecated classes on every call (msgraph-sdk-python#812).
QUIET_SDK = pytest.mark.filterwarnings("ignore::DeprecationWarning:(msgraph|kiota_abstractions)")
SECRET_ENV = {"RSEMIGRATE_TEAMS_CLIENT_SECRET": DEFAULT_SECRET}
ROOT = Path(__file__).resolve().parents[2]


def tenant_users(archive: Path, placeholder: str = "migration.placeholder@contoso.com") -> list[User]:
    users = {u.email.lower(): User.make(u.email, u.name) for u in Archive(archive).users() if u.email}
    users.setdefault(placeholder, User.make(placeholder, "Migration"))
    return list(users.values())


def emulator_for(archive: Path, **config: object) -> GraphEmulator:
    """An emulator whose tenant has every archive email and the placeholder; no throttling unless asked."""
    settings: dict[str, object] = {"per_channel_rps": 0, "tenant_rps": 0, "seed": None}
    settings.update(config)
    return GraphEmulator(EmulatorConfig(users=tenant_users(archive), **settings))  # type: ignore[arg-type]


def plan_for(tmp_path: Path, archive: Path, emulator: GraphEmulator, *, client_id: str = DEFAULT_CLIENT_ID,
             edit=None, name: str = "plan.toml") -> Path:
    """`plan init` for the archive, pointed at the emulator, unthrottled on our side; `edit(doc)`
    may change it."""
    path = tmp_path / name
    result = CliRunner().invoke(main, ["plan", "init", str(archive), "--to", "teams", "-o", str(path),
                                       "--placeholder", "migration.placeholder@contoso.com", "--force"])
    assert result.exit_code == 0, result.output
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    teams = doc["teams"]
    teams["graph_url"], teams["login_url"] = emulator.graph_url, emulator.url
    teams["tenant_id"], teams["client_id"] = emulator.tenant.id, client_id
    doc["rates"]["per_channel"], doc["rates"]["tenant"] = 1000.0, 1000.0
    for limit in ("per_team_rps", "channel_posts_rps", "chat_posts_rps", "team_creates_rps",
                  "teams_calls_rps"):
        teams[limit] = 1000.0
    if edit is not None:
        edit(doc)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def cli(*args: object, env: dict[str, str] | None = None):
    return run_cli(*args, env=SECRET_ENV | (env or {}))


def subprocess_cli(
    *args: object, crash: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run rsemigrate as a real process (so it can be killed with -9), with the emulator's secret."""
    env = {k: v for k, v in os.environ.items() if k != "RSEMIGRATE_CRASH_AT"} | SECRET_ENV
    if crash:
        env["RSEMIGRATE_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "rsemigrate", *map(str, args)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def planned_content(
    archive_path: Path, plan_path: Path, emulator: GraphEmulator
) -> Counter[tuple[str, int, str, str]]:
    """(conversation, createdDateTime ms, author object id, body digest) of every planned post."""
    archive = Archive(archive_path)
    plan = load_plan(plan_path, archive)
    # authors from outside the tenant post as the placeholder (the plan's default), as in the import
    early = unresolved_from_start(plan, UserMap(archive.users(), user_mapping(plan.common)))
    prep = prepare(archive, plan, user_mapping(plan.common, early))
    out: Counter[tuple[str, int, str, str]] = Counter()
    for container in plan.containers:
        label = f"{container.team.name}/{container.name}" if container.team else container.name
        for d in drafts(prep, container):
            author = emulator.tenant.find_user(d.author.target)
            out[(label, d.created_ms, author.id, content_digest(d.html))] += 1
    return out


def target_content(emulator: GraphEmulator) -> Counter[tuple[str, int, str, str]]:
    """The same tuples for everything the emulated tenant holds (duplicates counted)."""
    state = emulator.tenant.snapshot()
    out: Counter[tuple[str, int, str, str]] = Counter()
    conversations = [
        (f"{t['displayName']}/{c['displayName']}", c) for t in state["teams"] for c in t["channels"]
    ]
    conversations += [(c["topic"], c) for c in state["chats"]]
    for label, conv in conversations:
        for m in conv["messages"]:
            p = m["payload"]
            out[(label, m["createdMs"], p["from"]["user"]["id"], content_digest(p["body"]["content"]))] += 1
    return out


def crash_records() -> list:
    """The sample archive plus enough to reach every crash point: more posts, a split post, a file
    large enough for an upload session."""
    big = Attachment("file:big", "file", "present", "uploadedfile:big", name="big report.bin")
    extra = [
        (big, lambda: io.BytesIO(bytes(range(256)) * 20_000)),
        message(
            "big", channel="g2", at="2020-02-03T10:00:00Z", text="the big report", attachment_ids=["file:big"]
        ),
        message(
            "long", channel="g2", at="2020-02-04T10:00:00Z", text="\n\n".join(["un mot de plus " * 200] * 12)
        ),
    ]
    extra += [message(f"f{i}", channel="g1", thread="m1", reply_to="m1", author=("u1", "u2")[i % 2],
                      at=f"2020-01-0{2 + i // 10}T1{i % 10}:00:00Z", text=f"filler {i}") for i in range(20)]
    return sample_records(extra)


def into_one_team(doc) -> None:
    """Plan edit: community g2 becomes a new channel of g1's team (so a channel is created)."""
    doc["destination"]["g2"]["team"] = next(k for k in doc["team"] if doc["team"][k]["name"] == "Engineering")
    doc["destination"]["g2"]["channel"] = "Conformité"
