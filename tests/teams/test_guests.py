"""External authors (issue 12, finding 9): matched by an email outside the tenant's domains, they
do not resolve on a real tenant. `plan check` names them; the plan chooses guest, placeholder or skip."""

import json

import orjson
import pytest
import tomlkit

from connectors.teams.emulator import User
from rsemigrate.archive.records import User as SourceUser

from .conftest import message, sample_records
from .import_helpers import QUIET_SDK, cli
from .test_check import check

pytestmark = QUIET_SDK

PAT = SourceUser("u9", "Pat Partner", "pat@partner.org")


@pytest.fixture
def partner_archive(build):
    return build(sample_records([PAT, message("x1", channel="g2", author="u9", at="2020-02-05T09:00:00Z",
                                              text="from a partner")]))


def _choose(plan, choice):
    doc = tomlkit.parse(plan.read_text(encoding="utf-8"))
    doc["teams"]["external_authors"] = choice
    plan.write_text(tomlkit.dumps(doc), encoding="utf-8")


def test_plan_check_names_external_authors_and_the_default_posts_them_as_the_placeholder(partner_archive,
                                                                                          init_plan):
    code, report = check(partner_archive, init_plan(partner_archive))
    assert code == 0, report["problems"]
    [warning] = [p for p in report["problems"] if p["kind"] == "external-author"]
    assert "Pat Partner <pat@partner.org>" in warning["detail"] and '"placeholder"' in warning["detail"]
    assert "Ann Martin" not in warning["detail"]  # contoso.com is the tenant's domain (the placeholder's)
    assert any(u["source_id"] == "u9" for u in report["unmapped_users"])


def test_skip_leaves_their_messages_out_and_counts_them(partner_archive, init_plan):
    plan = init_plan(partner_archive)
    _choose(plan, "skip")
    code, report = check(partner_archive, plan)
    assert code == 0, report["problems"]
    assert any("outside the tenant" in reason and n == 1 for reason, n in report["skipped"].items())


def test_the_emulator_finds_a_guest_by_mail_never_by_email_as_upn(graph, emulator):
    emulator.tenant.add_user(User.guest("pat@partner.org", "Pat Partner", emulator.config.domain))
    assert graph.get("/users/pat@partner.org").status_code == 404
    [guest] = graph.get("/users", params={"$filter": "mail eq 'pat@partner.org'",
                                          "$select": "userPrincipalName,userType"}).json()["value"]
    assert guest["userPrincipalName"] == "pat_partner.org#EXT#@contoso.onmicrosoft.com"
    assert guest["userType"] == "Guest"


@pytest.mark.parametrize("choice", ["guest", "placeholder"])
def test_a_rehearsal_posts_them_as_their_guest_account_or_the_placeholder(partner_archive, init_plan,
                                                                          tmp_path, choice):
    plan = init_plan(partner_archive)
    _choose(plan, choice)
    result = cli("import", partner_archive, "--plan", plan, "--rehearse", "--json")
    assert result.exit_code == 0, result.output
    state = orjson.loads((tmp_path / "plan.rehearsal" / "target.json").read_bytes())
    users = {u["id"]: u for u in state["users"]}
    [post] = [m for t in state["teams"] for c in t["channels"] for m in c["messages"]
              if "from a partner" in m["payload"]["body"]["content"]]
    author = users[post["payload"]["from"]["user"]["id"]]
    if choice == "guest":
        assert author["userType"] == "Guest" and author["mail"] == "pat@partner.org"
    else:
        assert author["userPrincipalName"] == "migration.placeholder@contoso.com"
        assert "Pat Partner" in post["payload"]["body"]["content"]
    assert json.loads(result.output)["containers"]
