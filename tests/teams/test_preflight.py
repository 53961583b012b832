"""plan check --online: the read-only preflight, against the emulator."""

import json

import pytest

from connectors.teams.emulator import App, User
from connectors.teams.emulator.state import DEFAULT_CLIENT_ID, DEFAULT_TENANT

from .conftest import cli
from .test_emulator import new_team, post
from .test_plan import edit

SECRET = "emulator-secret"


@pytest.fixture
def online_plan(build, init_plan, emulator):
    """An archive and a plan whose [teams] table points at the running emulator."""
    archive = build()
    plan = init_plan(archive)
    edit(plan, '# tenant_id = "00000000-0000-0000-0000-000000000000"', f'tenant_id = "{DEFAULT_TENANT}"')
    edit(plan, '# client_id = "00000000-0000-0000-0000-000000000000"', f'client_id = "{DEFAULT_CLIENT_ID}"')
    edit(plan, 'graph_url = "https://graph.microsoft.com/v1.0"', f'graph_url = "{emulator.graph_url}"')
    edit(plan, 'login_url = "https://login.microsoftonline.com"', f'login_url = "{emulator.url}"')
    return archive, plan


def check_online(archive, plan, secret=SECRET):
    result = cli(
        "plan",
        "check",
        archive,
        "--plan",
        plan,
        "--online",
        "--json",
        env={"RSEMIGRATE_TEAMS_CLIENT_SECRET": secret} if secret else {"RSEMIGRATE_TEAMS_CLIENT_SECRET": ""},
    )
    return result


def report_of(result):
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def refused(report):
    return sorted({p["kind"] for p in report["problems"] if p["severity"] == "refused"})


def test_a_clean_online_check_resolves_everyone(online_plan, emulator):
    code, report = report_of(check_online(*online_plan))
    assert code == 0, report["problems"]
    assert {c["name"]: c["ok"] for c in report["preflight"]} == {
        "token": True,
        "roles": True,
        "authors": True,
        "names": True,
    }
    assert report["online"] is True


def test_the_secret_never_appears_and_a_missing_one_is_a_usage_error(online_plan, emulator):
    emulator.tenant.apps[DEFAULT_CLIENT_ID].secret = "s3cr3t-value-XYZ"
    ok = check_online(*online_plan, secret="s3cr3t-value-XYZ")
    assert ok.exit_code == 0 and "s3cr3t-value-XYZ" not in ok.output
    wrong = check_online(*online_plan, secret="not-it")
    assert wrong.exit_code == 1 and "not-it" not in wrong.output
    assert refused(json.loads(wrong.output)) == ["token"]
    missing = check_online(*online_plan, secret=None)
    assert missing.exit_code == 2 and "RSEMIGRATE_TEAMS_CLIENT_SECRET" in missing.output


def test_a_secret_file_works_too(online_plan, tmp_path):
    archive, plan = online_plan
    (tmp_path / "secret.txt").write_text(SECRET + "\n")
    edit(
        plan, '# client_secret_file = "/run/secrets/teams-client-secret"', 'client_secret_file = "secret.txt"'
    )
    assert check_online(archive, plan, secret=None).exit_code == 0


def test_missing_roles_are_refused(online_plan, emulator):
    app = emulator.tenant.apps[DEFAULT_CLIENT_ID]
    emulator.tenant.apps[DEFAULT_CLIENT_ID] = App(
        app.client_id, app.secret, frozenset({"User.Read.All", "Group.Read.All"})
    )
    code, report = report_of(check_online(*online_plan))
    assert code == 1 and refused(report) == ["admin-consent", "missing-role"]
    missing = ["Teamwork.Migrate.All", "Chat.Create", "Chat.ReadBasic.All", "Files.ReadWrite.All",
               "TeamMember.ReadWrite.All"]
    assert {p["detail"].split()[0] for p in report["problems"] if p["kind"] == "missing-role"
            and p["severity"] == "refused"} == set(missing)
    [consent] = [p["detail"] for p in report["problems"] if p["kind"] == "admin-consent"]
    assert consent.endswith("'Grant admin consent': " + ", ".join(missing))


