"""Fixtures for the Discord adapter: a fake Discord on 127.0.0.1 and a bot wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.app import App
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import APP_ID, FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        yield server
    finally:
        await server.stop()


def discord_settings(settings: Settings, fake: FakeDiscord, **extra: object) -> Settings:
    return replace(
        settings,
        discord_token="test-token.abc.def",
        discord_application_id=APP_ID,
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        **extra,
    )  # type: ignore[arg-type]


@pytest.fixture
def dsettings(settings: Settings, fake: FakeDiscord) -> Settings:
    return discord_settings(settings, fake)


_ = App
