"""`collect teams` (and `export teams` without SRC) against the Graph EMULATOR over real HTTP on
127.0.0.1, SEEDED with the bundled collection: what the collector saves exports to the same archive
as the bundled collection itself; paging, throttling, refusals, resuming and secrets."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from connectors.teams import connector
from connectors.teams.emulator import App, EmulatorConfig, GraphEmulator
from connectors.teams.source import wire
from connectors.teams.source.session import collect_with
from rsemigrate.errors import InputError
from rsemigrate.export.exporter import run_export
from rsemigrate.http import RemoteError, RetryPolicy

from .conftest import cli
from .test_teams_export import COUNTS, FIXTURE, REPORT
from .test_teams_reader import GENERAL, T1, T2

SECRET = "Tq8~s3cr3t.V4lue-only-the-token-endpoint-sees"
APP = App("6b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", SECRET)
USERS = "ann@contoso.com,bob@contoso.com"
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.05)
#: the bundled collection holds two unreadable items the emulator cannot serve (no id): not re-collected.
RECOLLECTED_REPORT = {k: v for k, v in REPORT.items() if k != "quarantined"}


class RecordingEmulator(GraphEmulator):
    """The emulator, keeping `METHOD path?query` of every request it answers."""

    def __init__(self, config: EmulatorConfig) -> None:
        super().__init__(config)
        self.seen: list[str] = []

    def _dispatch(self, request: Any, environ: dict[str, Any]) -> Any:
        self.seen.append(f"{request.method} {request.full_path.rstrip('?')}")
        return super()._dispatch(request, environ)


@contextmanager
def seeded(**config: Any) -> Iterator[RecordingEmulator]:
    settings = {"per_channel_rps": 0.0, "tenant_rps": 0.0, **config}
    emulator = RecordingEmulator(EmulatorConfig(content=[FIXTURE], apps=[APP], **settings))
    with emulator:
        yield emulator


def run(
    emulator: GraphEmulator, folder: Path, *, policy: RetryPolicy = FAST, **options: Any
) -> dict[str, int]:
    """`collect teams` of both teams and both users' chats, unpaced, as the CLI would call it."""
    settings = {
        "team": f"{T1},{T2}",
        "user": USERS,
        "tenant_id": emulator.tenant.id,
        "client_id": APP.client_id,
        "client_secret": SECRET,
        "graph_url": emulator.graph_url,
        "login_url": emulator.url,
        "rate": "0",
        **options,
    }
    return collect_with(folder, policy, **settings)


def exported(folder: Path, target: Path) -> dict[str, Any]:
    return asdict(run_export(connector, folder, target).counts)


def test_collecting_the_seeded_collection_exports_to_the_same_archive(tmp_path):
    with seeded() as emulator:
        counts = run(emulator, tmp_path / "collected")
    assert {k: v for k, v in counts.items() if k != "requests"} == {
        "teams": 2, "channels": 5, "chats": 3, "messages": 33, "inline images": 2, "files": 2, "refused": 4}
    assert exported(tmp_path / "collected", tmp_path / "archive") == {**COUNTS, "report": RECOLLECTED_REPORT}
    # every read asked for the newer enum members: the system events were saved as what they are
    saved = [m for page in (tmp_path / "collected").rglob("messages/page-*.json")
             for m in json.loads(page.read_text())["value"]]
    assert sum(m["messageType"] == "systemEventMessage" for m in saved) == 7
    assert not any(m["messageType"] == "unknownFutureValue" for m in saved)
    # each user is asked for what tells a guest or a suspended account: Graph's default answer lacks it
    user_reads = [r for r in emulator.seen if re.match(r"GET /v1\.0/users/[^/?]+\?", r)]
    assert len(user_reads) == 2
    assert all({"accountEnabled", "userType", "department"} <= set(r.split("$select=")[1].split(","))
               for r in user_reads)


def test_pages_follow_odata_next_link_and_replies_beyond_the_expansion(tmp_path, monkeypatch):
    monkeypatch.setattr(wire, "TOP", 3)
    with seeded(expanded_replies=2) as emulator:
        run(emulator, tmp_path / "c")
    general = tmp_path / "c" / wire.Conversation.channel(T1, GENERAL).folder
    pages = [json.loads(p.read_text()) for p in sorted((general / "messages").glob("page-*.json"))]
    assert [len(p["value"]) for p in pages] == [3, 3, 2]
    assert ["@odata.nextLink" in p for p in pages] == [True, True, False]
    assert "$expand=replies" in pages[0]["@odata.nextLink"]
    kickoff = pages[0]["value"][0]
    assert len(kickoff["replies"]) == 2 and "replies@odata.nextLink" in kickoff
    replies = [
        json.loads(p.read_text()) for p in sorted((general / "replies" / kickoff["id"]).glob("page-*.json"))
    ]
    assert [len(p["value"]) for p in replies] == [3, 1]  # all four, from the start
    assert sorted(p.name for p in (general / "replies").iterdir()) == [kickoff["id"]]  # only where cut
    assert exported(tmp_path / "c", tmp_path / "archive")["messages"] == COUNTS["messages"]


