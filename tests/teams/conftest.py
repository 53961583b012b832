"""Fixtures for the Teams target: archives built in tmp_path, plans, and a live Graph emulator."""

from __future__ import annotations

import io

import httpx
import pytest

from connectors.teams.emulator import EmulatorConfig, GraphEmulator, User
from connectors.teams.emulator.state import DEFAULT_CLIENT_ID, DEFAULT_SECRET
from rsemigrate.archive.records import (
    Attachment,
    Body,
    Channel,
    Group,
    Mention,
    Message,
    Reaction,
    SourceInfo,
)
from rsemigrate.archive.records import User as SourceUser
from rsemigrate.archive.timestamps import parse_timestamp
from rsemigrate.testing import archive_from_records, run_cli

TENANT_USERS = [User.make("ann@contoso.com", "Ann Martin"), User.make("bob@contoso.com", "Bob Durand"),
                User.make("migration.placeholder@contoso.com", "Migration")]


def message(mid, channel="g1", thread=None, reply_to=None, author="u1", at="2020-01-01T10:00:00Z",
            text="hello", fmt="yammer-plain", **extra):
    return Message(id=mid, channel_id=channel, thread_id=thread or mid, author_id=author,
                   created_at=parse_timestamp(at), body=Body(fmt, text), text=text,
                   kind=extra.pop("kind", "reply" if reply_to else "post"), reply_to_id=reply_to, **extra)


def sample_records(extra=()):
    """Two communities, a DM, mentions, files (one missing), reactions, a thread with replies."""
    return [
        SourceInfo("memory", network_id="n1", network_name="Contoso"),
        SourceUser("u1", "Ann Martin", "ann@contoso.com"),
        SourceUser("u2", "Bob Durand", "bob@contoso.com"),
        SourceUser("u3", "Chloé Petit", None),
        Group("g1", "Engineering", description="Builders"),
        Group("g2", "Sécurité & Conformité"),
        Channel("g1", "feed", "Engineering", group_id="g1"),
        Channel("g2", "feed", "Sécurité & Conformité", group_id="g2"),
        Channel("dm-1", "direct", "Ann, Bob", private=True, member_ids=["u1", "u2"]),
        (
            Attachment("file:1", "file", "present", "uploadedfile:1", name="plan.txt"),
            lambda: io.BytesIO(b"the plan"),
        ),
        Attachment("file:2", "file", "missing", "uploadedfile:2", name="lost.pdf"),
        Attachment("link:1", "link", "external", "og:1", name="Example", url="https://example.com"),
        message(
            "m1",
            text="Kick-off [[user:u2]] and [[user:u3]]",
            attachment_ids=["file:1", "file:2", "link:1"],
            mentions=[Mention("user", "[[user:u2]]", "u2", "Bob Durand")],
            reactions=[Reaction("like", "u2"), Reaction("like", "u3")],
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
        message("s1", channel="g2", author="u1", at="2020-02-01T09:00:00Z", text="Policy **update**"),
        message("d1", channel="dm-1", at="2020-01-03T09:00:00+01:00", text="private"),
        *extra,
    ]


@pytest.fixture
def build(tmp_path):
    """build(records=None, name="archive") -> path of a sealed archive made by the real exporter."""

    def make(records=None, name="archive"):
        return archive_from_records(tmp_path, sample_records() if records is None else records, name).path

    return make


cli = run_cli


@pytest.fixture
def init_plan(tmp_path):
    """init_plan(archive, *extra_args) -> path of the plan `plan init` wrote."""

    def make(archive, *args, name="plan.toml"):
        path = tmp_path / name
        result = cli("plan", "init", archive, "--to", "teams", "-o", path, *args)
        assert result.exit_code == 0, result.output
        return path

    return make


class Clock:
    """A settable clock for the emulator (throttling and 'in the future' checks)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def emulator(clock):
    """A started emulator on 127.0.0.1 (ephemeral port), throttling off unless a test turns it on."""
    emu = GraphEmulator(
        EmulatorConfig(users=list(TENANT_USERS), per_channel_rps=0, tenant_rps=0, clock=clock)
    )
    with emu:
        yield emu


def token_for(emu, client_id=DEFAULT_CLIENT_ID, secret=DEFAULT_SECRET):
    r = httpx.post(
        emu.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def graph(emulator):
    with httpx.Client(base_url=emulator.graph_url,
                      headers={"Authorization": f"Bearer {token_for(emulator)}"}) as client:
        yield client
