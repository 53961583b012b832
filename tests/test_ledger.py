"""The ledger: the frozen plan written whole or not at all, write-ahead states, refused resumes."""

import pytest
from sqlalchemy.exc import IntegrityError

from rsemigrate.errors import InputError
from rsemigrate.migrate.ledger import (
    SENDING,
    SENT,
    Container,
    Frozen,
    Ledger,
    Message,
    Migration,
    ResumeRefused,
    default_url,
)


def migration(**changes):
    base = {"target": "demo", "mode": "live", "archive_id": "a1", "archive_seal": "s" * 64,
            "plan": '{"x": {"y": 1}}', "plan_path": "/p.toml", "owner": "app-1", "tenant": "t-1"}
    return Migration(**(base | changes))


def frozen(**changes):
    container = Container(key="c1", kind="room", name="Room", position=0)
    messages = [
        Message(
            container_key="c1",
            seq=i,
            key=f"m{i}",
            created_ms=1000 + i,
            author="u",
            author_name="U",
            payload="{}",
            payload_sha256="h",
            content_hash="c",
        )
        for i in range(3)
    ]
    return Frozen(migration(**changes), [container], [], messages, [], [])


@pytest.fixture
def ledger(tmp_path):
    with Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}") as opened:
        yield opened


def test_a_frozen_plan_reads_back_in_posting_order(ledger):
    ledger.freeze(frozen())
    assert [m.key for m in ledger.messages("c1")] == ["m0", "m1", "m2"]
    assert ledger.migration().owner == "app-1"


def test_freezing_twice_is_refused(ledger):
    ledger.freeze(frozen())
    with pytest.raises(InputError, match="already holds"):
        ledger.freeze(frozen())


def test_a_failed_freeze_leaves_nothing(ledger):
    bad = frozen()
    bad.messages[1].created_ms = bad.messages[0].created_ms  # two posts at one instant: refused by the schema
    with pytest.raises(IntegrityError):
        ledger.freeze(bad)
    assert ledger.migration() is None and ledger.messages() == []


def test_states_survive_reopening_and_sending_counts_attempts(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.sqlite'}"
    with Ledger(url) as ledger:
        ledger.freeze(frozen())
        first = ledger.messages("c1")[0]
        ledger.mark(first, state=SENDING)
        ledger.mark(first, state=SENT, target_id="t-1")
    with Ledger(url) as reopened:
        again = reopened.messages("c1")[0]
        assert (again.state, again.target_id, again.attempts) == (SENT, "t-1", 1)
        assert [m.state for m in reopened.messages("c1")[1:]] == ["planned", "planned"]


def test_resume_with_the_same_migration_is_accepted(ledger):
    ledger.freeze(frozen())
    ledger.refuse_resume(migration())


@pytest.mark.parametrize(("change", "says"), [
    ({"owner": "app-2"}, "owned by app app-1"),
    ({"tenant": "t-2"}, "in tenant t-1"),
    ({"archive_id": "a2"}, "this is archive a2"),
    ({"archive_seal": "z" * 64}, "the archive changed"),
    ({"plan": '{"x": {"y": 2}}'}, "the plan changed since it was started (x.y)"),
    ({"mode": "rehearsal"}, "live demo migration"),
])
def test_resume_is_refused_with_the_reason(ledger, change, says):
    ledger.freeze(frozen())
    with pytest.raises(ResumeRefused, match="cannot resume") as refused:
        ledger.refuse_resume(migration(**change))
    assert says in str(refused.value)


def test_reconciliation_ignores_the_identity(ledger):
    ledger.freeze(frozen())
    assert ledger.differences(migration(owner="someone else"), identity=False) == []


def test_default_url_sits_beside_the_plan(tmp_path):
    assert default_url(tmp_path / "plan.toml") == f"sqlite:///{tmp_path / 'plan.ledger.sqlite'}"


def test_sqlite_ledgers_use_wal_and_full_sync(ledger):
    with ledger._engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
