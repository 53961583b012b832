"""`rsemigrate teams emulator` as admins run it: a real process on a loopback port."""

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import cli


def test_the_emulator_command_says_it_is_an_emulator():
    result = cli("teams", "emulator", "--help")
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "EMULATOR" in text and "not Microsoft Graph" in text
    bad = cli("teams", "emulator", "--host", "0.0.0.0")
    assert bad.exit_code == 2 and "loopback" in bad.output
    assert cli("teams", "emulator", "--fault", "POST /x explode").exit_code == 2


@pytest.mark.slow
def test_the_emulator_runs_as_a_process_for_rehearsals(tmp_path):
    users = tmp_path / "users.csv"
    users.write_text("upn,displayName\nann@contoso.com,Ann\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rsemigrate",
            "teams",
            "emulator",
            "--port",
            "0",
            "--users",
            str(users),
            "--quiet",
            "--fault",
            "GET /users$ 503",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "RSEMIGRATE_TEAMS_CLIENT_SECRET"}
        | {"PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 20
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = match[1] if match else None
        assert url, (
            f"the emulator did not start: {proc.stderr.read() if proc.poll() is not None else 'timeout'}"
        )
        assert httpx.get(url + "/_emulator/health").json()["emulator"] is True
        state = httpx.get(url + "/_emulator/state").json()
        assert [u["userPrincipalName"] for u in state["users"]] == ["ann@contoso.com"]
        token = httpx.post(
            f"{url}/{state['tenant']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "00000000-0000-0000-0000-0000000e0a11",
                "client_secret": "emulator-secret",
                "scope": "https://graph.microsoft.com/.default",
            },
        ).json()["access_token"]
        r = httpx.get(url + "/v1.0/users", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 503
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