def test_throttling_is_retried_after_retry_after(tmp_path):
    with seeded(per_channel_rps=2.0, tenant_rps=0.0) as emulator:
        counts = run(emulator, tmp_path / "c", policy=RetryPolicy(attempts=8, backoff=0.1, max_wait=2.0))
        refused = emulator.throttle.refused
    assert refused > 0 and counts["messages"] == 33


def test_paced_at_the_documented_rate_graph_never_throttles(tmp_path):
    with seeded(per_channel_rps=4.0, tenant_rps=20.0) as emulator:
        run(emulator, tmp_path / "c", rate="4", team=T2, user="")
        assert emulator.throttle.refused == 0


def test_an_interrupted_collection_resumes_without_fetching_anything_again(tmp_path):
    folder = tmp_path / "c"
    with seeded() as emulator:
        emulator.faults.add(r"GET ^/v1\.0/chats/[^/]+/messages$ 503 times=unlimited retry_after=0")
        with pytest.raises(RemoteError, match="run the same command again and the collection resumes"):
            run(emulator, folder)
        first = list(emulator.seen)
        emulator.faults.clear()
        emulator.seen.clear()
        run(emulator, folder)
        second = emulator.seen
    state = json.loads((folder / "collect.json").read_text())
    assert state["resumed"] == 1 and state["finished_at"]
    downloads = [r for r in first if "/$value" in r or "/shares/" in r or "/_files/" in r]
    assert (
        len(downloads) == 6
    )  # the teams': two inline images (one refused), three files looked up, one fetched
    assert not set(downloads) & set(second)  # nothing downloaded twice
    assert not any(f"/teams/{T1}" in r or f"/teams/{T2}" in r for r in second)  # teams were done
    assert all(
        any(part in r for part in ("/oauth2/", "/chats", "/users/", "/shares/", "/_files/")) for r in second
    )
    assert exported(folder, tmp_path / "archive") == {**COUNTS, "report": RECOLLECTED_REPORT}


def test_a_saved_link_graph_no_longer_takes_starts_that_listing_over(tmp_path, monkeypatch):
    monkeypatch.setattr(wire, "TOP", 3)
    folder = tmp_path / "c"
    with seeded() as emulator:
        run(emulator, folder)
        general = folder / wire.Conversation.channel(T1, GENERAL).messages
        first = json.loads((general / "page-0001.json").read_text())
        first["@odata.nextLink"] = first["@odata.nextLink"].replace("$skiptoken=3", "$skiptoken=expired")
        (general / "page-0001.json").write_text(json.dumps(first))
        for later in ("page-0002.json", "page-0003.json"):
            (general / later).unlink()
        state = json.loads((folder / "collect.json").read_text())
        (folder / "collect.json").write_text(json.dumps({**state, "finished_at": None}))
        emulator.seen.clear()
        run(emulator, folder)
        asked = [r for r in emulator.seen if "/messages?" in r and GENERAL.split(":")[1][:8] in r]
    assert any("expired" in r for r in asked) and any("$skiptoken" not in r for r in asked)
    assert sorted(p.name for p in general.glob("page-*.json")) == [
        "page-0001.json",
        "page-0002.json",
        "page-0003.json",
    ]
    assert exported(folder, tmp_path / "archive")["messages"] == COUNTS["messages"]


def test_with_files_links_no_drive_file_is_fetched(tmp_path):
    with seeded() as emulator:
        run(emulator, tmp_path / "c", files="links")
        assert not [r for r in emulator.seen if "/shares/" in r or "/_files/" in r]
    counts = exported(tmp_path / "c", tmp_path / "archive")
    assert counts["attachments"] == 8 and counts["report"] == {"degraded": 3, "skipped": 1}  # Erin, R4, HC2


def test_a_team_the_app_cannot_see_is_recorded_and_the_walk_goes_on(tmp_path):
    unknown = "00000000-dead-4bad-8bad-000000000000"
    with seeded() as emulator:
        counts = run(emulator, tmp_path / "c", team=f"{unknown},{T2}", user="")
    refused = json.loads((tmp_path / "c" / wire.team_folder(unknown) / wire.REFUSED).read_text())
    assert refused["status"] == 404 and counts["teams"] == 1
    assert exported(tmp_path / "c", tmp_path / "archive")["report"] == {"skipped": 1}


def test_the_secret_and_download_links_are_never_saved(tmp_path):
    with seeded() as emulator:
        run(emulator, tmp_path / "c")
    saved = b"".join(p.read_bytes() for p in (tmp_path / "c").rglob("*") if p.is_file())
    assert SECRET.encode() not in saved
    assert b"tempauth" not in saved and wire.DOWNLOAD_URL.encode() not in saved


