"""A real Slack workspace export (shared/real-data): the report's counts against the source itself."""

from __future__ import annotations

import json
import zipfile
from collections import Counter

import orjson

from rsemigrate.testing import run_cli


def test_every_source_message_is_counted_in_its_channel(real_data, tmp_path):
    source = real_data / "slack-export-viewer-testarchive" / "testarchive.zip"
    archive = tmp_path / "archive"
    assert run_cli("export", "slack", source, "-o", archive).exit_code == 0
    out = tmp_path / "triage.json"
    result = run_cli("report", archive, "-o", out)
    assert result.exit_code == 0, result.output
    report = orjson.loads(out.read_bytes())
    in_source: Counter[str] = Counter()
    with zipfile.ZipFile(source) as zf:
        for name in zf.namelist():
            folder, _, day = name.partition("/")
            if day.endswith(".json"):
                in_source[f"testarchive / {folder}"] += len(json.loads(zf.read(name)))
    assert sum(in_source.values()) == 158  # the set's README
    counted = {c["name"]: c["messages"] + c["system_messages"] for c in report["communities"]}
    assert counted == dict(in_source)  # each channel is a community; the workspace is not
    network = report["network"]
    assert network["messages"] + network["system_messages"] == 158
    assert sum(m["messages"] for m in network["months"]) == network["messages"]
