"""Prev/Next on a long reply keep working on another replica and after a restart: the pages live in the
database (``interaction_state``), the button's custom id carries the key. Expired or unknown keys get the
polite reply."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from adapters.discord.platform import PLATFORM, bot_for
from adapters.discord.render import to_pages
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from bot.storage.models import InteractionState
from tests.adapters.discord.conftest import discord_settings
from tests.adapters.discord.fake_discord import FakeDiscord, guild, slash, snowflake
from tests.adapters.discord.test_interactions import C1, C2, G1, G2, ask, recorded
from tests.conftest import shared_knowledge


async def _long(request: Request, text: str) -> Reply:
    return Reply(
        title="A very long answer",
        sections=tuple(
            Section(heading=f"Part {i}", text=f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 60)
            for i in range(1, 13)
        ),
        footer="Source: test",
    )


@asynccontextmanager
async def replica(db_url: str, clock: FakeClock) -> AsyncIterator[tuple[App, FakeDiscord]]:
    """One bot process: its own App and Discord connection, on the shared database."""
    fake = await FakeDiscord(guilds=[guild(G1, "Acme", C1), guild(G2, "Globex", C2)]).start()
    settings = discord_settings(Settings(database_url=db_url, scheduler_enabled=False), fake)
    app = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    app.router.add_subcommand("cos-service", "longtest", _long)
    task = asyncio.ensure_future(PLATFORM.run(app))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        await asyncio.wait_for(bot_for(app).ready.wait(), 10)
        yield app, fake
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.close()
        await fake.stop()


def _press(custom_id: str, message: dict[str, Any], *, guild_id: str = G1) -> dict[str, Any]:
    payload = copy.deepcopy(recorded("button_providers"))
    payload["id"] = snowflake()
    payload["token"] = "tok-" + payload["id"]
    payload["data"]["custom_id"] = custom_id
    payload["message"]["embeds"] = message["embeds"]
    payload["message"]["components"] = message["components"]
    if guild_id != G1:
        payload["guild_id"] = payload["channel"]["guild_id"] = guild_id
        payload["authorizing_integration_owners"] = {"0": guild_id}
    return payload


def _nav(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Prev/Next buttons of a message, by label."""
    return {
        c["label"]: c for row in data["components"] for c in row["components"] if c["custom_id"].startswith("cos:page:")
    }


async def _first_page(fake: FakeDiscord) -> dict[str, Any]:
    body = await ask(fake, slash("cos-service", "longtest", guild_id=G1, channel_id=C1))
    assert body["type"] == 4
    data: dict[str, Any] = body["data"]
    assert "Page 1 of" in data["embeds"][-1]["footer"]["text"]
    return data


async def test_page_button_from_one_replica_works_on_another(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    async with replica(db_url, clock) as (_, fake1):
        first = await _first_page(fake1)
    nav = _nav(first)
    assert nav["◀ Prev"]["disabled"] and not nav["Next ▶"]["disabled"]
    next_id = nav["Next ▶"]["custom_id"]
    assert len(next_id) <= 100
    # The first process is gone (a restart, or another replica takes the press).
    async with replica(db_url, clock) as (app2, fake2):
        body = await ask(fake2, _press(next_id, first))
        assert body["type"] == 7, body  # UPDATE_MESSAGE: the same message shows page 2
        page2 = body["data"]
        text = json.dumps(page2["embeds"], ensure_ascii=False)
        key = next_id.split(":")[2]
        expected = to_pages(await _long(None, ""), ephemeral=True, page_token=key)  # type: ignore[arg-type]
        assert len(expected) > 2 and "Page 2 of" in text and "Paragraph 1:" not in text
        assert [e.get("description") for e in page2["embeds"]] == [e.get("description") for e in expected[1].embeds]
        assert page2["allowed_mentions"] == {"parse": []}
        back = _nav(page2)["◀ Prev"]
        assert back["custom_id"] == f"cos:page:{key}:0" and not back["disabled"]
        assert _nav(page2)["Next ▶"]["custom_id"] == f"cos:page:{key}:2"
        # ... and back again, on this replica
        body = await ask(fake2, _press(back["custom_id"], page2))
        assert body["type"] == 7 and body["data"]["embeds"][0]["title"] == "A very long answer"
        # The same key pressed from another server is not found there.
        body = await ask(fake2, _press(next_id, first, guild_id=G2))
        assert body["type"] == 4 and body["data"]["embeds"][0]["title"] == "That list has expired"
        async with app2.db.session() as s:
            assert (await s.execute(select(func.count()).select_from(InteractionState))).scalar_one() == 1


async def test_expired_or_unknown_page_state_gets_the_polite_reply(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    async with replica(sqlite_url, clock) as (app, fake):
        first = await _first_page(fake)
        next_id = _nav(first)["Next ▶"]["custom_id"]
        clock.advance(timedelta(hours=23))
        body = await ask(fake, _press(next_id, first))
        assert body["type"] == 7
        clock.advance(timedelta(hours=2))  # past the 24 h the pages are kept
        body = await ask(fake, _press(next_id, first))
        assert body["type"] == 4 and body["data"]["flags"] & 64
        assert body["data"]["embeds"][0]["title"] == "That list has expired"
        for forged in ("cos:page:nosuchkey:1", "cos:page::1", "cos:page:" + next_id.split(":")[2] + ":x"):
            body = await ask(fake, _press(forged, first))
            assert body["data"]["embeds"][0]["title"] == "That list has expired", forged
        assert bot_for(app).errors == []
