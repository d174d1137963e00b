"""Discord's REST errs and stalls under a delivery: 500 after the message was posted, 502 with Cloudflare's HTML
page, and a call that hangs (after posting) longer than the client waits. Every message lands exactly once:
discord.py repeats a 5xx with the same ``nonce`` and ``enforce_nonce``, and so does the outbox's retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from adapters.discord.client import make_client
from adapters.discord.platform import PLATFORM, bot_for
from adapters.discord.transport import REQUEST_TIMEOUT, DiscordTransport, nonce_for
from bot.app import build_app
from bot.kernel.clock import FakeClock
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, Section
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import CLOUDFLARE_502, FakeDiscord, Scripted, cloudflare_502, guild, hang
from tests.adapters.discord.test_schedules_e2e import G1, Rig, fake_time_pacer
from tests.conftest import shared_knowledge
from tests.world import outbox_rows

CHANNEL = "910000000000000001"
MESSAGES = f"/channels/{CHANNEL}/messages"
REPLY = Reply(title="Weekly digest", sections=(Section(text="three milestones are due"),), ephemeral=False)


@pytest.fixture
async def transport(dsettings: Settings) -> AsyncIterator[DiscordTransport]:
    client = make_client(dsettings)
    await client.http.static_login(dsettings.discord_token or "")
    try:
        yield DiscordTransport(client, request_timeout=0.5)  # a hang of seconds stands for one of minutes
    finally:
        await client.close()


async def _send(transport: DiscordTransport, key: str) -> str | None:
    result = await transport.send_channel(workspace="g", channel=CHANNEL, reply=REPLY, key=key)
    return result.message_id


async def test_a_500_after_posting_is_repeated_with_the_nonce_and_posts_once(
    transport: DiscordTransport, fake: FakeDiscord
) -> None:
    fake.script(
        "POST", MESSAGES, Scripted(500, {"message": "500: Internal Server Error", "code": 0}, after_default=True)
    )
    message_id = await _send(transport, "digest:1")
    calls = fake.requests("POST", MESSAGES)
    assert len(calls) == 2 and {c.body["nonce"] for c in calls} == {nonce_for("digest:1")}
    assert [m["id"] for m in fake.messages[CHANNEL]] == [message_id]  # one message, and it is the one reported


async def test_a_cloudflare_502_is_waited_out_and_posts_once(transport: DiscordTransport, fake: FakeDiscord) -> None:
    fake.script("POST", MESSAGES, cloudflare_502())
    assert await _send(transport, "digest:2")
    assert len(fake.requests("POST", MESSAGES)) == 2 and len(fake.messages[CHANNEL]) == 1


async def test_a_hung_call_after_posting_fails_soon_and_the_retry_posts_nothing_new(
    transport: DiscordTransport, fake: FakeDiscord
) -> None:
    fake.script("POST", MESSAGES, hang(3.0))  # posted, then no answer for longer than the client waits
    with pytest.raises(DeliveryError) as failed:
        await _send(transport, "digest:3")
    assert not failed.value.permanent and failed.value.code == "network"  # temporary: the outbox retries
    assert len(fake.messages[CHANNEL]) == 1
    await _send(transport, "digest:3")  # the outbox's retry: same key, same nonce
    assert len(fake.messages[CHANNEL]) == 1 and len(fake.requests("POST", MESSAGES)) == 2


async def test_an_outage_page_stays_out_of_the_error(transport: DiscordTransport, fake: FakeDiscord) -> None:
    """A 502 that outlasts discord.py's own retries (five, 25 s of waits: raised here directly) is a temporary
    failure that says 502, without Cloudflare's HTML in the logs and the dead-letter list."""

    async def outage(route: Any, **kwargs: Any) -> Any:
        raise discord.DiscordServerError(SimpleNamespace(status=502, reason="Bad Gateway"), CLOUDFLARE_502)

    transport.client.http.request = outage  # type: ignore[method-assign]
    with pytest.raises(DeliveryError) as failed:
        await _send(transport, "digest:4")
    assert not failed.value.permanent and failed.value.code == "502"
    assert "502" in str(failed.value) and "<" not in str(failed.value) and "cloudflare" not in str(failed.value)


def test_the_production_timeout_is_well_inside_a_delivery_lease() -> None:
    from bot.scheduler.service import Scheduler

    lease = Scheduler.__init__.__kwdefaults__["lease"]  # type: ignore[index]
    assert REQUEST_TIMEOUT * 2 < lease.total_seconds()  # the heartbeat renews it meanwhile, too


# -- through the scheduler: a daily digest meets a different fault each day -------------------------------------------
@pytest.fixture
async def rig(dsettings: Settings, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[Rig]:
    fake.guilds = [guild(G1, "Acme", CHANNEL)]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(app))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        bot = bot_for(app)
        await asyncio.wait_for(bot.ready.wait(), 10)
        app.transports["discord"] = PLATFORM.make_transport(app)
        app.scheduler.pacer = fake_time_pacer(clock)
        bot.transport.request_timeout = 0.5  # a hang of seconds stands for one of minutes
        yield Rig(app, fake, clock, bot.transport)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.close()


async def test_a_daily_digest_lands_once_a_day_whatever_discord_answers(rig: Rig) -> None:
    assert "Digest scheduled" in await rig.ask("digest daily 09:00 UTC")
    faults = [
        Scripted(500, {"message": "500: Internal Server Error", "code": 0}, after_default=True),  # posted, then 500
        cloudflare_502(),  # nothing posted
        hang(3.0),  # posted, then no answer
        hang(3.0, after_default=False),  # nothing posted, no answer
    ]
    for day, fault in enumerate(faults, start=3):
        rig.fake.script("POST", MESSAGES, fault)
        rig.clock.set(datetime(2026, 3, day, 9, 0, tzinfo=UTC))
        await rig.tick()
        for _ in range(3):  # the outbox's retries, seconds apart
            rig.clock.advance(timedelta(seconds=5))
            await rig.tick()
        assert len(rig.fake.messages[CHANNEL]) == day - 2, f"day {day}: {fault}"
    rows = await outbox_rows(rig.app, kind="digest")
    assert sorted(r.status for r in rows) == ["sent"] * len(faults)
    nonces = [c.body["nonce"] for c in rig.posts(CHANNEL)]
    assert len(set(nonces)) == len(faults)  # one nonce a day, however many times each was tried
