"""The real discord.py client logs in to a local fake Discord and answers a slash command."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from adapters.discord.platform import PLATFORM, bot_for
from bot.app import build_app
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import FakeDiscord, slash
from tests.conftest import shared_knowledge


async def _running(app, fake: FakeDiscord):  # type: ignore[no-untyped-def]
    task = asyncio.ensure_future(PLATFORM.run(app))
    await asyncio.wait_for(fake.identified.wait(), 10)
    return task


async def _stop(task: asyncio.Task) -> None:  # type: ignore[type-arg]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_login_gateway_and_slash_command_answered_with_legal_providers(
    dsettings: Settings, fake: FakeDiscord, clock
) -> None:  # type: ignore[no-untyped-def]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = await _running(app, fake)
    try:
        # Login used the REST base, the gateway got no compression and the right token.
        assert [c.path for c in fake.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]
        assert fake.calls[0].headers["Authorization"] == "Bot test-token.abc.def"
        assert "compress" not in fake.ws_query[0] and fake.ws_query[0]["encoding"] == "json"
        assert fake.identifies[0]["token"] == "test-token.abc.def"
        guild = fake.guilds[0]
        await fake.dispatch(
            "INTERACTION_CREATE",
            slash("cos-service", "legal", guild_id=guild["id"], channel_id=guild["channels"][0]["id"]),
        )
        await fake.wait_for(lambda: fake.callbacks())
        body = fake.callbacks()[0].body
        assert body["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE
        data = body["data"]
        assert data["flags"] & 64  # ephemeral first
        assert data["allowed_mentions"] == {"parse": []}
        text = " ".join(str(e) for e in data["embeds"])
        for provider in ("Skadden", "Latham & Watkins", "Wilson Sonsini"):
            assert provider in text
        assert data["embeds"][0]["title"] == "Comprehensive Legal Services"
        ids = [c["custom_id"] for row in data["components"] for c in row["components"]]
        assert "cos:share:" in ids and any(i.startswith("cos:providers:") for i in ids)
    finally:
        await _stop(task)
        await app.close()
    assert bot_for.__module__  # the client closed without raising
    assert task.done()


async def test_run_command_with_only_discord_settings_answers(dsettings: Settings, fake: FakeDiscord, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``cos-bot run`` (bot.cli._run) picks the Discord platform alone and answers."""
    from bot import cli

    settings = replace(dsettings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}")
    run = asyncio.ensure_future(cli._run(settings))
    try:
        await asyncio.wait_for(fake.identified.wait(), 15)
        guild = fake.guilds[0]
        await fake.dispatch(
            "INTERACTION_CREATE",
            slash("cos-service", "legal", guild_id=guild["id"], channel_id=guild["channels"][0]["id"]),
        )
        await fake.wait_for(lambda: fake.callbacks(), timeout=10)
        assert "Wilson Sonsini" in str(fake.callbacks()[0].body)
    finally:
        run.cancel()
        results = await asyncio.gather(run, return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)]


@pytest.mark.parametrize("bad", ["", "nonsense"])
async def test_bad_token_is_a_config_error(dsettings: Settings, fake: FakeDiscord, clock, bad: str) -> None:  # type: ignore[no-untyped-def]
    from bot.kernel.errors import ConfigError
    from tests.adapters.discord.fake_discord import Scripted

    fake.script("GET", "/users/@me", Scripted(401, {"message": "401: Unauthorized", "code": 0}))
    app = await build_app(replace(dsettings, discord_token=bad or "x"), clock=clock, knowledge=shared_knowledge())
    try:
        with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
            await asyncio.wait_for(PLATFORM.run(app), 10)
    finally:
        await app.close()


async def test_a_zh_cn_interaction_through_the_gateway_is_answered_in_chinese(
    dsettings: Settings, fake: FakeDiscord, clock
) -> None:  # type: ignore[no-untyped-def]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = await _running(app, fake)
    try:
        guild = fake.guilds[0]
        where = {"guild_id": guild["id"], "channel_id": guild["channels"][0]["id"]}
        await fake.dispatch("INTERACTION_CREATE", {**slash("cos-service", "schedules", **where), "locale": "zh-CN"})
        await fake.dispatch("INTERACTION_CREATE", slash("cos-service", "schedules", **where))  # en-US
        await fake.wait_for(lambda: len(fake.callbacks()) == 2)
        titles = sorted(c.body["data"]["embeds"][0]["title"] for c in fake.callbacks())
        assert titles == ["Schedules", "计划"]
    finally:
        await _stop(task)
        await app.close()
