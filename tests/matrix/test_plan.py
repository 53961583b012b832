"""`plan init --to matrix` and `plan check` (offline): the same report as every target."""

import json

import tomlkit

from connectors.matrix.plan import load_plan
from connectors.matrix.prepare import drafts, prepare, room_events
from rsemigrate.archive import Archive, Attachment
from transforms.identities import user_mapping

from .conftest import cli, message, sample_records


def _plan(tmp_path, archive, edit=None):
    path = tmp_path / "plan.toml"
    result = cli("plan", "init", archive, "--to", "matrix", "-o", path)
    assert result.exit_code == 0, result.output
    if edit:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
        edit(doc)
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def _check(archive, plan):
    result = cli("plan", "check", archive, "--plan", plan, "--json")
    return result.exit_code, json.loads(result.output)


def test_the_starting_plan_checks_clean_with_rooms_in_a_space(build, tmp_path):
    archive = build()
    plan = _plan(tmp_path, archive)
    code, report = _check(archive, plan)
    assert code == 0 and report["clean"], report["problems"]
    assert [p["action"] for p in report["parents"]] == ["create space"]
    rooms = {c["name"]: c for c in report["containers"]}
    assert set(rooms) == {"Engineering", "Sécurité & Conformité", "Ann, Bob"}
    assert (
        rooms["Engineering"]["messages"] == 4 and rooms["Engineering"]["posts"] == 7
    )  # + a file, 2 reactions
    assert rooms["Sécurité & Conformité"]["posts"] == 4  # the long message is split in three
    kinds = {d["kind"] for d in report["degradations"]}
    assert "nested-reply" not in kinds and {"split", "placeholder-author", "missing-file"} <= kinds
    human = cli("plan", "check", archive, "--plan", plan)
    assert "Result: clean" in human.output and "1 spaces to create" in human.output


def test_problems_are_reported_not_raised(build, tmp_path):
    archive = build()

    def edit(doc):
        del doc["destination"]["g2"]
        doc["users"]["placeholder"] = "@Not Valid"
        doc["matrix"]["max_upload_bytes"] = 4

    code, report = _check(archive, _plan(tmp_path, archive, edit))
    kinds = {(p["kind"], p["severity"]) for p in report["problems"]}
    assert code == 1 and not report["clean"]
    assert ("no-destination", "lost") in kinds
    assert ("invalid-user-id", "refused") in kinds
    assert ("file-too-large", "refused") in kinds


def test_an_unmapped_author_without_placeholder_is_refused(build, tmp_path):
    archive = build()
    code, report = _check(archive, _plan(tmp_path, archive, lambda doc: doc["users"].remove("placeholder")))
    assert code == 1
    assert [u["source_id"] for u in report["unmapped_users"]] == ["u3"]
    assert any(p["kind"] == "no-author-account" for p in report["problems"])


def test_a_malformed_plan_names_the_key_and_line(build, tmp_path):
    archive = build()
    plan = _plan(tmp_path, archive, lambda doc: doc["matrix"].add("sever_name", "x"))
    result = cli("plan", "check", archive, "--plan", plan)
    assert result.exit_code == 2 and "matrix.sever_name" in result.output and "line" in result.output


def test_import_refuses_to_rehearse(build, tmp_path):
    archive = build()
    plan = _plan(tmp_path, archive)
    result = cli("import", archive, "--plan", plan, "--rehearse")
    assert result.exit_code == 2 and "no built-in emulator" in result.output


def test_plan_check_to_matrix_runs_the_matrix_dry_run_and_refuses_another_plan(build, tmp_path):
    archive = build()
    plan = _plan(tmp_path, archive)
    assert cli("plan", "check", archive, "--plan", plan, "--to", "matrix").exit_code == 0
    teams = tmp_path / "teams.toml"
    assert cli("plan", "init", archive, "--to", "teams", "-o", teams).exit_code == 0
    result = cli("plan", "check", archive, "--plan", teams, "--to", "matrix")
    assert result.exit_code == 2 and "a plan for 'teams', not 'matrix'" in result.output


def test_a_script_link_card_is_planned_as_text_never_a_link(build, tmp_path):
    hostile = [
        Attachment("link:js", "link", "external", "og:js", name="Win a prize", url="javascript:alert(1)"),
        Attachment("link:ok", "link", "external", "og:ok", name="Docs", url="https://example.com/docs"),
        message(
            "js", channel="g2", at="2020-02-05T10:00:00Z", text="see", attachment_ids=["link:js", "link:ok"]
        ),
    ]
    archive_path = build(sample_records(hostile))
    plan_path = _plan(tmp_path, archive_path)
    archive = Archive(archive_path)
    plan = load_plan(plan_path, archive)
    prep = prepare(archive, plan, user_mapping(plan.common))
    [event] = [e for room in plan.rooms for e in room_events(prep, drafts(prep, room))
               if "Win a prize" in e.content.get("body", "")]
    formatted = event.content["formatted_body"]
    assert '<a href="https://example.com/docs">Docs</a>' in formatted
    assert formatted.count("href") == 1 and "javascript:alert(1)" in event.content["body"]
