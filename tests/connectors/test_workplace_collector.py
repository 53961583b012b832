"""`collect workplace` against the local Graph EMULATOR (connectors/workplace/emulator.py) over real
HTTP on 127.0.0.1, serving the sample collection: collector and reader agree on the format."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.workplace import connector
from connectors.workplace.collector import run_collect, throttled
from connectors.workplace.emulator import GraphEmulator
from rsemigrate.archive import Archive
from rsemigrate.cli import main
from rsemigrate.errors import InputError
from rsemigrate.export.exporter import run_export
from rsemigrate.http import Client, RemoteError, RetryPolicy

from .test_workplace_export import COUNTS, FIXTURE, REPORT

TOKEN = "DQVJtest-workplace-token-0123456789"
FAST = RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05)


def collect(url: str, folder: Path, page_size: int = 2, token: str = TOKEN) -> dict[str, int]:
    with Client(url, token, throttled=throttled, retry=FAST) as client:
        return run_collect(folder, client, page_size)


def test_collecting_from_the_emulator_and_exporting_gives_the_same_archive_counts(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url:
        counts = collect(url, tmp_path / "collected")
    assert counts == {"members": 6, "groups": 4, "posts": 8, "comments": 6, "reactions": 4, "media files": 3,
                      "media failed": 2, "skipped": 1}
    info = run_export(connector, tmp_path / "collected", tmp_path / "archive")
    assert {k: v for k, v in asdict(info.counts).items() if k != "report"} == COUNTS
    assert info.counts.report == REPORT


def test_pages_are_saved_one_file_per_answer_as_graph_pages(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url:
        collect(url, tmp_path / "c", page_size=2)
    members = sorted((tmp_path / "c" / "members").glob("page-*.json"))
    assert [p.name for p in members] == ["page-0001.json", "page-0002.json", "page-0003.json"]
    first = json.loads(members[0].read_text())
    assert len(first["data"]) == 2 and set(first["paging"]) == {"cursors", "next"}
    assert "access_token=REDACTED" in first["paging"]["next"]


def test_the_token_is_never_saved_and_only_sent_to_the_graph_host(tmp_path):
    emulator = GraphEmulator(FIXTURE, TOKEN)
    with emulator as url:
        collect(url, tmp_path / "c")
    saved = b"".join(p.read_bytes() for p in (tmp_path / "c").rglob("*") if p.is_file())
    assert TOKEN.encode() not in saved
    graph = [r for r in emulator.requests if r[0] == "graph"]
    assert all(auth == f"Bearer {TOKEN}" and TOKEN not in path for _, path, auth in graph)
    assert all(auth is None for server, _, auth in emulator.requests if server == "cdn")


@pytest.mark.parametrize("code", [4, 17, 32, 613, 429])
def test_throttling_answers_are_retried(tmp_path, code):
    emulator = GraphEmulator(FIXTURE, TOKEN, throttle={1: code, 3: code, 4: code}, retry_after=0)
    with emulator as url:
        counts = collect(url, tmp_path / "c")
    assert counts["posts"] == 8
    assert emulator.requests[0][1] == emulator.requests[1][1]  # the throttled request, asked again


def test_throttling_that_never_ends_stops_the_run_and_leaves_nothing(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN, throttle={n: 613 for n in range(1, 10)}) as url, \
            pytest.raises(RemoteError, match="code 613"):
        collect(url, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_token_stops_the_run_with_a_message_without_the_token(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url, \
            pytest.raises(RemoteError, match="access token was refused") as caught:
        collect(url, tmp_path / "c", token="wrong-token-value")
    assert "wrong-token-value" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_group_the_token_may_not_read_is_recorded_and_the_walk_goes_on(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url:
        collect(url, tmp_path / "c")
    skipped = json.loads((tmp_path / "c" / "collect.json").read_text())["skipped"]
    assert [(s["kind"], s["id"]) for s in skipped] == [("group", "10000000000000105")]
    assert "code 10" in skipped[0]["error"]


def test_expired_media_urls_are_listed_and_read_as_missing(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url:
        collect(url, tmp_path / "c")
    failed = json.loads((tmp_path / "c" / "collect.json").read_text())["media_failed"]
    assert sorted(f["key"] for f in failed) == ["40000000000000002", "40000000000000003"]
    assert sorted(p.name for p in (tmp_path / "c" / "groups").glob("*/media/*")) == [
        "40000000000000001.jpg", "40000000000000004.jpg", "60000000000000001.mp4"]


def test_collecting_into_an_existing_folder_is_refused(tmp_path):
    (tmp_path / "c").mkdir()
    with pytest.raises(InputError, match="already exists"):
        collect("http://127.0.0.1:9", tmp_path / "c")


def test_the_command_line_reads_the_token_from_a_file_or_the_environment(tmp_path):
    (tmp_path / "token").write_text(TOKEN + "\n")
    with GraphEmulator(FIXTURE, TOKEN) as url:
        by_file = CliRunner().invoke(
            main,
            [
                "collect",
                "workplace",
                "-o",
                str(tmp_path / "a"),
                "--graph-url",
                url,
                "--token-file",
                str(tmp_path / "token"),
                "--json",
            ],
        )
        by_env = CliRunner().invoke(
            main,
            ["collect", "workplace", "-o", str(tmp_path / "b"), "--graph-url", url],
            env={"WORKPLACE_TOKEN": TOKEN},
        )
    assert by_file.exit_code == 0, by_file.output
    assert json.loads(by_file.output)["counts"]["posts"] == 8
    assert by_env.exit_code == 0 and "8 posts" in by_env.output and TOKEN not in by_env.output


def test_the_command_line_without_a_token_or_with_a_bad_page_size_exits_2(tmp_path):
    assert (
        CliRunner().invoke(main, ["collect", "workplace", "-o", str(tmp_path / "a")], env={}).exit_code == 2
    )
    result = CliRunner().invoke(main, ["collect", "workplace", "-o", str(tmp_path / "a"), "--token", "t",
                                       "--page-size", "9000"])
    assert result.exit_code == 2 and "between 1 and 500" in result.output


def test_comment_lists_are_followed_page_by_page_so_no_thread_is_incomplete(tmp_path):
    with GraphEmulator(FIXTURE, TOKEN) as url:
        collect(url, tmp_path / "c", page_size=1)
    paged = [f for f in (tmp_path / "c").rglob("comments/*") if len(list(f.glob("page-*.json"))) > 1]
    assert paged  # a post with more comments than a page holds
    info = run_export(connector, tmp_path / "c", tmp_path / "archive")
    assert info.counts.messages == COUNTS["messages"]
    assert not [e for e in Archive(tmp_path / "archive").report() if "incomplete thread" in e.reason]
