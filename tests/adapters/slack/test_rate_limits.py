"""Slack's rate limits reach the scheduler's pacer: the 429s the SDK waits out are reported, and a fan-out
to a workspace whose limit nobody told the bot is delivered once each, with few 429s.

The fake Slack enforces the limits (a one-second window per workspace, one post per second per
channel, 429 with a whole-second Retry-After). The fan-out runs on real time for a few seconds;
it asserts what was delivered and how often Slack refused, never how fast.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from adapters.slack.client import RetryPolicy, make_client
from adapters.slack.transport import SlackTransport
from bot.app import build_app
from bot.kernel.clock import SystemClock
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply
from bot.kernel.settings import Settings
from bot.scheduler.models import Schedule
from bot.scheduler.pacing import Pacer
from bot.scheduler.pacing.rate_limits import RateLimitHit, listening
from tests.adapters.slack.conftest import BOT_TOKEN
from tests.adapters.slack.fake_slack import FakeSlack


def _transport(fake: FakeSlack, settings: Settings, policy: RetryPolicy) -> SlackTransport:
    client = make_client(settings, token=BOT_TOKEN, policy=policy)

    async def client_for(workspace: str):  # type: ignore[no-untyped-def]
        return client

    return SlackTransport(client_for)


async def test_a_429_the_sdk_waits_out_is_reported_to_the_pacer(fake: FakeSlack, settings: Settings) -> None:
    transport = _transport(fake, settings, RetryPolicy(rate_limit_retries=2, jitter=0.0))
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    hits: list[RateLimitHit] = []

    async def heard(hit: RateLimitHit) -> None:
        hits.append(hit)

    with listening(heard) as listener:
        result = await transport.send_channel(
            workspace="T0001", channel="C1", reply=Reply(title="hi", ephemeral=False), key="k1"
        )
    assert result.message_id  # the SDK retried and the message went through...
    assert hits == listener.hits == [RateLimitHit(retry_after=0.0)]  # ... and the pacer heard of the 429
    assert len(fake.calls_to("chat.postMessage")) == 2
    # Without a listener (an interactive reply) the report goes nowhere, and nothing breaks.
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    assert (
        await transport.send_channel(
            workspace="T0001", channel="C2", reply=Reply(title="hi", ephemeral=False), key="k2"
        )
    ).message_id


async def test_only_the_message_methods_429s_are_the_workspaces_pace(fake: FakeSlack, settings: Settings) -> None:
    transport = _transport(fake, settings, RetryPolicy(rate_limit_retries=1, jitter=0.0))
    fake.script("conversations.open", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    hits: list[RateLimitHit] = []

    async def heard(hit: RateLimitHit) -> None:
        hits.append(hit)

    with listening(heard):
        await transport.send_dm(workspace="T0001", user="U1", reply=Reply(title="hi", ephemeral=False), key="k3")
    assert hits == []  # conversations.open has its own tier; the message limit was not touched


async def test_without_sdk_retries_the_429_is_reported_once_and_the_row_retried(
    fake: FakeSlack, settings: Settings
) -> None:
    transport = _transport(fake, settings, RetryPolicy(rate_limit_retries=0))
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}))
    hits: list[RateLimitHit] = []

    async def heard(hit: RateLimitHit) -> None:
        hits.append(hit)

    with listening(heard), pytest.raises(DeliveryError) as raised:
        await transport.send_channel(
            workspace="T0001", channel="C1", reply=Reply(title="hi", ephemeral=False), key="k4"
        )
    assert raised.value.retry_after == 3.0 and hits == [RateLimitHit(retry_after=3.0)]


@pytest.mark.parametrize(("channels", "limit", "max_429_share"), [(40, 10.0, 0.10)])
async def test_a_fan_out_learns_a_workspace_limit_it_was_not_told(
    fake: FakeSlack, sqlite_url: str, channels: int, limit: float, max_429_share: float
) -> None:
    fake.workspace_limit, fake.channel_interval = limit, 1.0
    settings = Settings(
        database_url=sqlite_url, scheduler_enabled=False, slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url
    )
    app = await build_app(settings, clock=SystemClock())
    try:
        # As ``cos-bot serve`` wires it: the SDK's own 429 retries, the default (learning) pacer.
        app.transports["slack"] = _transport(fake, settings, RetryPolicy(jitter=0.1))
        scheduler = app.scheduler
        assert type(scheduler.pacer) is Pacer and scheduler.pacer.rate("slack", "T0001") == 4.0
        now = datetime.now(UTC)
        created = now - timedelta(days=1)
        async with app.db.session() as session:
            session.add_all(
                [
                    Schedule(
                        platform="slack",
                        workspace="T0001",
                        kind="digest",
                        channel=f"C{i:03d}",
                        cadence="daily",
                        hour=now.hour,
                        minute=now.minute,
                        tz="UTC",
                        skip_weekends=False,
                        active=True,
                        planned_until=created,
                        created_by="test",
                        created_at=created,
                    )
                    for i in range(channels)
                ]
            )
        assert await scheduler.plan() == channels
        for _ in range(50):
            await scheduler.drain()
            if not await _left(app):
                break
            await asyncio.sleep(0.2)  # a rate-limited row waits out its Retry-After before its retry
        posted = Counter(str(m["metadata"]["event_payload"]["key"]) for ms in fake.messages.values() for m in ms)
        assert len(posted) == channels and set(posted.values()) == {1}  # each channel once
        attempts = len(fake.calls_to("chat.postMessage"))
        assert fake.rate_limited <= max_429_share * attempts
        learned = scheduler.pacer.rate("slack", "T0001")  # type: ignore[attr-defined]
        assert learned is not None and learned > 4.0  # it rose from the conservative start
    finally:
        await app.close()


async def _left(app) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from bot.scheduler.models import Outbox

    async with app.db.session() as session:
        result = await session.execute(
            select(func.count()).select_from(Outbox).where(Outbox.status.in_(("pending", "claimed")))
        )
        return int(result.scalar_one())


async def test_an_sdk_retry_of_a_scheduled_send_waits_for_the_pacers_turn(fake: FakeSlack, settings: Settings) -> None:
    transport = _transport(fake, settings, RetryPolicy(rate_limit_retries=2, jitter=0.0))
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}))
    turns: list[str] = []

    async def heard(hit: RateLimitHit) -> None:
        turns.append(f"429 {hit.retry_after:g}")

    async def resume() -> None:
        turns.append("next slot")  # the scheduler waits for its pacer here; a bare 30 s sleep would hang the test

    with listening(heard, resume):
        result = await transport.send_channel(
            workspace="T0001", channel="C1", reply=Reply(title="hi", ephemeral=False), key="k5"
        )
    assert result.message_id and turns == ["429 30", "next slot"]
