"""Lost answers against a real Synapse: an event applied whose answer never came back is found by
reading the room back and adopted, never sent twice; one refused before it was applied is sent again."""

from connectors.matrix import client as matrix_client
from connectors.matrix.client import Uncertain

from .conftest import cli, plan_for
from .readback import planned_content, room_content, room_ids


def test_lost_answers_are_settled_by_reading_the_room_back(build, homeserver, tmp_path, monkeypatch):
    sends: list[str] = []
    real_send = matrix_client.MatrixClient.send

    async def flaky_send(self, key, room_id, event_type, txn, content, *, sender, ts):
        sends.append(txn)
        n = len(sends)
        if n % 4 == 2:  # the homeserver never saw it (a 502 from a proxy)
            raise Uncertain("502 from the homeserver")
        event_id = await real_send(self, key, room_id, event_type, txn, content, sender=sender, ts=ts)
        if n % 4 == 3:  # applied, but the answer was lost
            raise Uncertain("connection lost: RemoteProtocolError")
        return event_id

    monkeypatch.setattr(matrix_client.MatrixClient, "send", flaky_send)
    archive = build()
    plan = plan_for(tmp_path, archive, homeserver)
    result = cli("import", archive, "--plan", plan)
    assert result.exit_code == 0, result.output
    found = room_content(homeserver.url, homeserver.registration, room_ids(plan))
    planned = planned_content(archive, plan)
    assert found == planned and max(found.values()) == 1
    lost, refused = (
        sum(1 for n in range(1, len(sends) + 1) if n % 4 == 3),
        sum(1 for n in range(1, len(sends) + 1) if n % 4 == 2),
    )
    assert len(sends) == sum(planned.values()) + refused, "only the refused sends were repeated"
    assert lost > 0 and len(set(sends)) == sum(planned.values())
