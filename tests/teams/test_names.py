"""Names the import writes: rehearsal transcripts never overwrite each other, and an upload name
never keeps an invisible direction override (issue 12, from #18)."""

from connectors.teams.freeze import safe_file_name
from connectors.teams.transcript import write_transcripts


def _team(name, text):
    message = {"id": "1", "createdMs": 1_580_000_000_000, "replyTo": None,
               "payload": {"from": {"user": {"id": "u"}}, "body": {"content": f"<p>{text}</p>"}}}
    channel = {"displayName": "General", "createdMs": 1_570_000_000_000, "messages": [message]}
    return {"displayName": name, "channels": [channel]}


def test_transcripts_of_teams_whose_names_clean_up_alike_are_all_kept(tmp_path):
    snapshot = {"users": [{"id": "u", "displayName": "Ann"}], "chats": [],
                "teams": [_team("R&D", "from R and D"), _team("R/D", "from R slash D")]}
    written = write_transcripts(snapshot, tmp_path)
    assert len(set(written)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    texts = sorted(p.read_text(encoding="utf-8") for p in written)
    assert "from R and D" in texts[0] and "from R slash D" in texts[1]
    assert written[0].name == "R_D-General.txt"


def test_direction_overrides_and_other_invisible_characters_leave_upload_names():
    assert safe_file_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_file_name("a\u2066b\u2069\u200ec\u200b.txt") == "abc.txt"
    assert safe_file_name("Plan: Q1/Q2.pptx") == "Plan_ Q1_Q2.pptx"
