"""DiscordTransport against the fake Discord: nonces, closed DMs, 429s, unknown channels."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.client import make_client
from adapters.discord.transport import DiscordTransport, nonce_for
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.settings import Settings
from bot.kernel.transport import Transport
from tests.adapters.discord.fake_discord import FakeDiscord, Scripted, dm_channel_id

REPLY = Reply(
    title="Weekly digest",
    sections=(Section(text="@everyone three milestones are due"),),
    buttons=(Button("Share in channel", "share"), Button("Open", "open", "area.comprehensive-legal-services")),
    ephemeral=False,
)
RATE_LIMIT_HEADERS = {"Via": "1.1 google", "X-RateLimit-Scope": "user"}


@pytest.fixture
async def transport(dsettings: Settings) -> AsyncIterator[DiscordTransport]:
    client = make_client(dsettings)
    await client.http.static_login(dsettings.discord_token or "")
    try:
        yield DiscordTransport(client)
    finally:
        await client.close()


def test_is_a_transport_and_nonces_are_deterministic() -> None:
    assert isinstance(DiscordTransport(make_client(Settings())), Transport)
    assert nonce_for("digest:1:2026-03-02") == nonce_for("digest:1:2026-03-02")
    assert nonce_for("digest:1:2026-03-02") != nonce_for("digest:1:2026-03-09")
    assert nonce_for("k", 0) != nonce_for("k", 1)
    assert all(len(nonce_for("x" * n)) <= 25 for n in (0, 1, 500))


async def test_channel_post_carries_nonce_and_no_pings(transport: DiscordTransport, fake: FakeDiscord) -> None:
    result = await transport.send_channel(
        workspace="900000000000000001", channel="910000000000000001", reply=REPLY, key="digest:7:2026-03-02"
    )
    [call] = fake.requests("POST", "/channels/910000000000000001/messages")
    body = call.body
    assert body["nonce"] == nonce_for("digest:7:2026-03-02") and body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in str(body) and "flags" not in body
    ids = [c["custom_id"] for row in body["components"] for c in row["components"]]
    assert ids == ["cos:open:area.comprehensive-legal-services"]  # no Share on a public post
    assert result.channel == "910000000000000001" and result.message_id


async def test_same_key_twice_posts_once(transport: DiscordTransport, fake: FakeDiscord) -> None:
    for _ in range(2):
        await transport.send_channel(workspace="g", channel="910000000000000001", reply=REPLY, key="k1")
    assert len(fake.requests("POST", "/channels/910000000000000001/messages")) == 2
    assert len(fake.messages["910000000000000001"]) == 1  # Discord dropped the repeat by nonce


async def test_closed_dm_is_permanent_recorded_and_not_retried(transport: DiscordTransport, fake: FakeDiscord) -> None:
    fake.closed_dms.add("1500000000000000009")
    with pytest.raises(DeliveryError) as err:
        await transport.send_dm(workspace="900000000000000001", user="1500000000000000009", reply=REPLY, key="c1")
    assert err.value.permanent and err.value.code == "50007"
    assert "1500000000000000009" in transport.undeliverable
    assert (
        len(fake.requests("POST", f"/channels/{dm_channel_id('1500000000000000009')}/messages")) == 1
    )  # one attempt, no loop


async def test_dm_is_delivered_through_a_dm_channel(transport: DiscordTransport, fake: FakeDiscord) -> None:
    result = await transport.send_dm(workspace="900000000000000001", user="1500000000000000005", reply=REPLY, key="c2")
    assert result.channel == dm_channel_id("1500000000000000005")
    [open_dm] = fake.requests("POST", "/users/@me/channels")
    assert open_dm.body == {"recipient_id": "1500000000000000005"}
    await transport.send_dm(workspace="900000000000000001", user="1500000000000000005", reply=REPLY, key="c3")
    assert len(fake.requests("POST", "/users/@me/channels")) == 1  # the DM channel is cached


async def test_short_429_is_waited_out(transport: DiscordTransport, fake: FakeDiscord) -> None:
    path = "/channels/910000000000000001/messages"
    fake.script(
        "POST",
        path,
        *[
            Scripted(
                429,
                {"message": "You are being rate limited.", "retry_after": 0.01, "global": False},
                RATE_LIMIT_HEADERS,
            )
            for _ in range(3)
        ],
    )
    result = await transport.send_channel(workspace="g", channel="910000000000000001", reply=REPLY, key="k429")
    assert result.message_id
    assert len(fake.requests("POST", path)) == 4
    assert len(fake.messages["910000000000000001"]) == 1


async def test_long_429_becomes_a_temporary_delivery_error(transport: DiscordTransport, fake: FakeDiscord) -> None:
    path = "/channels/910000000000000001/messages"
    fake.script(
        "POST",
        path,
        Scripted(
            429, {"message": "You are being rate limited.", "retry_after": 600, "global": False}, RATE_LIMIT_HEADERS
        ),
    )
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="g", channel="910000000000000001", reply=REPLY, key="klong")
    assert not err.value.permanent and err.value.retry_after == 600
    assert len(fake.requests("POST", path)) == 1


async def test_unknown_channel_is_permanent(transport: DiscordTransport, fake: FakeDiscord) -> None:
    fake.script("POST", "/channels/404/messages", Scripted(404, {"message": "Unknown Channel", "code": 10003}))
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="g", channel="404", reply=REPLY, key="k404")
    assert err.value.permanent and err.value.code == "10003"


async def test_bad_request_is_not_a_crash(transport: DiscordTransport, fake: FakeDiscord) -> None:
    fake.script("POST", "/channels/1/messages", Scripted(400, {"message": "Invalid Form Body", "code": 50035}))
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="g", channel="1", reply=REPLY, key="k400")
    assert err.value.code == "50035" and err.value.permanent  # resending the same body cannot help


async def test_not_connected_is_a_temporary_error(dsettings: Settings) -> None:
    import asyncio

    never = asyncio.Event()
    t = DiscordTransport(make_client(dsettings), ready=never.wait, ready_timeout=0.01)
    with pytest.raises(DeliveryError) as err:
        await t.send_channel(workspace="g", channel="1", reply=REPLY, key="k")
    assert not err.value.permanent and err.value.retry_after
