"""Fixtures for the Matrix target: archives built in tmp_path, plans, and one real Synapse per session.

The homeserver fixture installs Synapse if needed (tests/matrix/synapse.py), writes the appservice
registration with `rsemigrate matrix register` itself, starts Synapse on a free loopback port and
stops it by pid at the end of the session. `@ann:localhost` stands for an existing account: the
mapping CSV sends two source people to it, so they post through identity assertion.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import tomlkit

from connectors.matrix.appservice import read_tokens
from rsemigrate.archive.records import (
    Attachment,
    Body,
    Channel,
    Group,
    Mention,
    Message,
    Reaction,
    SourceInfo,
    User,
)
from rsemigrate.archive.timestamps import parse_timestamp
from rsemigrate.testing import archive_from_records, run_cli

from .synapse import SERVER_NAME, Homeserver, ensure_installed

ROOT = Path(__file__).resolve().parents[2]
EXISTING = f"@ann:{SERVER_NAME}"
#: source people (by id or email) who have an account on the homeserver already.
MAPPING = f"source,target\nu1,{EXISTING}\nann.smith@contoso.com,{EXISTING}\n"


def message(mid, channel="g1", thread=None, reply_to=None, author="u1", at="2020-01-01T10:00:00Z",
            text="hello", fmt="yammer-plain", **extra):
    return Message(id=mid, channel_id=channel, thread_id=thread or mid, author_id=author,
                   created_at=parse_timestamp(at), body=Body(fmt, text), text=text,
                   kind=extra.pop("kind", "reply" if reply_to else "post"), reply_to_id=reply_to, **extra)


def sample_records(extra=()):
    """Two communities, a DM, a mention, files (one missing, one image), reactions, a nested reply,
    an edit, and a message long enough to be split."""
    return [
        SourceInfo("memory", network_id="n1", network_name="Contoso"),
        User("u1", "Ann Martin", "ann@contoso.com"),
        User("u2", "Bob Durand", "bob@contoso.com"),
        User("u3", "Chloé Petit", None),
        Group("g1", "Engineering", description="Builders"),
        Group("g2", "Sécurité & Conformité"),
        Channel("g1", "feed", "Engineering", group_id="g1"),
        Channel("g2", "feed", "Sécurité & Conformité", group_id="g2"),
        Channel("dm-1", "direct", "Ann, Bob", private=True, member_ids=["u1", "u2"]),
        (
            Attachment(
                "file:1", "file", "present", "uploadedfile:1", name="plan.txt", media_type="text/plain"
            ),
            lambda: io.BytesIO(b"the plan"),
        ),
        (
            Attachment(
                "img:1", "image", "present", "uploadedfile:3", name="chart.png", media_type="image/png"
            ),
            lambda: io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(200)),
        ),
        Attachment("file:2", "file", "missing", "uploadedfile:2", name="lost.pdf"),
        message(
            "m1",
            text="Kick-off [[user:u2]] and [[user:u3]] <script>x</script>",
            attachment_ids=["file:1", "file:2"],
            mentions=[
                Mention("user", "[[user:u2]]", "u2", "Bob Durand"),
                Mention("user", "[[user:u3]]", "u3"),
            ],
            reactions=[Reaction("like", "u2"), Reaction("like", "u3"), Reaction("love", "u1")],
        ),
        message("m2", thread="m1", reply_to="m1", author="u2", at="2020-01-01T11:00:00Z", text="Welcome"),
        message(
            "m3",
            thread="m1",
            reply_to="m2",
            author="u3",
            at="2020-01-01T11:00:00Z",
            text="Merci",
            edited_at=parse_timestamp("2020-01-02T00:00:00Z"),
        ),
        message(
            "m4",
            thread="m1",
            reply_to="m1",
            author="u2",
            at="2020-01-01T12:00:00Z",
            text="",
            attachment_ids=["img:1"],
        ),
        message(
            "s1",
            channel="g2",
            author="u1",
            at="2020-02-01T09:00:00Z",
            text="Policy **update**",
            fmt="markdown",
        ),
        message(
            "long",
            channel="g2",
            author="u2",
            at="2020-02-02T09:00:00Z",
            text="\n\n".join(["un mot de plus " * 300] * 12),
        ),
        message("d1", channel="dm-1", at="2020-01-03T09:00:00+01:00", text="private"),
        message("d2", channel="dm-1", author="u2", at="2020-01-03T09:05:00+01:00", text="noted"),
        *extra,
    ]


@pytest.fixture
def build(tmp_path):
    """build(records=None, name="archive") -> path of a sealed archive made by the real exporter."""

    def make(records=None, name="archive"):
        return archive_from_records(tmp_path, sample_records() if records is None else records, name).path

    return make


cli = run_cli


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory):
    """A running Synapse with the appservice registered and one existing account (EXISTING)."""
    python = ensure_installed()
    folder = tmp_path_factory.mktemp("synapse")
    (folder / "users.csv").write_text(MAPPING, encoding="utf-8")
    bootstrap = folder / "bootstrap.toml"
    bootstrap.write_text(
        '[plan]\ntarget = "matrix"\n\n[matrix]\nserver_name = "localhost"\n'
        'registration = "registration.yaml"\n\n[users]\nmapping = "users.csv"\n',
        encoding="utf-8",
    )
    result = cli("matrix", "register", "--plan", bootstrap)
    assert result.exit_code == 0, result.output
    server = Homeserver(python, folder / "hs", folder / "registration.yaml")
    server.configure()
    server.start()
    try:
        token = read_tokens(server.registration).as_token
        made = httpx.post(
            f"{server.url}/_matrix/client/v3/register",
            headers={"Authorization": f"Bearer {token}"},
            json={"type": "m.login.application_service", "username": EXISTING[1:].split(":")[0]},
        )
        assert made.status_code == 200, made.text
        yield server
    finally:
        server.stop()


def plan_for(
    tmp_path: Path, archive: Path, server: Homeserver, *, edit=None, name: str = "plan.toml"
) -> Path:
    """`plan init --to matrix` for the archive, pointed at the test homeserver and its registration."""
    path = tmp_path / name
    result = cli("plan", "init", archive, "--to", "matrix", "-o", path, "--force")
    assert result.exit_code == 0, result.output
    (tmp_path / "users.csv").write_text(MAPPING, encoding="utf-8")
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["matrix"]["homeserver_url"] = server.url
    doc["matrix"]["registration"] = str(server.registration)
    doc["users"]["mapping"] = "users.csv"
    doc["rates"]["per_channel"], doc["rates"]["tenant"] = 1000.0, 1000.0
    if edit is not None:
        edit(doc)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def subprocess_cli(
    *args: object, crash: str | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run rsemigrate as a real process (so it can be killed with -9)."""
    env = {k: v for k, v in os.environ.items() if k != "RSEMIGRATE_CRASH_AT"}
    if crash:
        env["RSEMIGRATE_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "rsemigrate", *map(str, args)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
