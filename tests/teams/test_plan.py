"""plan init writes a commented, editable plan; a malformed plan is an error naming key and line."""

import tomllib

import pytest

from connectors.teams.plan import channel_name_problem, load_plan, safe_channel_name
from rsemigrate.archive.reader import Archive
from rsemigrate.migrate.planfile import PlanError

from .conftest import cli


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in the plan"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(
        i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line
    )


def test_init_writes_a_commented_plan_with_a_destination_per_community(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    text = plan.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert (
        data["plan"]["target"] == "teams" and data["plan"]["archive_id"] == Archive(archive).header.archive_id
    )
    assert data["users"]["placeholder"] == "migration.placeholder@contoso.com"
    assert data["options"]["private_conversations"] == "group-chats"
    assert set(data["destination"]) == {"g1", "g2"}
    assert data["destination"]["g2"] == {"team": "securite-conformite", "channel": "General"}
    assert data["team"]["securite-conformite"]["name"] == "Sécurité & Conformité"
    assert text.count("\n#") > 30  # it explains itself
    assert "# Sécurité & Conformité: 1 messages, 2020-02-01 … 2020-02-01" in text


def test_init_refuses_to_overwrite_and_references_a_users_csv(build, init_plan, tmp_path):
    archive = build()
    (tmp_path / "users.csv").write_text("source,target\nu3,chloe@contoso.com\n")
    plan = init_plan(archive, "--users", tmp_path / "users.csv", "--placeholder", "ghost@contoso.com")
    data = tomllib.loads(plan.read_text())
    assert data["users"]["mapping"] == "users.csv" and data["users"]["placeholder"] == "ghost@contoso.com"
    again = cli("plan", "init", archive, "--to", "teams", "-o", plan)
    assert again.exit_code == 2 and "--force" in again.output


def test_init_for_an_unknown_target_is_a_usage_error(build, tmp_path):
    result = cli("plan", "init", build(), "--to", "myspace", "-o", tmp_path / "p.toml")
    assert result.exit_code == 2 and "no target named 'myspace'" in result.output


@pytest.mark.parametrize("old,new,key,needle", [
    ('reactions = "import"', 'reactions = "sometimes"', "options.reactions", "Input should be"),
    ("skip_deleted = true", "skip_deletd = true", "options.skip_deletd", "unknown key"),
    ('team = "engineering"', 'team = "nope"', 'destination.g1.team', "no [team.nope] table"),
    ("message_budget = 24000", "message_budget = 50000", "teams.message_budget", "between 2000"),
    ("# since = 2018-01-01", "since = 2018-01-01T00:00:00", "options.since", "time zone"),
    ('attribution = "Originally posted by '
     '{name}"', 'attribution = "By someone"', "users.attribution", "{name}"),
    ("version = 1", "version = 7", "plan.version", "not supported"),
    ("[options]", "[optons]", "optons", "unknown table"),
    ('name = "Engineering"', 'name = ""', "team.engineering.name", "1 to 256"),
])
def test_a_malformed_plan_names_the_key_and_its_line(build, init_plan, old, new, key, needle):
    archive = build()
    plan = init_plan(archive)
    edit(plan, old, new)
    line = line_of(plan, new)
    result = cli("plan", "check", archive, "--plan", plan)
    assert result.exit_code == 2, result.output
    assert f"plan.toml, line {line}: {key}: " in result.output and needle in result.output


def test_invalid_toml_names_the_line(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, "skip_system = true", "skip_system = yes please")
    result = cli("plan", "check", archive, "--plan", plan)
    assert result.exit_code == 2 and f"line {line_of(plan, 'yes please')}" in result.output
    assert "not valid TOML" in result.output


def test_destination_for_an_unknown_source_and_existing_channel_on_a_new_team(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(plan, "[destination.g2]", "[destination.g9]")
    with pytest.raises(
        PlanError, match=rf"line {line_of(plan, '[destination.g9]')}: destination.g9: no group"
    ):
        load_plan(plan, Archive(archive))
    plan = init_plan(archive, "--force", name="p2.toml")
    edit(plan, 'team = "engineering"\nchannel = "General"', 'team = "engineering"\nexisting_channel = true')
    with pytest.raises(PlanError, match="destination.g1.existing_channel: a team created by the import"):
        load_plan(plan, Archive(archive))


def test_channel_names_follow_teams_rules():
    assert channel_name_problem("Général") is None
    assert "50" in channel_name_problem("x" * 51)
    assert "'#'" in channel_name_problem("R&D #1") and "'&'" in channel_name_problem("R&D #1")
    assert channel_name_problem("_hidden") and channel_name_problem("end.") and channel_name_problem("  ")
    for name in ["R&D / Sécurité: 2019?", "_x.", "a" * 80, "***"]:
        assert channel_name_problem(safe_channel_name(name)) is None


def test_several_communities_as_channels_of_one_team(build, init_plan):
    archive = build()
    plan = init_plan(archive)
    edit(
        plan,
        'team = "securite-conformite"\nchannel = "General"',
        'team = "engineering"\nchannel = "Security"',
    )
    loaded = load_plan(plan, Archive(archive))
    engineering = [c for c in loaded.containers if c.team and c.team.key == "engineering"]
    assert [(c.name, c.kind) for c in engineering] == [("General", "general"), ("Security", "new-channel")]
    assert [c.kind for c in loaded.containers if c.team is None] == ["chat"]


def test_one_source_group_with_several_channels_becomes_several_channels(build, init_plan):
    from rsemigrate.archive.records import Channel

    from .conftest import message, sample_records

    archive = build(sample_records([Channel("g1-design", "channel", "Design / UX", group_id="g1"),
                                    message("x1", channel="g1-design", at="2020-01-05T00:00:00Z")]))
    plan = init_plan(archive)
    data = tomllib.loads(plan.read_text(encoding="utf-8"))
    assert data["destination"]["g1"]["channels"] == {"g1": "General", "g1-design": "Design UX"}
    loaded = load_plan(plan, Archive(archive))
    assert sorted((c.name, c.kind) for c in loaded.containers if c.team and c.team.key == "engineering") == [
        ("Design UX", "new-channel"), ("General", "general")]
    assert cli("plan", "check", archive, "--plan", plan).exit_code == 0
