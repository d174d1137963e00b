"""Gateway shards elected through the database, and events handled once when two sessions are open."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest

from adapters.discord.client import use_api_base
from adapters.discord.gateway_lease import (
    GatewayShards,
    PostgresLease,
    ShardBot,
    fair_share,
    shard_of,
)
from bot.app import App, build_app
from bot.kernel.settings import Settings
from tests.adapters.discord.conftest import discord_settings
from tests.adapters.discord.fake_discord import FakeDiscord, dm_channel_id, guild, slash, snowflake
from tests.adapters.discord.test_interactions import recorded
from tests.conftest import shared_knowledge

TOKEN = "test-token.abc.def"
C0, C1 = "910000000000000001", "910000000000000002"


def test_fair_share_and_discords_shard_rule() -> None:
    assert [fair_share(4, n) for n in (1, 2, 3, 4, 5)] == [4, 2, 2, 1, 1]
    assert fair_share(1, 0) == 1
    assert shard_of(None, 4) == 0 and shard_of(3 << 22, 2) == 1 and shard_of(2 << 22, 2) == 0
    assert shard_of(7 << 22, 4) == 3


@asynccontextmanager
async def _app(db_url: str, fake: FakeDiscord, clock: Any) -> AsyncIterator[App]:
    settings = discord_settings(Settings(database_url=db_url, scheduler_enabled=False), fake)
    app = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    try:
        yield app
    finally:
        await app.close()


async def _until(predicate: Any, timeout: float = 20.0) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - state changed by other tasks
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


@pytest.mark.postgres
async def test_replicas_split_the_shards_and_take_over_when_one_leaves(
    pg_url: str, fake: FakeDiscord, clock: Any
) -> None:
    g0, g1 = str(2 << 22), str(3 << 22)  # shard 0 and shard 1 of two
    fake.guilds = [guild(g0, "Zero", C0), guild(g1, "One", C1)]
    async with AsyncExitStack() as stack:
        apps = [await stack.enter_async_context(_app(pg_url, fake, clock)) for _ in range(2)]
        use_api_base(apps[0].settings)
        replicas = [
            GatewayShards(a, lease=PostgresLease(a.db.url, name=f"r{i}"), shard_count=2, token=TOKEN, check_seconds=0.2)
            for i, a in enumerate(apps)
        ]
        tasks = [asyncio.ensure_future(r.run()) for r in replicas]
        try:
            # Each replica holds one shard: both shards have exactly one session.
            await _until(
                lambda: sorted(fake.session_shards()) == [(0, 2), (1, 2)] and all(len(r.held) == 1 for r in replicas)
            )
            await asyncio.sleep(1.0)  # several more rounds: nobody grabs more than its share
            assert sorted(fake.session_shards()) == [(0, 2), (1, 2)]
            assert sorted(s for r in replicas for s in r.held) == [0, 1]
            # A command in each guild is answered once, by the session of its shard.
            for g, c in ((g0, C0), (g1, C1)):
                await fake.dispatch("INTERACTION_CREATE", slash("cos-service", "legal", guild_id=g, channel_id=c))
            await fake.wait_for(lambda: len(fake.callbacks()) == 2)
            # One replica leaves (shutdown): it closes its session and releases; the other serves both.
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
            await _until(
                lambda: sorted(replicas[1].held) == [0, 1] and sorted(fake.session_shards()) == [(0, 2), (1, 2)]
            )
            assert replicas[0].held == {}
            assert [shards for _, shards in replicas[0].changes][-1] == ()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    assert fake.rejected_callbacks == []


async def test_two_open_sessions_handle_each_event_once(db_url: str, fake: FakeDiscord, clock: Any) -> None:
    """During a hand-over two sessions of one shard may be open: a command, a click and a DM are handled once."""
    fake.guilds = [guild("900000000000000001", "Acme", "910000000000000001")]
    async with _app(db_url, fake, clock) as app1, _app(db_url, fake, clock) as app2:
        use_api_base(app1.settings)
        bots = [ShardBot(app1, shard=(0, 1)), ShardBot(app2, shard=(0, 1))]
        tasks = [asyncio.ensure_future(b.client.start(TOKEN)) for b in bots]
        try:
            await asyncio.wait_for(asyncio.gather(*(b.ready.wait() for b in bots)), 15)
            assert len(fake.session_shards()) == 2
            ids = []
            for payload in (
                slash("cos-service", "legal", guild_id="900000000000000001", channel_id="910000000000000001"),
                recorded("button_providers"),
                recorded("autocomplete_risk"),
            ):
                payload = copy.deepcopy(payload)
                payload["id"] = snowflake()
                ids.append(payload["id"])
                await fake.dispatch("INTERACTION_CREATE", payload)
            dm = copy.deepcopy(recorded("message_dm"))
            dm["channel_id"] = dm_channel_id(dm["author"]["id"])
            await fake.dispatch("MESSAGE_CREATE", dm)
            await fake.wait_for(lambda: len(fake.callbacks()) >= 3 and fake.messages.get(dm["channel_id"]))
            await asyncio.sleep(0.5)  # a second answer, if any, would arrive now
            per_interaction = Counter(c.path.split("/")[2] for c in fake.callbacks())
            assert per_interaction == Counter(ids)
            assert fake.rejected_callbacks == []
            assert len(fake.messages[dm["channel_id"]]) == 1
            assert [b.errors for b in bots] == [[], []]
        finally:
            for b in bots:
                await b.close()
            await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.postgres
async def test_a_holder_that_loses_its_database_connection_stands_down(
    pg_url: str, fake: FakeDiscord, clock: Any
) -> None:
    """The holder's lease connection is cut (as by a network failure): it closes its session, and afterwards
    exactly one replica holds the shard again."""
    import asyncpg  # type: ignore[import-untyped]

    async with AsyncExitStack() as stack:
        apps = [await stack.enter_async_context(_app(pg_url, fake, clock)) for _ in range(2)]
        use_api_base(apps[0].settings)
        replicas = [
            GatewayShards(
                a, lease=PostgresLease(a.db.url, name=f"cut{i}"), shard_count=1, token=TOKEN, check_seconds=0.2
            )
            for i, a in enumerate(apps)
        ]
        tasks = [asyncio.ensure_future(r.run()) for r in replicas]
        try:
            await _until(lambda: len(fake.session_shards()) == 1 and sum(len(r.held) for r in replicas) == 1)
            holder = next(i for i, r in enumerate(replicas) if r.held)
            conn = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
            try:
                cut = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                    f"cos-bot discord lease cut{holder}",
                )
            finally:
                await conn.close()
            assert cut == 1
            # The holder notices on its next round and stands down ...
            await _until(lambda: () in [shards for _, shards in replicas[holder].changes[1:]])
            # ... and one replica (either) serves the shard again, with one session.
            await _until(lambda: len(fake.session_shards()) == 1 and sum(len(r.held) for r in replicas) == 1)
            assert len(fake.identifies) == 2
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_auto_shard_count_comes_from_gateway_bot(dsettings: Settings, fake: FakeDiscord) -> None:
    from adapters.discord.client import make_client
    from adapters.discord.gateway_lease import resolve_shard_count

    fake.shard_count = 3
    client = make_client(dsettings)
    try:
        await client.login(TOKEN)
        assert await resolve_shard_count(client, 0) == 3
        assert await resolve_shard_count(client, 2) == 2
        assert fake.requests("GET", "/gateway/bot")
    finally:
        await client.close()


async def test_discord_event_ids_are_pruned_after_a_day(app: App, clock: Any) -> None:
    from datetime import timedelta

    from adapters.discord.dedupe import first_time, prune

    assert await first_time(app, "interaction:1") and not await first_time(app, "interaction:1")
    clock.advance(timedelta(hours=25))
    assert await first_time(app, "interaction:2")
    assert await prune(app) == 1
    assert await first_time(app, "interaction:1") and not await first_time(app, "interaction:2")
