"""`rsemigrate matrix register`: the registration file, its namespaces, and tokens kept secret."""

import stat

from connectors.matrix.appservice import read_tokens

from .conftest import cli

PLAN = """[plan]
target = "matrix"

[matrix]
server_name = "chat.example.org"
user_prefix = "yam_"
alias_prefix = "yam_"

[users]
mapping = "users.csv"
placeholder = "@migration:chat.example.org"
"""


def test_register_writes_a_private_registration_and_keeps_its_tokens(tmp_path):
    (tmp_path / "users.csv").write_text("source,target\nu1,@jane:chat.example.org\nu2,bob@example.org\n")
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    first = cli("matrix", "register", "--plan", plan)
    assert first.exit_code == 0, first.output
    path = tmp_path / "rsemigrate-appservice.yaml"
    text = path.read_text()
    tokens = read_tokens(path)
    assert tokens.as_token not in first.output and tokens.hs_token not in first.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert 'regex: "@yam_.*:chat\\\\.example\\\\.org"' in text
    assert 'exclusive: false\n      regex: "@jane:chat\\\\.example\\\\.org"' in text
    assert 'exclusive: false\n      regex: "@migration:chat\\\\.example\\\\.org"' in text
    assert 'regex: "#yam_.*:chat\\\\.example\\\\.org"' in text and "rate_limited: false" in text
    assert "app_service_config_files" in first.output and "restart" in first.output
    assert cli("matrix", "register", "--plan", plan).exit_code == 0
    assert read_tokens(path) == tokens
    assert cli("matrix", "register", "--plan", plan, "--renew-tokens").exit_code == 0
    assert read_tokens(path) != tokens


def test_register_refuses_a_plan_for_another_target(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text('[plan]\ntarget = "teams"\n')
    result = cli("matrix", "register", "--plan", plan)
    assert result.exit_code == 2 and "not for Matrix" in result.output
