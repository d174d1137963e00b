"""Interactions through the real discord.py client and CommandTree, over the fake gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.discord.handler import DiscordBot
from adapters.discord.platform import PLATFORM, bot_for
from bot.app import App, build_app
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import (
    APP_ID,
    FakeDiscord,
    dm_channel_id,
    guild,
    slash,
    user,
)
from tests.conftest import shared_knowledge

PAYLOADS = __import__("pathlib").Path(__file__).parent / "payloads"
G1, C1 = "900000000000000001", "910000000000000001"
G2, C2 = "900000000000000002", "910000000000000002"
MANAGE_SERVER = str(1071698660929 | 32)


@pytest.fixture
async def running(dsettings: Settings, fake: FakeDiscord, clock: Any) -> AsyncIterator[tuple[App, DiscordBot]]:
    fake.guilds = [guild(G1, "Acme", C1), guild(G2, "Globex", C2)]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(app))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        yield app, bot_for(app)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.close()


async def ask(fake: FakeDiscord, payload: dict[str, Any], *, n: int = 1) -> dict[str, Any]:
    """Dispatch an interaction and return the n-th callback body it produced."""
    before = len(fake.callbacks())
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda: len(fake.callbacks()) >= before + n)
    return fake.callbacks()[before + n - 1].body  # type: ignore[no-any-return]


def recorded(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


async def test_risk_command_through_the_tree(running: Any, fake: FakeDiscord) -> None:
    body = await ask(fake, recorded("slash_risk_manage_server"))
    assert body["type"] == 4
    text = json.dumps(body["data"]["embeds"])
    assert "GDPR" in text or "Data" in text


async def test_autocomplete_answers_at_most_25_choices(running: Any, fake: FakeDiscord) -> None:
    body = await ask(fake, recorded("autocomplete_risk"))
    assert body["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = body["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    empty = recorded("autocomplete_risk")
    empty["id"] = "1700000000000000099"
    empty["data"]["options"][0]["value"] = ""
    body = await ask(fake, empty)
    assert 0 < len(body["data"]["choices"]) <= 25


async def test_provider_button_answers_and_forged_button_is_polite(running: Any, fake: FakeDiscord) -> None:
    body = await ask(fake, recorded("button_providers"))
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert "Wilson Sonsini" in json.dumps(body["data"]["embeds"])
    body = await ask(fake, recorded("button_forged"))
    assert body["data"]["embeds"][0]["title"] == "That button has expired"
    stale = recorded("button_providers")
    stale["id"] = "1700000000000000098"
    stale["data"]["custom_id"] = "cos:providers:area.no-longer-there"
    body = await ask(fake, stale)
    assert "expired" in body["data"]["embeds"][0]["title"]


async def test_share_posts_the_answer_publicly_without_pings(running: Any, fake: FakeDiscord) -> None:
    body = await ask(fake, recorded("button_share"))
    data = body["data"]
    assert body["type"] == 4 and not data.get("flags", 0) & 64  # public
    assert data["embeds"][0]["title"] == "Comprehensive Legal Services"
    assert data["allowed_mentions"] == {"parse": []}
    assert data["content"].startswith("<@1500000000000000005> shared")


async def test_mass_mentions_in_a_query_are_never_echoed(running: Any, fake: FakeDiscord) -> None:
    body = await ask(fake, slash("cos-service", "@everyone @here zzqqxx", guild_id=G1, channel_id=C1))
    text = json.dumps(body, ensure_ascii=False)
    assert "@everyone" not in text and "@here" not in text
    assert body["data"]["allowed_mentions"] == {"parse": []}


async def test_slow_answer_is_deferred_then_followed_up(running: Any, fake: FakeDiscord) -> None:
    app, bot = running
    release = asyncio.Event()

    async def slow(request: Request, text: str) -> Reply:
        await release.wait()
        return Reply(title="Slow answer", sections=(Section(text="done"),))

    app.router.add_subcommand("cos-service", "slowtest", slow)
    bot.defer_after = 0.05
    payload = slash("cos-service", "slowtest", guild_id=G1, channel_id=C1)
    body = await ask(fake, payload)
    assert body["type"] == 5 and body["data"]["flags"] & 64  # deferred, ephemeral "thinking"
    release.set()
    path = f"/webhooks/{APP_ID}/{payload['token']}"
    await fake.wait_for(lambda: fake.requests(prefix=path))
    [follow] = fake.requests(prefix=path)
    assert follow.body["embeds"][0]["title"] == "Slow answer"
    assert follow.body["allowed_mentions"] == {"parse": []}


async def test_guild_data_is_isolated(running: Any, fake: FakeDiscord) -> None:
    """A stage set in one server is invisible in another (scheduler data keyed by guild id)."""
    body = await ask(fake, slash("cos-service", "stage growth", guild_id=G1, channel_id=C1, permissions=MANAGE_SERVER))
    assert "Stage" in json.dumps(body) or "growth" in json.dumps(body).lower()
    body = await ask(fake, slash("cos-service", "stage", guild_id=G1, channel_id=C1))
    assert body["data"]["embeds"][0]["title"].startswith("Stage:")
    body = await ask(fake, slash("cos-service", "stage", guild_id=G2, channel_id=C2))
    assert body["data"]["embeds"][0]["title"] == "No stage set yet"
    # A member without Manage Server may not set it.
    body = await ask(fake, slash("cos-service", "stage early", guild_id=G2, channel_id=C2))
    assert "can't" in body["data"]["embeds"][0]["title"]


async def test_requests_carry_the_guild_as_workspace(running: Any, fake: FakeDiscord) -> None:
    app, _ = running
    seen: list[Request] = []

    async def record(request: Request, text: str) -> Reply:
        seen.append(request)
        return Reply(title="ok")

    app.router.add_subcommand("cos-risk", "whoami", record)
    await ask(fake, slash("cos-risk", "whoami", guild_id=G1, channel_id=C1))
    await ask(fake, slash("cos-risk", "whoami", guild_id=G2, channel_id=C2, permissions=MANAGE_SERVER))
    await ask(fake, slash("cos-risk", "whoami", guild_id=None, channel_id="1800000000000000001"))
    assert [(r.workspace, r.role, r.is_dm) for r in seen] == [
        (G1, "member", False),
        (G2, "admin", False),
        ("dm", "member", True),
    ]


async def test_dm_messages_reach_the_core_and_get_an_answer(running: Any, fake: FakeDiscord) -> None:
    app, _ = running
    seen: list[Request] = []

    async def dm_handler(request: Request) -> Reply | None:
        seen.append(request)
        return None  # let the knowledge answer it

    app.router._dm_handlers.insert(0, dm_handler)
    message = recorded("message_dm")
    await fake.dispatch("MESSAGE_CREATE", message)
    path = f"/channels/{message['channel_id']}/messages"
    await fake.wait_for(lambda: fake.requests("POST", path))
    [req] = seen
    assert (req.command, req.is_dm, req.workspace, req.user) == ("message", True, "dm", "1500000000000000007")
    [sent] = fake.requests("POST", path)
    assert sent.body["allowed_mentions"] == {"parse": []} and sent.body["embeds"]
    # The bot's own messages are not answered.
    own = {**message, "id": "2000000000000000002", "author": user("1100000000000000001", "cos-bot", bot=True)}
    await fake.dispatch("MESSAGE_CREATE", own)
    await asyncio.sleep(0.05)
    assert len(seen) == 1


async def test_closed_dm_reply_is_logged_not_a_crash(running: Any, fake: FakeDiscord) -> None:
    _, bot = running
    fake.closed_dms.add("1500000000000000007")
    message = recorded("message_dm")
    message["channel_id"] = dm_channel_id("1500000000000000007")
    await fake.dispatch("MESSAGE_CREATE", message)
    await fake.wait_for(lambda: bot.errors)
    assert bot.errors == ["dm reply: 403 50007"]
    # The bot still answers afterwards.
    body = await ask(fake, slash("cos-service", "legal", guild_id=G1, channel_id=C1))
    assert "Skadden" in json.dumps(body)


async def test_callback_rate_limited_then_accepted(running: Any, fake: FakeDiscord) -> None:
    from tests.adapters.discord.fake_discord import Scripted

    payload = slash("cos-service", "legal", guild_id=G1, channel_id=C1)
    fake.script(
        "POST",
        f"/interactions/{payload['id']}/{payload['token']}/callback",
        Scripted(
            429, {"message": "You are being rate limited.", "retry_after": 0.01, "global": False}, {"Via": "1.1 google"}
        ),
    )
    body = await ask(fake, payload, n=2)
    assert "Skadden" in json.dumps(body)
