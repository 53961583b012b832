"""The checker reproduces Relativity's documented outcome on each of Relativity's own sample files
(../shared/rsmf/SOURCE.md), so it is shown to fail where Relativity's validator fails."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from email import message_from_bytes
from email.policy import default

from rsemigrate.produce import Finding, check_manifest, check_rsmf, check_zip, outcome
from tests.produce.conftest import RSMF, schema_errors

SAMPLES = RSMF / "samples"


def validate(manifest: dict, zip_files: set[str] | None = None) -> tuple[str, set[str]]:
    """Relativity's order: a schema violation fails the file and hides the other findings."""
    errors = schema_errors(manifest, strict=False)
    if errors:
        return "Failed", {"ManifestSchemaViolation"}
    findings = check_manifest(manifest, zip_files)
    return outcome(findings), {f.code for f in findings}


def test_sample1_fails_a_participant_without_id():
    manifest = json.loads((SAMPLES / "sample1_rsmf_manifest.json").read_text())
    assert validate(manifest) == ("Failed", {"ManifestSchemaViolation"})
    assert any("'id' is a required property" in e for e in schema_errors(manifest, strict=False))


def test_sample2_passes_with_a_warning_for_the_missing_avatar_and_passes_once_it_is_added():
    data = (SAMPLES / "sample2_rsmf.zip").read_bytes()
    findings = check_zip(data)
    assert outcome(findings) == "PassedWithWarnings"
    assert [f.code for f in findings] == ["ManifestMissingAvatar"]
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(fixed, "w") as dest:
        dest.writestr("rsmf_manifest.json", src.read("rsmf_manifest.json"))
        dest.writestr("AV1", (SAMPLES / "sample2_avatar.png").read_bytes())
    assert check_zip(fixed.getvalue()) == []


def test_sample3_fails_a_second_attachment_and_passes_without_it():
    data = (SAMPLES / "sample3_sample.rsmf").read_bytes()
    findings = check_rsmf(data)
    assert outcome(findings) == "Failed"
    assert [f.code for f in findings] == ["EmlAttachmentCount"]
    message = message_from_bytes(data, policy=default)
    parts = message.get_payload()
    message.set_payload([p for p in parts if p.get_filename() != "avatar.png"])
    assert check_rsmf(message.as_bytes()) == []


def test_sample4_fails_an_integer_id_then_warns_three_times_once_quoted():
    manifest = json.loads((SAMPLES / "sample4_rsmf_manifest.json").read_text())
    assert validate(manifest) == ("Failed", {"ManifestSchemaViolation"})
    quoted = copy.deepcopy(manifest)
    quoted["participants"][0]["id"] = "1"
    assert validate(quoted) == ("PassedWithWarnings", {
        "ManifestInvalidConversationParticipant", "ManifestInvalidEventParticipant",
        "ManifestUndefinedProperty"})


def test_the_slack_demo_fails_the_schema_on_its_empty_custom_values():
    manifest = json.loads((SAMPLES / "slack_demo_1_0_0_rsmf_manifest.json").read_text())
    errors = schema_errors(manifest, strict=False)
    assert len(errors) == 8 and all("custom" in e for e in errors)


def test_unreferenced_zip_files_and_dangling_parents_are_reported():
    manifest = {"version": "2.0.0", "participants": [{"id": "p"}],
                "conversations": [{"id": "c", "platform": "x", "participants": ["p"]}],
                "events": [{"type": "message", "id": "e", "parent": "nope", "conversation": "c",
                            "participant": "p", "attachments": [{"id": "a.txt"}]}]}
    findings = check_manifest(manifest, {"stray.bin"})
    assert {f.code for f in findings} == {"ManifestInvalidReference", "ManifestMissingAttachment",
                                          "ZipUnreferencedFile"}
    assert outcome([Finding("warning", "x", "y")]) == "PassedWithWarnings"
