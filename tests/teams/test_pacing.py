"""The client keeps Graph's documented Teams limits: channels of one team share the team's pace,
and a request waiting on one busy limit holds back nobody else."""

import asyncio
import time

from connectors.teams.client import request_kind
from rsemigrate.migrate import RateLimiter


def run(requests, per_key=40.0, overall=1000.0):
    """(key, shared limits) requests, each from its own concurrent task, on the real clock (rates
    ten times Graph's to keep it short); the seconds after the start at which each got its slot."""
    limiter = RateLimiter(per_key, overall)
    got = []

    async def one(key, shared, began):
        await limiter.acquire(key, *shared)
        got.append((key, time.monotonic() - began))

    async def main():
        began = time.monotonic()
        await asyncio.gather(*(one(key, shared, began) for key, shared in requests))

    asyncio.run(main())
    return got


def test_channels_of_one_team_share_its_pace_and_other_teams_go_on():
    team = (("team:engineering", 40.0),)
    sales = ("sales/general", (("team:sales", 40.0),))
    got = run([(f"engineering/c{i % 4}", team) for i in range(8)] + [sales])
    engineering = sorted(t for k, t in got if k.startswith("engineering"))
    assert engineering[-1] >= 7 / 40 - 0.01  # 8 requests at the team's rate, not 4 channels at that rate each
    assert dict(got)["sales/general"] < 0.05  # another team is not held back


def test_chat_posts_share_one_pace_across_chats():
    got = run([(f"chat:{i}", (("limit:chat-post", 200.0),)) for i in range(40)])
    assert max(t for _, t in got) >= 39 / 200 - 0.01


def test_requests_are_classified_by_the_limit_they_count_toward():
    assert request_kind("POST", "/teams/t/channels/c/messages") == "channel-post"
    assert request_kind("POST", "/teams/t/channels/c/messages/1/replies") == "channel-post"
    assert request_kind("POST", "https://graph.microsoft.com/v1.0/chats/x/messages") == "chat-post"
    assert request_kind("GET", "/teams/t/channels/c/messages?$top=50") == "teams"
    assert request_kind("GET", "/users/ann@contoso.com") == "other"
