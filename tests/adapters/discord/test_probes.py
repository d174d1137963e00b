"""``cos-bot run`` with Discord only serves /healthz, /readyz and /metrics on COS_HTTP_PORT."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace

import aiohttp
import pytest

from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import FakeDiscord, slash

_LISTENING = re.compile(r"http: listening on http://[^:]+:(\d+)")


async def _port(caplog: pytest.LogCaptureFixture) -> int:
    for _ in range(300):
        for record in caplog.records:
            if m := _LISTENING.search(record.getMessage()):
                return int(m.group(1))
        await asyncio.sleep(0.05)
    raise AssertionError("the probe server did not start")


async def _ready(http: aiohttp.ClientSession, url: str) -> dict:  # type: ignore[type-arg]
    for _ in range(200):
        async with http.get(url) as response:
            body = await response.json()
            if response.status == 200:
                return body  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"never ready: {body}")


async def test_run_with_discord_only_serves_probes_on_cos_http_port(
    dsettings: Settings, fake: FakeDiscord, tmp_path, caplog
) -> None:  # type: ignore[no-untyped-def]
    from bot import cli

    caplog.set_level(logging.INFO)
    settings = replace(dsettings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", http_port=0)
    run = asyncio.ensure_future(cli._run(settings))
    try:
        base = f"http://127.0.0.1:{await _port(caplog)}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as health:
                assert health.status == 200
            ready = await _ready(http, base + "/readyz")
            assert ready["checks"] == {"database": "ok", "migrations": "at head", "discord": "up"}
            guild = fake.guilds[0]
            await fake.dispatch(
                "INTERACTION_CREATE",
                slash("cos-service", "legal", guild_id=guild["id"], channel_id=guild["channels"][0]["id"]),
            )
            await fake.wait_for(lambda: fake.callbacks(), timeout=10)
            async with http.get(base + "/metrics") as scraped:
                text = await scraped.text()
        assert 'cos_commands_total{command="cos-service",matched="true",platform="discord"}' in text
    finally:
        run.cancel()
        results = await asyncio.gather(run, return_exceptions=True)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, asyncio.CancelledError)]
