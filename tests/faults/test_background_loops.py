"""The platforms' own background loops while the database is away: Slack's and Discord's event-id prune
loops (a locked SQLite file, PostgreSQL refused or partitioned through ``FaultProxy``) and the Discord
gateway lease (PostgreSQL).

What must hold: the log says once that the database is down and once that it is back, naming the
loop's failed rounds in the second line; no warning or traceback per round; the loop keeps running
and does its work again by itself once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.discord.client import use_api_base
from adapters.discord.dedupe import housekeeping as discord_housekeeping
from adapters.discord.gateway_lease import GatewayShards, PostgresLease
from adapters.slack.server import create_adapter
from bot.app import App
from bot.kernel.clock import FakeClock
from bot.storage.models import ProcessedEvent
from tests.adapters.discord.fake_discord import APP_ID, FakeDiscord, guild
from tests.adapters.slack.conftest import BOT_TOKEN, FAST, SIGNING_SECRET
from tests.faults.proxy import FaultProxy
from tests.faults.test_database_down import LIMITS, assert_no_tracebacks, break_db, outage_lines, through, until
from tests.world import make_world, take_write_lock

TOKEN = "test-token.abc.def"
ROUND = 0.05  # seconds between prune rounds here (an hour in production)
# The prune loop calls no Slack API: the platform is configured, its API is never asked.
SLACK = {
    "slack_bot_token": BOT_TOKEN,
    "slack_signing_secret": SIGNING_SECRET,
    "slack_api_url": "http://127.0.0.1:9/api/",
}


async def _event(app: App, platform: str, received_at: datetime) -> None:
    async with app.db.session() as session:
        session.add(ProcessedEvent(platform=platform, event_id="Ev-old", received_at=received_at))


async def _event_ids(app: App) -> set[tuple[str, str]]:
    async with app.db.session() as session:
        return {(p, e) for p, e in (await session.execute(select(ProcessedEvent.platform, ProcessedEvent.event_id)))}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def _prune_loop(app: App, platform: str) -> tuple[asyncio.Future[None], Callable[[], Awaitable[None]]]:
    """The platform's prune loop as its platform starts it, a round every ``ROUND`` s; and how to close it."""
    if platform == "slack":
        adapter = await create_adapter(app, policy=FAST)
        loop = asyncio.ensure_future(adapter.housekeeping(interval=ROUND))

        async def close() -> None:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
            await adapter.close()

    else:
        loop = asyncio.ensure_future(discord_housekeeping(app, interval=ROUND))

        async def close() -> None:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)

    return loop, close


async def _survives_the_outage(
    app: App,
    platform: str,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    *,
    go_away: Callable[[], Awaitable[None]],
    come_back: Callable[[], Awaitable[None]],
) -> None:
    what = f"{platform} event-id prune"
    outage = app.db.outage
    loop, close = await _prune_loop(app, platform)
    try:
        await until(lambda: _pruned(app))  # the first round runs at once
        await _event(app, platform, clock.now() - timedelta(hours=23))  # a day old during the outage
        caplog.set_level(logging.INFO)
        await go_away()

        async def rounds_failed() -> bool:  # (or a warning a round, which the next line rejects)
            return outage.failed_work[what] >= 4 or len(_warnings(caplog)) > 1

        await until(rounds_failed, 30)
        assert not loop.done()
        assert _warnings(caplog) == outage_lines(caplog)[0], _warnings(caplog)  # the outage's line, not one a round
        clock.advance(timedelta(hours=2))
        await come_back()

        async def pruned_after() -> bool:
            return not outage.is_down and await _pruned(app)

        await until(pruned_after, 30)  # the loop prunes again by itself
        assert not loop.done()
    finally:
        await close()
    down, back = outage_lines(caplog)
    assert len(down) == 1, down
    assert len(back) == 1 and what in back[0], back
    assert _warnings(caplog) == down + back
    assert_no_tracebacks(caplog)


async def _pruned(app: App) -> bool:
    return ("slack", "Ev-old") not in await _event_ids(app) and ("discord", "Ev-old") not in await _event_ids(app)


@pytest.mark.parametrize("platform", ["slack", "discord"])
async def test_prune_loop_on_a_locked_sqlite_file_logs_once_each_way_and_prunes_after(
    tmp_path: Path, clock: FakeClock, platform: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cos-bot.db"
    world = await make_world(f"sqlite+aiosqlite:///{path}", clock, db_command_timeout=0.2, **SLACK)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)

    async def lock() -> None:
        await take_write_lock(holder)

    async def unlock() -> None:
        holder.execute("ROLLBACK")

    try:
        await _survives_the_outage(world.app, platform, clock, caplog, go_away=lock, come_back=unlock)
    finally:
        holder.close()
        await world.app.close()


