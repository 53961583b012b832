"""Emulated throttling (429 + Retry-After) and injected faults, and reading imported state back."""

import httpx
import pytest

from connectors.teams.emulator import EmulatorConfig, Fault, GraphEmulator

from .conftest import TENANT_USERS, token_for
from .test_emulator import msg, new_team, post


@pytest.fixture
def throttled(clock):
    emu = GraphEmulator(
        EmulatorConfig(users=list(TENANT_USERS), per_channel_rps=5, tenant_rps=8, clock=clock)
    )
    with (
        emu,
        httpx.Client(base_url=emu.graph_url, headers={"Authorization": f"Bearer {token_for(emu)}"}) as g,
    ):
        yield emu, g


def test_per_channel_throttling_answers_429_with_retry_after(throttled, clock):
    _, graph = throttled
    team_id, general = new_team(graph)
    clock.now += 10  # refill
    path = f"/teams/{team_id}/channels/{general}/messages"
    codes = [post(graph, path, **msg(at=f"2019-02-01T00:00:0{i}Z")).status_code for i in range(6)]
    assert codes == [201] * 5 + [429]
    r = post(graph, path, **msg(at="2019-02-01T00:00:09Z"))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "TooManyRequests"
    clock.now += int(r.headers["Retry-After"])
    assert post(graph, path, **msg(at="2019-02-01T00:00:09Z")).status_code == 201


def test_tenant_throttling_spans_channels(throttled, clock):
    emu, graph = throttled
    ids = [new_team(graph, f"T{i}") for i in range(2)]
    clock.now += 10
    codes = []
    for i in range(10):
        team_id, general = ids[i % 2]
        codes.append(post(graph, f"/teams/{team_id}/channels/{general}/messages",
                          **msg(at=f"2019-02-01T00:00:0{i}Z")).status_code)
    assert codes.count(201) == 8 and codes[-2:] == [429, 429]
    assert emu.throttle.refused == 2


def test_injected_503_and_504_carry_retry_after(emulator, graph):
    emulator.faults.add(Fault(status=503, retry_after=7, path="/users$"))
    emulator.faults.add("GET /users$ 504 nth=2")
    r = graph.get("/users")
    assert r.status_code == 503 and r.headers["Retry-After"] == "7"
    assert graph.get("/users").status_code == 504
    assert graph.get("/users").status_code == 200


def test_a_dropped_connection_applies_nothing(emulator, graph):
    team_id, general = new_team(graph)
    emulator.faults.add("POST /messages$ drop")
    with pytest.raises(httpx.TransportError):
        post(graph, f"/teams/{team_id}/channels/{general}/messages", **msg())
    assert emulator.tenant.teams[team_id].channels[general].messages == {}


def test_applied_but_response_lost(emulator, graph):
    team_id, general = new_team(graph)
    emulator.faults.add("POST /messages$ lost")
    path = f"/teams/{team_id}/channels/{general}/messages"
    with pytest.raises(httpx.TransportError):
        post(graph, path, **msg())
    # the message exists: a retry is refused as a duplicate, and reading back finds it.
    assert post(graph, path, **msg()).status_code == 409
    (found,) = graph.get(path).json()["value"]
    assert found["createdDateTime"] == "2019-02-01T00:00:00.000Z"


def test_every_and_times_options_and_bad_specs():
    fault = Fault.parse("POST /messages$ 503 every=2 times=unlimited")
    assert [fault.matches("POST", "/x/messages") for _ in range(4)] == [False, True, False, True]
    assert not fault.matches("GET", "/x/messages")
    for bad in ["POST /x", "POST /x explode", "POST /x 503 often=1", "POST ( 503"]:
        with pytest.raises(ValueError):
            Fault.parse(bad)


def test_state_is_readable_back_over_http(emulator, graph):
    team_id, general = new_team(graph, "Readable")
    post(graph, f"/teams/{team_id}/channels/{general}/messages", **msg())
    assert httpx.post(emulator.url + "/_emulator/faults", json={"spec": "GET /users$ 503"}).status_code == 201
    assert graph.get("/users").status_code == 503
    assert httpx.delete(emulator.url + "/_emulator/faults").status_code == 204
    state = httpx.get(emulator.url + "/_emulator/state").json()
    (team,) = state["teams"]
    assert team["displayName"] == "Readable" and team["inMigration"] is True
    assert team["channels"][0]["messages"][0]["payload"]["body"]["content"] == "<p>hi</p>"
    assert httpx.get(emulator.url + "/_emulator/health").json()["emulator"] is True
