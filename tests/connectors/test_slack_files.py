"""File downloads with a token, against the local files.slack.com EMULATOR (connectors/slack/emulator.py)
over real HTTP on 127.0.0.1: the file, the sign-in page, refusals, Retry-After, where the token goes."""

from pathlib import Path

import pytest

from connectors.slack.emulator import FilesEmulator
from connectors.slack.files import Downloader, SlackFiles
from rsemigrate.archive.bag import BagWriter
from rsemigrate.archive.reader import FileStore
from rsemigrate.export.sources import open_source
from rsemigrate.http import RetryPolicy

TOKEN = "xoxp-test-9999"
URL = "https://files.slack.com/files-pri/T0NW1-{}/download/{}"
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=2.0)


@pytest.fixture
def store(tmp_path: Path):
    writer = BagWriter(tmp_path / "bag")
    yield FileStore(writer)
    writer.abort()


def fetch(base: str, file_id: str, store: FileStore, expected: str = "application/pdf", token: str = TOKEN):
    downloader = Downloader(token, base, FAST)
    try:
        return downloader.fetch(URL.format(file_id, "f.pdf"), expected, store)
    finally:
        downloader.close()


def test_200_with_the_bearer_token_stores_the_file(store):
    with FilesEmulator(TOKEN, {"F1": b"%PDF real"}) as base:
        outcome = fetch(base, "F1", store)
    assert isinstance(outcome, tuple) and outcome[1] == 9


def test_302_to_the_html_signin_page_is_refused_not_stored(store, tmp_path):
    emulator = FilesEmulator("xoxp-the-right-one", {"F1": b"%PDF real"})
    with emulator as base:
        outcome = fetch(base, "F1", store)  # a wrong token: Slack redirects to its sign-in page
    assert isinstance(outcome, str) and "HTML page" in outcome
    assert [path for path, _ in emulator.requests] == ["/files-pri/T0NW1-F1/download/f.pdf", "/signin"]
    assert not list((tmp_path / "bag").rglob("??/*"))  # nothing stored


def test_a_200_signin_page_is_refused_too(store):
    with FilesEmulator(TOKEN, {"F1": b"%PDF"}, signin={"F1"}) as base:
        assert "refused" in fetch(base, "F1", store)


def test_an_html_file_that_is_really_html_is_kept(store):
    with FilesEmulator(TOKEN, {"F1": b"<!DOCTYPE html><p>minutes</p>"}) as base:
        assert isinstance(fetch(base, "F1", store, expected="text/html"), tuple)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refusals_are_reported_with_their_status(store, status):
    with FilesEmulator(TOKEN, {}, statuses={"F1": status}) as base:
        assert fetch(base, "F1", store) == f"download refused: HTTP {status}"


def test_429_is_retried_after_retry_after(store):
    emulator = FilesEmulator(TOKEN, {"F1": b"data"}, throttle={"F1": 2}, retry_after=1)
    with emulator as base:
        outcome = fetch(base, "F1", store)
    assert isinstance(outcome, tuple)
    assert len(emulator.requests) == 3


def test_429_that_outlasts_the_retries_is_a_refusal(store):
    with FilesEmulator(TOKEN, {"F1": b"data"}, throttle={"F1": 5}, retry_after=0) as base:
        assert fetch(base, "F1", store) == "download refused: HTTP 429"


def test_the_token_is_never_sent_to_another_host(store):
    downloader = Downloader(TOKEN, "http://127.0.0.1:9", FAST)
    outcome = downloader.fetch("https://evil.example/files-pri/T-F1/x.pdf", None, store)
    downloader.close()
    assert "not files.slack.com" in outcome  # refused before any request


def test_the_token_goes_only_in_the_authorization_header(store):
    emulator = FilesEmulator(TOKEN, {"F1": b"x"})
    with emulator as base:
        fetch(base, "F1", store)
    assert emulator.requests == [("/files-pri/T0NW1-F1/download/f.pdf", f"Bearer {TOKEN}")]


def test_a_failed_download_is_missing_with_a_report_entry_naming_no_token(tmp_path, store):
    (tmp_path / "export").mkdir()
    with open_source(tmp_path / "export") as tree, FilesEmulator(TOKEN, {}, statuses={"F1": 403}) as base:
        files = SlackFiles(tree, {}, store, Downloader(TOKEN, base, FAST))
        records = list(
            files.announce(
                {
                    "id": "F1",
                    "name": "a.pdf",
                    "mimetype": "application/pdf",
                    "url_private_download": URL.format("F1", "a.pdf"),
                },
                "c/2024-01-01.json record 1",
            )
        )
    entry, attachment = records
    assert (attachment.status, entry.action, entry.reason) == (
        "missing",
        "degraded",
        "download refused: HTTP 403",
    )
    assert TOKEN not in repr(records)


def test_retry_after_in_seconds_or_as_an_http_date():
    import httpx

    from rsemigrate.http import retry_after

    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(httpx.Response(429)) is None


def test_messages_never_hold_the_token_or_an_access_token_parameter():
    from rsemigrate.http import redact, without_params

    text = f"GET https://g.example/x?access_token=abc&after=1 failed for {TOKEN}"
    assert redact(text, TOKEN) == "GET https://g.example/x?access_token=REDACTED&after=1 failed for REDACTED"
    assert (
        without_params("https://g.example/x?access_token=abc&after=1", "access_token")
        == "https://g.example/x?after=1"
    )