@pytest.fixture
async def pg_world_app(proxy: FaultProxy, pg_url: str, clock: FakeClock) -> AsyncIterator[App]:
    world = await make_world(through(proxy, pg_url), clock, **LIMITS, **SLACK)
    try:
        yield world.app
    finally:
        await proxy.set_mode("forward")
        await world.app.close()


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_slack_prune_loop_through_a_postgres_outage_logs_once_each_way_and_prunes_after(
    pg_world_app: App, proxy: FaultProxy, clock: FakeClock, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def go_away() -> None:
        await break_db(proxy, fault)

    async def come_back() -> None:
        await proxy.set_mode("forward")

    await _survives_the_outage(pg_world_app, "slack", clock, caplog, go_away=go_away, come_back=come_back)


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_gateway_lease_through_a_postgres_outage_stands_down_logs_once_each_way_and_rejoins(
    proxy: FaultProxy, pg_url: str, clock: FakeClock, discord: FakeDiscord, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    discord.guilds = [guild("900000000000000001", "Acme", "910000000000000001")]
    app = await _discord_app(through(proxy, pg_url), clock, discord, **LIMITS)
    shards = GatewayShards(
        app,
        lease=PostgresLease(app.db.url, name="faults", limits=app.db.limits),
        shard_count=1,
        token=TOKEN,
        check_seconds=0.2,
    )
    what = "discord lease check"
    loop = asyncio.ensure_future(shards.run())
    try:
        await until(lambda: _holds(shards, discord), 20)
        caplog.set_level(logging.INFO)
        await break_db(proxy, fault)

        async def stood_down_and_retried() -> bool:  # (or a warning a round, which the next line rejects)
            return (not shards.held and app.db.outage.failed_work[what] >= 4) or len(_warnings(caplog)) > 1

        await until(stood_down_and_retried, 40)
        assert not loop.done()
        assert len(_warnings(caplog)) == 1, _warnings(caplog)  # the outage's line, not one per round
        await proxy.set_mode("forward")
        await until(lambda: _holds(shards, discord), 30)  # rejoined by itself, one gateway session again
        assert not loop.done()
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await proxy.set_mode("forward")
        await app.close()
    down, back = outage_lines(caplog)
    assert len(down) == 1, down
    assert len(back) == 1 and what in back[0], back
    assert _warnings(caplog) == down + back
    assert_no_tracebacks(caplog)
    stood_down = [r.getMessage() for r in caplog.records if "lost the shard lease" in r.getMessage()]
    assert len(stood_down) == 1, stood_down


async def _discord_app(url: str, clock: FakeClock, discord: FakeDiscord, **settings: Any) -> App:
    """An app on ``url`` whose Discord settings point at the fake Discord (its REST client too)."""
    world = await make_world(
        url,
        clock,
        discord_token=TOKEN,
        discord_application_id=APP_ID,
        discord_api_base=discord.api_base,
        discord_gateway_url=discord.gateway_url,
        **settings,
    )
    use_api_base(world.app.settings)
    return world.app


async def _holds(shards: GatewayShards, discord: FakeDiscord) -> bool:
    return list(shards.held) == [0] and discord.session_shards() == [(0, 1)] and _ready(shards)


def _ready(shards: GatewayShards) -> Any:
    return all(h.bot.client.is_ready() for h in shards.held.values())


@pytest.mark.postgres
async def test_a_lease_check_that_goes_through_does_not_end_an_outage_it_did_not_see(
    pg_url: str, clock: FakeClock, discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """The lease keeps its own connection open: while new connections are refused for the pool (too many
    connections), its checks still go through, and must not say "database back" every round."""
    app = await _discord_app(pg_url, clock, discord)
    shards = GatewayShards(
        app, lease=PostgresLease(app.db.url, name="quiet"), shard_count=1, token=TOKEN, check_seconds=0.1
    )
    loop = asyncio.ensure_future(shards.run())
    try:
        await until(lambda: _holds(shards, discord), 20)
        caplog.set_level(logging.INFO)
        app.db.outage.failed("request", "TooManyConnectionsError")  # what a request found meanwhile
        rounds = len(shards.changes)

        await asyncio.sleep(1.0)  # about ten lease checks, each going through
        assert app.db.outage.is_down and len(shards.changes) == rounds  # still down; the lease undisturbed
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await app.close()
    down, back = outage_lines(caplog)
    assert len(down) == 1 and back == [], (down, back)