def test_the_permissions_needed_follow_the_plan(online_plan, emulator):
    archive, plan = online_plan
    emulator.tenant.apps[DEFAULT_CLIENT_ID].roles = frozenset({"Teamwork.Migrate.All", "User.Read.All",
                                                               "Group.Read.All", "TeamMember.ReadWrite.All"})
    edit(plan, 'private_conversations = "group-chats"', 'private_conversations = "skip"')
    edit(plan, 'files = "upload"', 'files = "skip"')
    code, report = report_of(check_online(archive, plan))
    assert code == 0, report["problems"]
    edit(plan, 'files = "skip"', 'files = "upload"')
    code, report = report_of(check_online(archive, plan))
    assert code == 1 and [p["detail"] for p in report["problems"] if p["kind"] == "admin-consent"] == [
        "grant these application permissions in Entra ID, then 'Grant admin consent': Files.ReadWrite.All"]


def test_an_email_not_in_the_tenant_moves_to_the_placeholder(online_plan, emulator):
    bob = emulator.tenant.find_user("bob@contoso.com")
    del emulator.tenant.users[bob.id]
    code, report = report_of(check_online(*online_plan))
    assert code == 0
    assert [(u["source_id"], u["messages"]) for u in report["unmapped_users"]] == [("u2", 1), ("u3", 1)]


def test_a_missing_placeholder_or_explicit_account_is_refused(online_plan, emulator, tmp_path):
    archive, plan = online_plan
    placeholder = emulator.tenant.find_user("migration.placeholder@contoso.com")
    del emulator.tenant.users[placeholder.id]
    code, report = report_of(check_online(archive, plan))
    assert code == 1 and refused(report) == ["unknown-account"]
    emulator.tenant.add_user(placeholder)
    (tmp_path / "users.csv").write_text("source,target\nu3,chloe@contoso.com\n")
    edit(plan, '# mapping = "users.csv"', 'mapping = "users.csv"')
    code, report = report_of(check_online(archive, plan))
    assert (
        code == 1
        and refused(report) == ["unknown-account"]
        and "chloe@contoso.com" in report["problems"][0]["where"]
    )
    emulator.tenant.add_user(User.make("chloe@contoso.com"))
    assert report_of(check_online(archive, plan))[0] == 0


def test_team_name_collisions_are_refused(online_plan, graph):
    new_team(graph, "Engineering")
    code, report = report_of(check_online(*online_plan))
    assert code == 1 and refused(report) == ["name-collision"]


def test_existing_teams_and_channels_are_read(online_plan, graph):
    archive, plan = online_plan
    team_id = (
        graph.post(
            "/teams",
            json={
                "template@odata.bind": "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
                "displayName": "Corp",
            },
        )
        .headers["Content-Location"]
        .split("'")[1]
    )
    post(graph, f"/teams/{team_id}/channels", displayName="Security")
    edit(plan, 'name = "Sécurité & Conformité"\nexisting = false',
         f'name = "Sécurité & Conformité"\nexisting = true\nid = "{team_id}"')
    edit(plan, 'team = "securite-conformite"\nchannel = "General"',
         'team = "securite-conformite"\nchannel = "Security"')
    code, report = report_of(check_online(archive, plan))
    assert code == 1 and refused(report) == ["duplicate-channel-name"]
    edit(plan, 'channel = "Security"', 'channel = "Security"\nexisting_channel = true')
    code, report = report_of(check_online(archive, plan))
    assert code == 0
    assert any(
        c["name"] == "channel Security" and "migrationMode none" in c["detail"] for c in report["preflight"]
    )
    edit(plan, 'channel = "Security"', 'channel = "Nope"')
    code, report = report_of(check_online(archive, plan))
    assert code == 1 and refused(report) == ["channel-not-found"]


def test_throttled_reads_are_retried(online_plan, emulator):
    emulator.faults.add("GET /users/ 503 times=2 retry_after=0")
    code, _ = report_of(check_online(*online_plan))
    assert code == 0 and emulator.faults.rules[0].fired == 2


def test_a_disabled_author_account_is_warned_about(online_plan, emulator):
    """accountEnabled comes only when selected (https://learn.microsoft.com/graph/api/user-get):
    read from the default answer, a disabled account passed unnoticed."""
    ann = emulator.tenant.find_user("ann@contoso.com")
    ann.enabled = False
    code, report = report_of(check_online(*online_plan))
    warned = [p for p in report["problems"] if p["kind"] == "disabled-account"]
    assert code == 0 and len(warned) == 1 and "ann@contoso.com" in warned[0]["where"]