def test_a_wrong_secret_is_a_clear_error_that_does_not_show_it_and_writes_nothing(tmp_path):
    with seeded() as emulator, pytest.raises(InputError, match="invalid_client") as caught:
        run(emulator, tmp_path / "c", client_secret="wrong-secret-value")
    assert "wrong-secret-value" not in str(caught.value)
    assert not (tmp_path / "c").exists()


def test_a_folder_holding_another_request_is_refused(tmp_path):
    with seeded() as emulator:
        run(emulator, tmp_path / "c", team=T2, user="")
        with pytest.raises(InputError, match="holds a collection of another request"):
            run(emulator, tmp_path / "c", team=T1, user="")


@pytest.mark.parametrize(("options", "message"), [
    ({"team": "", "user": ""}, "nothing to collect"),
    ({"client_secret": None}, "needs the app's secret"),
    ({"files": "all"}, "--files must be one of download, links"),
    ({"rate": "fast"}, "--rate must be a number"),
])
def test_bad_options_are_clear_errors(tmp_path, options, message):
    with seeded() as emulator, pytest.raises(InputError, match=message):
        run(emulator, tmp_path / "c", **options)
    assert not (tmp_path / "c").exists()


def command_line(emulator: GraphEmulator, secret_file: Path) -> list[object]:
    return ["--team", f"{T1},{T2}", "--user", USERS, "--tenant-id", emulator.tenant.id, "--client-id",
            APP.client_id, "--client-secret-file", secret_file, "--graph-url", emulator.graph_url,
            "--login-url", emulator.url, "--rate", "0"]


def test_export_without_src_collects_beside_the_archive_then_exports(tmp_path):
    (tmp_path / "secret").write_text(SECRET + "\n")
    with seeded() as emulator:
        options = command_line(emulator, tmp_path / "secret")
        result = cli("export", "teams", *options, "-o", tmp_path / "archive", "--json")
        assert result.exit_code == 0, result.output
        shutil.copytree(tmp_path / "archive", tmp_path / "first")
        shutil.rmtree(tmp_path / "archive")  # as if the export had died after the collection
        asked = len(emulator.seen)
        again = cli("export", "teams", *options, "-o", tmp_path / "archive")
        assert len(emulator.seen) == asked  # the finished collection is read again, Graph is not
    answer = json.loads(result.output)
    assert answer["collection"] == str(tmp_path / "archive.teams-collection")
    assert (
        answer["counts"] == {**COUNTS, "report": RECOLLECTED_REPORT} and answer["collected"]["messages"] == 33
    )
    assert again.exit_code == 0 and "Collected into" in again.output and SECRET not in again.output
    assert cli("validate", tmp_path / "archive").exit_code == 0
    assert cli("verify", tmp_path / "archive").exit_code == 0
    refused = cli("export", "teams", *options, "-o", tmp_path / "first")
    assert refused.exit_code == 2 and "already exists" in refused.output


def test_collect_teams_saves_the_layout_the_export_reads(tmp_path):
    (tmp_path / "secret").write_text(SECRET)
    with seeded() as emulator:
        result = cli(
            "collect", "teams", "-o", tmp_path / "c", *command_line(emulator, tmp_path / "secret"), "--json"
        )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["messages"] == 33
    assert cli("export", "teams", tmp_path / "c", "-o", tmp_path / "archive").exit_code == 0


def test_src_and_collect_options_together_are_a_usage_error(tmp_path):
    result = cli("export", "teams", FIXTURE, "--team", T1, "-o", tmp_path / "archive")
    assert result.exit_code == 2 and "collect options are for an export without SRC" in result.output


@pytest.mark.slow
def test_a_rehearsal_against_the_emulator_command_seeded_with_a_collection(tmp_path):
    """`rsemigrate teams emulator --content FOLDER` as an admin runs it, then `export teams` against it."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rsemigrate",
            "teams",
            "emulator",
            "--port",
            "0",
            "--quiet",
            "--content",
            str(FIXTURE),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "RSEMIGRATE_TEAMS_CLIENT_SECRET"}
        | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = [proc.stdout.readline() for _ in range(2)]  # type: ignore[union-attr]
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0])
        assert url and "seeded: 2 teams, 3 chats, 3 drive files" in lines[1], lines
        (tmp_path / "secret").write_text("emulator-secret")
        result = cli(
            "export",
            "teams",
            "--team",
            T2,
            "--tenant-id",
            "11111111-1111-1111-1111-111111111111",
            "--client-id",
            "00000000-0000-0000-0000-0000000e0a11",
            "--client-secret-file",
            tmp_path / "secret",
            "--graph-url",
            f"{url[1]}/v1.0",
            "--login-url",
            url[1],
            "-o",
            tmp_path / "archive",
            "--json",
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["messages"] == 3  # Sales: a join, a post, a reply
