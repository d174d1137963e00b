"""Issue 5 end to end on Discord: schedule commands through the real discord.py client and CommandTree
over the local fake gateway; deliveries through the real DiscordTransport to the fake REST API; time from
the FakeClock, the scheduler driven by ``Scheduler.tick()``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.discord.platform import PLATFORM, bot_for
from adapters.discord.transport import DiscordTransport, nonce_for
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.scheduler import outbox
from bot.scheduler.pacing import Pacer
from bot.team.models import CheckinAnswer
from tests.adapters.discord.fake_discord import Call, FakeDiscord, dm_channel_id, guild, slash, user
from tests.conftest import shared_knowledge
from tests.world import outbox_rows, schedules

G1, C1 = "900000000000000001", "910000000000000001"
ADMIN, MEMBER = "1500000000000000005", "1500000000000000006"
ALICE, BOB = "1500000000000000011", "1500000000000000012"
EVERYONE_PERMS = 1071698660929  # the fake's default: no Manage Server
MANAGE_SERVER = str(EVERYONE_PERMS | 32)
MASS_MENTIONS = ("@everyone", "@here")


def fake_time_pacer(clock: FakeClock) -> Pacer:
    """The production limits, but on fake time: a wait moves the clock instead of sleeping."""

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return Pacer(monotonic=lambda: clock.now().timestamp(), sleep=sleep)


@dataclass
class Rig:
    app: App
    fake: FakeDiscord
    clock: FakeClock
    transport: DiscordTransport

    async def ask(self, text: str, *, user: str = ADMIN, admin: bool = True) -> str:
        """``/cos-service query:<text>`` in C1; the text of the (ephemeral) answer."""
        before = len(self.fake.callbacks())
        payload = slash(
            "cos-service",
            text,
            guild_id=G1,
            channel_id=C1,
            user_id=user,
            permissions=MANAGE_SERVER if admin else str(EVERYONE_PERMS),
        )
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await self.fake.wait_for(lambda: len(self.fake.callbacks()) > before)
        data = self.fake.callbacks()[before].body["data"]
        assert data["flags"] & 64 and data["allowed_mentions"] == {"parse": []}
        return json.dumps(data["embeds"], ensure_ascii=False)

    async def tick(self) -> None:
        await self.app.scheduler.tick()

    def posts(self, channel: str) -> list[Call]:
        return self.fake.requests("POST", f"/channels/{channel}/messages")


@pytest.fixture
async def rig(dsettings: Settings, fake: FakeDiscord, clock: FakeClock) -> AsyncIterator[Rig]:
    fake.guilds = [guild(G1, "Acme", C1)]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(app))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        bot = bot_for(app)
        await asyncio.wait_for(bot.ready.wait(), 10)
        app.transports["discord"] = PLATFORM.make_transport(app)  # what `cos-bot run` wires
        app.scheduler.pacer = fake_time_pacer(clock)
        yield Rig(app, fake, clock, bot.transport)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.close()


def assert_safe(call: Call, *, may_ping: tuple[str, ...] = ()) -> None:
    body = call.body
    expected: dict[str, object] = {"parse": []}
    if may_ping:
        expected["users"] = list(may_ping)
    assert body["allowed_mentions"] == expected
    raw = json.dumps(body)
    for ping in MASS_MENTIONS:
        assert ping not in raw


async def test_weekly_berlin_digest_from_a_slash_command_posts_once_with_a_nonce(rig: Rig) -> None:
    # A member without Manage Server is refused, and nothing is stored.
    refused = await rig.ask("digest weekly monday 09:00 Europe/Berlin", user=MEMBER, admin=False)
    assert "Only admins can schedule digests" in refused
    assert await schedules(rig.app) == []

    answer = await rig.ask("digest weekly monday 09:00 Europe/Berlin")
    assert "Digest scheduled" in answer
    [digest] = await schedules(rig.app)
    assert (digest.platform, digest.workspace, digest.channel, digest.kind) == ("discord", G1, C1, "digest")
    assert (digest.cadence, digest.weekday, digest.hour, digest.minute, digest.tz) == (
        "weekly",
        0,
        9,
        0,
        "Europe/Berlin",
    )
    assert digest.created_by == ADMIN
    assert rig.posts(C1) == []  # the command's answer is an interaction callback, not a channel post

    # Monday 9 March, 09:00 in Berlin is 08:00 UTC (CET); after the March change it is 07:00 UTC (CEST).
    expected = [
        datetime(2026, 3, 9, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]
    for n, at in enumerate(expected, 1):
        rig.clock.set(at - timedelta(minutes=1))
        await rig.tick()
        assert len(rig.posts(C1)) == n - 1, f"nothing before {at}"
        rig.clock.set(at + timedelta(minutes=1))
        await rig.tick()
        await rig.tick()  # a repeat tick sends nothing more
        posted = rig.posts(C1)
        assert len(posted) == n, f"exactly one digest at {at}"
        body = posted[-1].body
        key = f"digest:discord:{G1}:{digest.id}:{at:%Y%m%dT%H%M%SZ}:channel:{C1}"
        assert body["nonce"] == nonce_for(key, 0) and body["enforce_nonce"] is True
        assert len(body["nonce"]) <= 25
        [embed, *_] = body["embeds"]
        assert embed["title"] == "Team digest"
        assert "Service tip" in json.dumps(body["embeds"])
        assert_safe(posted[-1])
    assert len({c.body["nonce"] for c in rig.posts(C1)}) == 4
    rows = await outbox_rows(rig.app, kind="digest")
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)] * 4


async def test_resend_after_a_crash_carries_the_same_nonce_and_discord_drops_it(rig: Rig) -> None:
    """A worker that sent but died before marking the row sent: once its lease has run out, the next
    worker re-sends with the same nonce, and Discord keeps one message."""
    await rig.ask("digest weekly monday 09:00 Europe/Berlin")
    rig.clock.set(datetime(2026, 3, 9, 8, 1, tzinfo=UTC))
    await rig.app.scheduler.plan()
    [row] = await outbox.claim(
        rig.app.db, token="crashed-worker", now=rig.clock.now(), limit=10, lease=timedelta(minutes=5)
    )
    await rig.app.transports["discord"].send_channel(
        workspace=G1, channel=C1, key=row.key, reply=await _render(rig.app, row)
    )
    assert len(rig.fake.messages[C1]) == 1
    await rig.tick()
    assert len(rig.posts(C1)) == 1, "the row is leased: nobody else sends it"
    rig.clock.advance(timedelta(minutes=6))
    await rig.tick()
    posted = rig.posts(C1)
    assert len(posted) == 2 and posted[0].body["nonce"] == posted[1].body["nonce"] == nonce_for(row.key, 0)
    assert len(rig.fake.messages[C1]) == 1, "Discord kept one message"
    [stored] = await outbox_rows(rig.app, kind="digest")
    assert (stored.status, stored.attempts) == ("sent", 1)  # a re-claim after a lost lease is not a new try


async def _render(app: App, row: Any) -> Any:
    async with app.db.session() as session:
        return await app.deliveries.render(app, session, row, app.clock.now())


async def test_checkin_dm_to_a_closed_dm_falls_back_to_a_channel_mention_once(rig: Rig) -> None:
    rig.fake.closed_dms.add(BOB)
    refused = await rig.ask(f"checkin friday 16:00 <@{ALICE}> <@!{BOB}>", user=MEMBER, admin=False)
    assert "Only admins" in refused
    answer = await rig.ask(f"checkin friday 16:00 <@{ALICE}> <@!{BOB}>")
    assert "Check-in scheduled" in answer
    [checkin] = await schedules(rig.app)
    assert json.loads(checkin.participants or "[]") == [ALICE, BOB]

    # Friday 6 March 16:00 UTC (the participants have no zone of their own).
    for at in (datetime(2026, 3, 6, 15, 59, tzinfo=UTC), datetime(2026, 3, 6, 16, 1, tzinfo=UTC)):
        rig.clock.set(at)
        await rig.tick()
    alice_dm = rig.posts(dm_channel_id(ALICE))
    assert len(alice_dm) == 1 and "What did you move forward" in json.dumps(alice_dm[0].body["embeds"])
    assert alice_dm[0].body["enforce_nonce"] is True
    bob_dm = rig.posts(dm_channel_id(BOB))
    assert len(bob_dm) == 1  # refused with 403 / 50007
    fallback = rig.posts(C1)
    assert len(fallback) == 1
    text = json.dumps(fallback[0].body["embeds"])
    assert f"<@{BOB}>" in text and "could not reach you by direct message" in text
    assert "What did you move forward" in text
    bob_key = f"checkin:discord:{G1}:{checkin.id}:20260306T160000Z:dm:{BOB}"
    assert fallback[0].body["nonce"] == nonce_for(bob_key + ":fallback", 0)
    # The fallback pings Bob, and only Bob.
    assert fallback[0].body["content"] == f"<@{BOB}>"
    assert_safe(fallback[0], may_ping=(BOB,))
    [row] = await outbox_rows(rig.app, kind="checkin", target=BOB)
    assert (row.status, row.fallback, row.attempts) == ("sent", True, 1)
    assert "closed" in (row.last_error or "")
    assert rig.transport.undeliverable[BOB][0] == "50007"

    # Not retried in a loop: more ticks (before the 20:00 nudge) touch neither Bob's DM nor the channel.
    for _ in range(10):
        rig.clock.advance(timedelta(minutes=10))
        await rig.tick()
    assert len(rig.posts(dm_channel_id(BOB))) == 1 and len(rig.posts(C1)) == 1
    assert len(rig.posts(dm_channel_id(ALICE))) == 1
    # The 20:00 nudge tries Bob's DM once more but does not mention him in the channel again.
    rig.clock.set(datetime(2026, 3, 6, 20, 1, tzinfo=UTC))
    await rig.tick()
    assert len(rig.posts(C1)) == 1
    [nudge] = await outbox_rows(rig.app, kind="nudge", target=BOB)
    assert nudge.status == "skipped"

    # The next digest reports the undelivered DM.
    assert "Posting a digest" in await rig.ask("digest now")
    await rig.tick()
    digest = rig.posts(C1)[-1]
    text = json.dumps(digest.body["embeds"])
    assert "DMs that could not be delivered" in text and f"<@{BOB}> (checkin)" in text


async def test_checkin_answer_in_the_dm_is_recorded_and_reaches_the_digest(rig: Rig) -> None:
    await rig.ask(f"checkin friday 16:00 <@{ALICE}> <@{BOB}>")
    rig.clock.set(datetime(2026, 3, 6, 16, 1, tzinfo=UTC))
    await rig.tick()
    assert len(rig.posts(dm_channel_id(ALICE))) == 1 and len(rig.posts(dm_channel_id(BOB))) == 1
    rig.clock.set(datetime(2026, 3, 6, 16, 30, tzinfo=UTC))
    await rig.fake.dispatch(
        "MESSAGE_CREATE",
        {
            "id": "1700000000000000001",
            "channel_id": dm_channel_id(ALICE),
            "type": 0,
            "content": "Shipped the pricing page",
            "author": user(ALICE, "alice"),
            "embeds": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-03-06T16:30:00+00:00",
            "edited_timestamp": None,
            "flags": 0,
            "components": [],
        },
    )
    await rig.fake.wait_for(lambda: len(rig.posts(dm_channel_id(ALICE))) >= 2)
    ack = rig.posts(dm_channel_id(ALICE))[1].body
    assert "Check-in answer recorded" in json.dumps(ack["embeds"]), ack
    async with rig.app.db.session() as session:
        answers = {a.user: a for a in (await session.execute(select(CheckinAnswer))).scalars()}
    assert json.loads(answers[ALICE].answers) == ["Shipped the pricing page"]
    assert answers[BOB].answered_at is None

    assert "Posting a digest" in await rig.ask("digest now")
    await rig.tick()
    # the digest (sent before the answer's report was posted, so it still lists the answer itself)
    digest = next(p for p in rig.posts(C1) if "Team digest" in json.dumps(p.body.get("embeds")))
    text = json.dumps(digest.body["embeds"])
    assert f"<@{ALICE}>: Shipped the pricing page" in text
    assert "Not answered yet" in text and f"<@{BOB}>" in text.split("Not answered yet", 1)[1]
