"""A real export (a 2014 Graph API page feed, laid out as a Workplace collection) in the viewer:
every message the archive holds is on its thread page, with its text, likes and comments."""

from __future__ import annotations

from bs4 import BeautifulSoup
from werkzeug.test import Client

from rsemigrate.archive import Archive
from rsemigrate.export.exporter import run_export
from rsemigrate.registry import source_connector

from .conftest import make_viewer


def test_every_message_of_a_real_export_reads_in_its_thread(real_data, tmp_path):
    archive = run_export(source_connector("workplace"), real_data / "fb-graph-feed-2014" / "collection",
                         tmp_path / "fb-feed").path
    messages = list(Archive(archive).messages())
    assert len(messages) > 10
    client = Client(make_viewer([archive], tmp_path / "log.jsonl"))
    pages: dict[str, BeautifulSoup] = {}
    for message in messages:
        if message.thread_id not in pages:
            response = client.get(f"/t/{message.thread_id}")
            assert response.status_code == 200, message.thread_id
            pages[message.thread_id] = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        shown = pages[message.thread_id].find(id=f"m-{message.id}")
        assert shown is not None, f"message {message.id} missing from thread {message.thread_id}"
        text = " ".join(shown.find(class_="body").get_text().split())
        for word in message.text.split()[:12]:
            if word.startswith("http"):  # links are shown as their text, which a sanitizer may re-wrap
                continue
            assert word in text, (message.id, word, text)
        if message.reactions:
            counts = [int(r.get_text().split()[-1]) for r in shown.find_all(class_="reaction")]
            assert sum(counts) == len(message.reactions), message.id
    threads = {m.thread_id for m in messages}
    assert len(pages) == len(threads)
