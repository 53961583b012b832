"""The platform-neutral engine over the ledger: pacing, and exactly-once posting with a fake target."""

import asyncio

import pytest

from rsemigrate.migrate.importer import (
    Conflict,
    QuietView,
    ReadBack,
    Refused,
    RunContext,
    Stop,
    send_messages,
)
from rsemigrate.migrate.ledger import FAILED, PLANNED, SENDING, SENT, Container, Frozen, Ledger, Message
from rsemigrate.migrate.ratelimit import RateLimiter

from .test_ledger import migration


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    async def sleep(self, seconds):
        self.now += seconds


def test_limiter_paces_each_key_and_the_total():
    clock = FakeClock()
    limiter = RateLimiter(per_key=2, overall=4, clock=clock, sleep=clock.sleep)

    async def burst():
        times = []
        for key in ["a", "a", "a", "b", "c", "d", "e"]:
            await limiter.acquire(key)
            times.append((key, round(clock.now, 3)))
        return times

    times = asyncio.run(burst())
    assert [t for k, t in times if k == "a"] == [0.0, 0.5, 1.0]  # 2/s for one key
    assert [t for _, t in times] == sorted(t for _, t in times)
    assert [t for k, t in times if k != "a"] == [1.25, 1.5, 1.75, 2.0]  # then 4/s overall


def test_limiter_holds_a_key_after_retry_after():
    clock = FakeClock()
    limiter = RateLimiter(per_key=None, overall=None, clock=clock, sleep=clock.sleep)
    limiter.hold("a", 3)
    assert limiter.reserve("b") == 0
    assert limiter.reserve("a") == 3


class FakeTarget:
    """A conversation that refuses a second post at the same time, like Teams."""

    def __init__(self, foreign=(), lose=(), refuse=()):
        self.posts = {ms: ("someone", "x") for ms in foreign}
        self.lose, self.refuse, self.ids = set(lose), set(refuse), 0

    async def post(self, message, root):
        if message.key in self.refuse:
            raise Refused("400 bad")
        if message.created_ms in self.posts:
            raise Conflict(maybe_ours=message.key in self.lose)
        self.ids += 1
        self.posts[message.created_ms] = (message.author, message.key, f"id{self.ids}")
        if message.key in self.lose:
            raise Conflict(maybe_ours=True)  # applied, answer lost: the retry sees its own post
        return f"id{self.ids}"

    async def find(self, message, root):
        found = self.posts.get(message.created_ms)
        if found is None:
            return ReadBack(True, taken=frozenset(self.posts))
        ours = found[0] == message.author and found[1] == message.key
        return ReadBack(
            True, target_id=found[2] if ours else "foreign", ours=ours, taken=frozenset(self.posts)
        )


@pytest.fixture
def ledger(tmp_path):
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
            root_key="m0" if i else None,
        )
        for i in range(4)
    ]
    with Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}") as opened:
        opened.freeze(Frozen(migration(), [container], [], messages, [], []))
        yield opened


def run(ledger, target):
    ctx = RunContext(ledger, QuietView(), Stop())
    asyncio.run(send_messages(ctx, ledger.container("c1"), target))
    return {m.key: (m.state, m.target_id, m.created_ms) for m in ledger.messages("c1")}


def test_every_message_is_posted_once_in_order(ledger):
    target = FakeTarget()
    assert run(ledger, target) == {f"m{i}": (SENT, f"id{i + 1}", 1000 + i) for i in range(4)}


def test_a_lost_answer_is_adopted_not_posted_again(ledger):
    target = FakeTarget(lose={"m1"})
    states = run(ledger, target)
    assert states["m1"] == (SENT, "id2", 1001) and len(target.posts) == 4
    assert [e.kind for e in ledger.events()] == ["adopted"]


def test_a_sending_message_from_a_crashed_run_is_resent_safely(ledger):
    target = FakeTarget()
    first = ledger.messages("c1")[0]
    target.posts[1000] = ("u", "m0", "id-before-crash")
    ledger.mark(first, state=SENDING)
    assert run(ledger, target)["m0"] == (SENT, "id-before-crash", 1000)


def test_someone_elses_post_at_the_planned_time_moves_ours_to_a_free_millisecond(ledger):
    target = FakeTarget(foreign={1002, 1004})
    states = run(ledger, target)
    assert states["m2"][0] == SENT and states["m2"][2] == 1005  # 1003 is m3's, 1004 is taken
    assert "1002 → 1005" in ledger.events("time-moved")[0].detail


def test_a_refused_root_holds_its_replies_back(ledger):
    states = run(ledger, FakeTarget(refuse={"m0"}))
    assert states["m0"][0] == FAILED
    assert all(states[f"m{i}"][0] == PLANNED for i in (1, 2, 3))
    assert "waits for its thread root m0" in ledger.messages("c1")[1].error


def test_a_stop_request_leaves_the_rest_planned(ledger):
    ctx = RunContext(ledger, QuietView(), Stop())
    ctx.stop.requested = True
    asyncio.run(send_messages(ctx, ledger.container("c1"), FakeTarget()))
    assert {m.state for m in ledger.messages("c1")} == {PLANNED}
