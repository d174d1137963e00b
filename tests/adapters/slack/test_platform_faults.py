"""Slack errs and stalls while digests go out: ``chat.postMessage`` answers 500 before posting, 503 or a reset
connection *after* posting, or nothing at all (a hang longer than the client's timeout) after posting.

Every digest lands exactly once (the re-send's ``conversations.history`` check finds the messages that were
posted although the answer was an error), the first retry comes within seconds, a slash command is answered
while a post hangs, and a send that hangs never outlives its lease. Time is the FakeClock's; the only real
waits are the hung calls, cut by a client timeout of 1 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.slack.client import RetryPolicy
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.scheduler import outbox
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET, Rig, running
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.test_schedules_e2e import ADMIN, command, fake_time_pacer, posts
from tests.conftest import shared_knowledge
from tests.world import outbox_rows

HUNG_CALL = RetryPolicy(backoff=0.01, jitter=0.0, timeout=1)  # a 15 s hang, cut short as the real 10 s would be
CHANNELS = [f"C{n}" for n in range(1, 9)]
DUE = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
FAILED = "fatal_error"


@pytest.fixture
async def app(db_url: str, fake: FakeSlack, clock: FakeClock) -> AsyncIterator[App]:
    settings = Settings(
        database_url=db_url,
        scheduler_enabled=False,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
    )
    application = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
async def rig(app: App, fake: FakeSlack, clock: FakeClock) -> AsyncIterator[Rig]:
    fake.users[ADMIN] = {"is_admin": True, "tz": "Europe/Berlin"}
    fake.clock = lambda: clock.now().timestamp()
    async with running(app, fake, policy=HUNG_CALL) as r:
        app.transports["slack"] = r.adapter.transport()
        app.scheduler.pacer = fake_time_pacer(clock)
        yield r


async def test_every_digest_lands_exactly_once_through_errors_resets_and_hangs(
    rig: Rig, app: App, fake: FakeSlack, clock: FakeClock
) -> None:
    for channel in CHANNELS:
        await command(rig, "digest daily 14:05 UTC", channel=channel)
    # Half the first posts fail: one before Slack posts, three after the message is in the channel.
    fake.script("chat.postMessage", (500, {"ok": False, "error": FAILED}))  # nothing posted
    fake.lose_response("chat.postMessage", status=503)  # posted, then a 503
    fake.lose_response("chat.postMessage", status=None)  # posted, then the connection was reset
    fake.stall("chat.postMessage", 3.0)  # posted, then nothing: the client gives up after 1 s
    clock.set(DUE)
    first = await app.scheduler.tick()
    assert first.failed == 4 and first.sent == len(CHANNELS) - 4 and first.lost_lease == 0
    retrying = [r for r in await outbox_rows(app, kind="digest") if r.status == "pending"]
    assert len(retrying) == 4
    for row in retrying:  # the first retry within seconds, not half a minute
        assert row.next_attempt_at is not None
        wait = row.next_attempt_at.replace(tzinfo=UTC) - clock.now()
        assert timedelta(0) < wait <= timedelta(seconds=4), wait
    assert len({r.next_attempt_at for r in retrying}) > 1  # jittered: they do not all retry in one instant

    for _ in range(10):
        clock.advance(timedelta(seconds=5))
        await app.scheduler.tick()
    rows = await outbox_rows(app, kind="digest")
    assert sorted(r.status for r in rows) == ["sent"] * len(CHANNELS)
    for channel in CHANNELS:
        assert len(fake.messages[channel]) == 1, channel  # exactly once, in every channel
    # Each re-send looked before posting again; the three that had landed were not posted again.
    assert len(fake.calls_to("conversations.history")) == 4
    assert len(posts(fake)) == len(CHANNELS) + 1  # the one 500 that posted nothing was posted again


async def test_a_hung_post_neither_slows_a_command_nor_outlives_its_lease(
    app: App, fake: FakeSlack, clock: FakeClock
) -> None:
    fake.users[ADMIN] = {"is_admin": True, "tz": "Europe/Berlin"}
    fake.clock = lambda: clock.now().timestamp()
    async with running(app, fake, policy=RetryPolicy(backoff=0.01, jitter=0.0, timeout=3)) as rig:
        app.transports["slack"] = rig.adapter.transport()
        app.scheduler.pacer = fake_time_pacer(clock)
        app.scheduler.heartbeat = 0.05  # renew often (in real time) while a send is under way
        await command(rig, "digest daily 14:05 UTC", channel="C1")
        fake.stall("chat.postMessage", 5.0)
        clock.set(DUE)
        delivering = asyncio.ensure_future(app.scheduler.tick())
        await fake.wait_for("chat.postMessage")  # the post hangs from here on
        status, body = await rig.command("legal", user_id="U2000", channel_id="C2")
        assert status == 200 and "Comprehensive Legal Services" in str(body)
        assert not delivering.done()  # the command was answered while the post still hung

        # Time passes beyond the lease taken at the claim: the heartbeat has renewed it, so another
        # replica finds nothing to take (it would post the digest a second time).
        clock.advance(app.scheduler.lease + timedelta(seconds=10))
        for _ in range(100):
            [row] = await outbox_rows(app, kind="digest")
            if row.lease_until is not None and row.lease_until.replace(tzinfo=UTC) > clock.now():
                break
            await asyncio.sleep(0.02)
        assert row.lease_until is not None and row.lease_until.replace(tzinfo=UTC) > clock.now()
        taken = await outbox.claim(
            app.db, token="another-replica", now=clock.now(), limit=10, lease=app.scheduler.lease
        )
        assert taken == []

        stats = await delivering
        assert stats.failed == 1 and stats.lost_lease == 0
        [row] = await outbox_rows(app, kind="digest")
        assert row.status == "pending" and row.lease_until is None  # released with the failure, retried later
        clock.advance(timedelta(seconds=5))
        await app.scheduler.tick()
        assert len(fake.messages["C1"]) == 1 and len(posts(fake, "C1")) == 1
