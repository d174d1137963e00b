"""Removed from a Discord server (GUILD_DELETE from the fake gateway, through the real discord.py client): the
guild's schedules stop and its queued deliveries go; added back (GUILD_CREATE) within the retention period, its
data and schedules are there again. A guild that is only unavailable (an outage) is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from adapters.discord.platform import PLATFORM, bot_for
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule
from bot.storage.models import Workspace
from tests.adapters.discord.fake_discord import FakeDiscord, guild
from tests.conftest import Harness, shared_knowledge

G1, C1 = "900000000000000001", "910000000000000001"
G2, C2 = "900000000000000002", "910000000000000002"


@pytest.fixture
async def app(dsettings: Settings, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[App]:
    fake.guilds = [guild(G1, "Acme", C1), guild(G2, "Other", C2)]
    application = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(application))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        await asyncio.wait_for(bot_for(application).ready.wait(), 10)
        yield application
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await application.close()


async def _setup(app: App, gid: str, channel: str) -> None:
    admin = Harness(app, platform="discord", role="admin", workspace=gid, channel=channel, user="1500000000000000005")
    assert not (await admin.say("/cos-service digest daily 14:05 UTC")).error
    assert not (await admin.say("/cos-service digest now")).error


async def _state(app: App, gid: str) -> tuple[int, int, int]:
    async with app.db.session() as s:
        scheds = list(
            (
                await s.execute(select(Schedule).where(Schedule.platform == "discord", Schedule.workspace == gid))
            ).scalars()
        )
        pending = (
            (await s.execute(select(Outbox).where(Outbox.workspace == gid, Outbox.status == OUTBOX_PENDING)))
            .scalars()
            .all()
        )
    return len(scheds), sum(x.active for x in scheds), len(pending)


async def _uninstalled(app: App, gid: str) -> bool:
    async with app.db.session() as s:
        ws = await s.get(Workspace, f"discord:{gid}")
        return ws is not None and ws.uninstalled_at is not None


async def test_guild_removal_stops_it_and_a_rejoin_finds_its_data(app: App, fake: FakeDiscord, clock: FakeClock):
    await _setup(app, G1, C1)
    await _setup(app, G2, C2)
    client = bot_for(app).client

    # An outage is not a removal.
    await fake.dispatch("GUILD_DELETE", {"id": G2, "unavailable": True})
    await fake.dispatch("GUILD_DELETE", {"id": G1})
    await fake.wait_for(lambda: client.get_guild(int(G1)) is None)
    for _ in range(200):
        if await _uninstalled(app, G1):
            break
        await asyncio.sleep(0.02)
    assert await _state(app, G1) == (1, 0, 0)
    assert await _state(app, G2) == (1, 1, 1) and not await _uninstalled(app, G2)

    clock.advance(timedelta(days=3))
    joined = guild(G1, "Acme", C1)
    del joined["unavailable"]  # a guild joining, as opposed to one back from an outage
    await fake.dispatch("GUILD_CREATE", joined)
    for _ in range(200):
        if not await _uninstalled(app, G1):
            break
        await asyncio.sleep(0.02)
    assert await _state(app, G1) == (1, 1, 0)

    # Removed again, past the retention period: housekeeping deletes it.
    await fake.dispatch("GUILD_DELETE", {"id": G1})
    for _ in range(200):
        if await _uninstalled(app, G1):
            break
        await asyncio.sleep(0.02)
    clock.advance(timedelta(days=31))
    await app.scheduler.housekeeping()
    assert await _state(app, G1) == (0, 0, 0)
    assert await _state(app, G2) == (1, 1, 1)
