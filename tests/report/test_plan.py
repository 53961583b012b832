"""The triage feeds the plan (`plan init --triage`), and the plan's dry run feeds the report (`--plan`)."""

from __future__ import annotations

import tomllib

import orjson
import pytest

from rsemigrate.testing import archive_from_records, run_cli

from .conftest import network

ARCHIVE_ONLY = {"g-test", "g-lunch", "g-old"}  # test, dead-born, dormant; g-empty has no channel


@pytest.fixture
def triaged(triage_archive, tmp_path):
    triage = tmp_path / "triage.json"
    assert run_cli("report", triage_archive, "-o", triage, "--as-of", "2024-06-30").exit_code == 0
    return triage


@pytest.mark.parametrize("target", ["teams", "matrix"])
def test_plan_init_leaves_dead_born_test_and_dormant_communities_in_the_archive(
        triage_archive, triaged, tmp_path, target):
    plan = tmp_path / "plan.toml"
    result = run_cli("plan", "init", triage_archive, "--to", target, "-o", plan, "--triage", triaged)
    assert result.exit_code == 0, result.output
    text = plan.read_text(encoding="utf-8")
    destinations = tomllib.loads(text)["destination"]
    assert {key for key, d in destinations.items() if d.get("skip")} == ARCHIVE_ONLY
    rules = {row["id"]: row["rule"] for row in orjson.loads(triaged.read_bytes())["communities"]}
    for key in ARCHIVE_ONLY:  # each decision quotes the indicator behind it
        assert f"skip = true   # archive-only, {rules[key]}" in text
    assert "# archive-only, dormant: no message in the 365 days before 2024-06-30 (last 2023-04-01)" in text
    check = run_cli("plan", "check", triage_archive, "--plan", plan)
    assert check.exit_code == 0, check.output


def test_without_triage_the_plan_skips_nothing_with_messages(triage_archive, tmp_path):
    plan = tmp_path / "plan.toml"
    assert run_cli("plan", "init", triage_archive, "--to", "teams", "-o", plan).exit_code == 0
    assert not [k for k, d in tomllib.loads(plan.read_text(encoding="utf-8"))["destination"].items()
                if d.get("skip")]


def test_a_triage_of_another_archive_is_refused(triaged, tmp_path):
    other = archive_from_records(tmp_path / "other", network()).path
    result = run_cli("plan", "init", other, "--to", "teams", "-o", tmp_path / "plan.toml",
                     "--triage", triaged)
    assert result.exit_code == 2
    assert f"{triaged}: the triage was written for archive" in result.output
    assert not (tmp_path / "plan.toml").exists()


def test_the_report_shows_each_communitys_plan_decision_and_cost(triage_archive, triaged, tmp_path):
    plan = tmp_path / "plan.toml"
    result = run_cli("plan", "init", triage_archive, "--to", "teams", "-o", plan, "--triage", triaged)
    assert result.exit_code == 0, result.output
    out = tmp_path / "costed.json"
    result = run_cli("report", triage_archive, "-o", out, "--as-of", "2024-06-30", "--plan", plan)
    assert result.exit_code == 0, result.output
    data = orjson.loads(out.read_bytes())
    rows = {c["id"]: c["plan"] for c in data["communities"]}
    # IT Help: 8 messages (the system message is skipped by the plan's defaults), f1 and f2, a
    # tombstone for the deleted root m6, a plain link for l1, and the external authors Carl and Dan
    # (3 messages, 1 reaction) left to the placeholder; 8 posts at 4/s + 1500 B at 5 MB/s.
    assert rows["g-help"] == {"decision": "import into General: IT Help / General", "messages": 8, "posts": 8,
                              "files": 2, "file_bytes": 1500, "degradations": 6, "import_seconds": 2.0}
    assert rows["c-random"]["decision"] == "import into General: random / General"
    assert rows["g-old"] == {"decision": "left out: destination g-old has skip = true", "messages": 0,
                             "posts": 0, "files": 0, "file_bytes": 0, "degradations": 0,
                             "import_seconds": 0.0}
    assert rows["g-empty"]["decision"] == "nothing to import"
    assert data["plan"]["target"] == "teams" and data["plan"]["clean"] is True
    assert data["plan"]["import_seconds"] > 0
    page = tmp_path / "costed.html"
    result = run_cli("report", triage_archive, "-o", page, "--as-of", "2024-06-30", "--plan", plan)
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert 'id="table-plan"' in html and "import into General: IT Help / General" in html
