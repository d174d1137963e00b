"""Fixtures of the core's team tests: a whole world (app, fake clock, recording transport) per database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.kernel.clock import FakeClock
from tests.world import World, make_world


@pytest.fixture
async def w(db_url: str, clock: FakeClock) -> AsyncIterator[World]:
    """A world on SQLite and on PostgreSQL (the audit, privacy and uninstall tests)."""
    world = await make_world(db_url, clock)
    try:
        yield world
    finally:
        await world.app.close()
