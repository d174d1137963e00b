"""Issue 5 end to end on Slack: schedule commands through the real HTTP server (signed requests),
deliveries through the real SlackTransport to the local fake Web API, time from the FakeClock.

The scheduler is driven by calling ``Scheduler.tick()``; its pacer runs on the same FakeClock, so a
``Retry-After`` or a paced fan-out advances fake time instead of sleeping.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack.render import blocks_text
from bot.app import App
from bot.kernel.clock import FakeClock
from bot.scheduler.pacing import Pacer
from bot.team.models import CheckinAnswer, Member
from tests.adapters.slack.conftest import Rig, running
from tests.adapters.slack.fake_slack import Call, FakeSlack, payload
from tests.world import outbox_rows, schedules

ADMIN, MEMBER = "UADMIN", "U2000"
CHANNEL = "C1"
TEAM = "T0001"
MASS_MENTIONS = ("<!channel>", "<!here>", "<!everyone>", "@everyone", "@here")


def fake_time_pacer(clock: FakeClock) -> Pacer:
    """The production limits, but on fake time: a wait moves the clock instead of sleeping."""

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    return Pacer(monotonic=lambda: clock.now().timestamp(), sleep=sleep)


@pytest.fixture
async def rig(app: App, fake: FakeSlack, clock: FakeClock) -> AsyncIterator[Rig]:
    fake.users[ADMIN] = {"is_admin": True, "tz": "Europe/Berlin"}
    fake.clock = lambda: clock.now().timestamp()  # message ts on the same (fake) time as the bot
    async with running(app, fake) as r:
        app.transports["slack"] = r.adapter.transport()  # what run_slack wires in production
        app.scheduler.pacer = fake_time_pacer(clock)
        yield r


async def command(rig: Rig, text: str, *, user: str = ADMIN, channel: str = CHANNEL) -> dict[str, Any]:
    status, body = await rig.command(text, user_id=user, channel_id=channel, channel_name="team")
    assert status == 200, body
    return body


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])


def text_of(call: Call) -> str:
    return blocks_text(blocks_of(call)) + "\n" + str(call.params.get("text") or "")


def posts(fake: FakeSlack, channel: str | None = None) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if channel is None or c.params.get("channel") == channel]


def key_of(call: Call) -> str:
    metadata = call.params.get("metadata") or {}
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    return str(metadata.get("event_payload", {}).get("key", ""))


async def tick(app: App) -> None:
    await app.scheduler.tick()


async def run_until(app: App, clock: FakeClock, until: datetime, *, step: timedelta = timedelta(minutes=30)) -> None:
    while clock.now() < until:
        clock.set(min(until, clock.now() + step))
        await tick(app)


def dm_event(user: str, channel: str, text: str, event_id: str) -> dict[str, Any]:
    envelope = payload("event_message_im.json")
    envelope["event_id"] = event_id
    envelope["event"].update(user=user, channel=channel, text=text, client_msg_id=event_id + "-msg")
    return envelope


def assert_no_mass_mentions(call: Call) -> None:
    raw = json.dumps(call.params)
    for ping in MASS_MENTIONS:
        assert ping not in raw, f"{ping} in {call.params.get('text')!r}"


# -- the whole story ---------------------------------------------------------------------------------------------


async def test_digest_and_checkin_from_slack_commands_to_delivered_messages(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    fake = rig.fake
    # Monday 2 March 2026, 08:00 UTC. A member may not schedule; nothing is stored.
    refused = await command(rig, "digest daily 14:05 UTC", user=MEMBER)
    assert refused["response_type"] == "ephemeral"
    assert "Only admins can schedule digests" in blocks_text(refused["blocks"]) + refused["text"]
    assert await schedules(app) == []

    body = await command(rig, "digest daily 14:05 UTC")
    assert "Digest scheduled" in body["text"], body["text"]
    [digest] = await schedules(app)
    assert (digest.platform, digest.workspace, digest.channel, digest.kind) == ("slack", TEAM, CHANNEL, "digest")
    assert (digest.cadence, digest.hour, digest.minute, digest.tz) == ("daily", 14, 5, "UTC")
    assert digest.created_by == ADMIN

    # Slack sends mentions in command text as <@U1001|name> or <@U1001>.
    refused = await command(rig, "checkin friday 16:00 <@U1001|ann> <@U1002>", user=MEMBER)
    assert "Only admins" in refused["text"] + blocks_text(refused["blocks"])
    body = await command(rig, "checkin friday 16:00 <@U1001|ann> <@U1002>")
    assert "Check-in scheduled" in body["text"], body["text"]
    checkin = (await schedules(app))[-1]
    assert checkin.kind == "checkin" and json.loads(checkin.participants or "[]") == ["U1001", "U1002"]
    assert "<@U1001>" in blocks_text(body["blocks"]) and "<@U1002>" in blocks_text(body["blocks"])
    assert posts(fake) == []  # command answers go in the ack, never through chat.postMessage

    # Just before 14:05 nothing goes out; just after, exactly one digest in C1.
    clock.set(datetime(2026, 3, 2, 14, 4, tzinfo=UTC))
    await tick(app)
    assert posts(fake) == []
    clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    await tick(app)
    [first] = posts(fake)
    assert first.params["channel"] == CHANNEL and first.token is not None
    assert blocks_of(first), "the digest is Block Kit"
    assert "Team digest" in str(first.params["text"])  # the fallback text for notifications
    assert "Team digest" in blocks_text(blocks_of(first))
    assert "Service tip" in blocks_text(blocks_of(first))
    assert key_of(first).startswith(f"digest:slack:{TEAM}:{digest.id}:20260302T140500Z")
    assert_no_mass_mentions(first)
    await tick(app)
    clock.advance(timedelta(minutes=5))
    await tick(app)
    assert len(posts(fake)) == 1, "a second tick sends nothing more"

    # Across Friday 16:00 (UTC: the participants have no zone of their own): the daily digests of
    # Tuesday to Friday, then one DM per participant with the questions.
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC))
    digests = posts(fake, CHANNEL)
    assert len(digests) == 5 and len({key_of(c) for c in digests}) == 5
    opened = fake.calls_to("conversations.open")
    assert sorted(c.params["users"] for c in opened) == ["U1001", "U1002"]
    dm1, dm2 = posts(fake, "D1001"), posts(fake, "D1002")
    assert len(dm1) == 1 and len(dm2) == 1
    for dm in (dm1[0], dm2[0]):
        text = text_of(dm)
        assert "Check-in" in text and "What did you move forward since the last check-in?" in text
        assert_no_mass_mentions(dm)
    await tick(app)
    assert len(posts(fake, "D1001")) == 1 and len(posts(fake, "D1002")) == 1

    # U1001 answers in the DM (a signed message.im event); Slack's retry of it changes nothing.
    clock.set(datetime(2026, 3, 6, 16, 20, tzinfo=UTC))
    envelope = dm_event("U1001", "D1001", "Shipped the pricing page", "EvANSWER1")
    assert (await rig.event(envelope)).status == 200
    assert (await rig.event(envelope, retry=1)).status == 200
    await fake.wait_for("chat.postMessage", len(posts(fake)) + 1)
    await rig.adapter.drain()
    acks = posts(fake, "D1001")[1:]
    assert len(acks) == 1 and "Check-in answer recorded" in text_of(acks[0])
    async with app.db.session() as session:
        answers = {a.user: a for a in (await session.execute(select(CheckinAnswer))).scalars()}
    assert json.loads(answers["U1001"].answers) == ["Shipped the pricing page"]
    assert answers["U1001"].answered_at is not None and answers["U1002"].answered_at is None

    # 20:00: the one nudge goes to U1002 only; Saturday's digest lists the answer and the silence.
    await run_until(app, clock, datetime(2026, 3, 7, 14, 30, tzinfo=UTC))
    assert len(posts(fake, "D1001")) == 2  # the question and the acknowledgement, no nudge
    nudges = posts(fake, "D1002")[1:]
    assert len(nudges) == 1 and "gentle nudge" in text_of(nudges[0])
    saturday = [c for c in posts(fake, CHANNEL) if key_of(c).startswith("digest:")][-1]
    assert key_of(saturday).startswith(f"digest:slack:{TEAM}:{digest.id}:20260307T140500Z")
    text = text_of(saturday)
    # the answer is in the check-in report's thread; the digest points there
    assert "Check-in reports" in text and "Friday check-in: 1 of 2 answered" in text
    [in_thread] = [c for c in posts(fake, CHANNEL) if c.params.get("thread_ts")]
    assert "Shipped the pricing page" in text_of(in_thread)
    assert "Not answered yet" in text
    not_answered = text.split("Not answered yet", 1)[1]
    assert "<@U1002>" in not_answered and "<@U1001>" not in not_answered.split("Service tip", 1)[0]
    assert_no_mass_mentions(saturday)
    assert len(posts(fake, CHANNEL)) == 8  # six digests, the check-in report and its one thread reply
    statuses = {(r.kind, r.target): r.status for r in await outbox_rows(app) if r.target_type == "dm"}
    assert statuses == {
        ("checkin", "U1001"): "sent",
        ("checkin", "U1002"): "sent",
        ("nudge", "U1001"): "skipped",
        ("nudge", "U1002"): "sent",
    }
    assert {r.status for r in await outbox_rows(app, kind="digest")} == {"sent"}


# -- unhappy paths -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["cannot_dm_bot", "user_not_found"])
async def test_undeliverable_dm_falls_back_to_a_channel_mention_once(
    rig: Rig, app: App, clock: FakeClock, error: str
) -> None:
    fake = rig.fake
    assert app.settings.dm_fallback == "channel"
    default = fake._default

    def closed_for_u1002(method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "conversations.open" and params.get("users") == "U1002":
            return {"ok": False, "error": error}  # Slack answers HTTP 200 with ok: false
        return default(method, params, token)

    fake._default = closed_for_u1002  # type: ignore[method-assign]
    await command(rig, "checkin friday 16:00 <@U1001> <@U1002|bo>")
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC), step=timedelta(hours=2))
    assert len(posts(fake, "D1001")) == 1
    fallback = posts(fake, CHANNEL)
    assert len(fallback) == 1
    text = text_of(fallback[0])
    assert "<@U1002>" in text and "could not reach you by direct message" in text
    assert "What did you move forward" in text
    assert key_of(fallback[0]).endswith(":dm:U1002:fallback")
    assert_no_mass_mentions(fallback[0])
    [row] = await outbox_rows(app, kind="checkin", target="U1002")
    assert (row.status, row.fallback, row.attempts) == ("sent", True, 1)

    # Not retried: ticking on for an hour (before the nudge) opens no more DMs and posts nothing.
    opened_before = len(fake.calls_to("conversations.open"))
    for _ in range(6):
        clock.advance(timedelta(minutes=10))
        await tick(app)
    assert len(fake.calls_to("conversations.open")) == opened_before == 2
    assert len(posts(fake, CHANNEL)) == 1

    # The channel digest reports the undelivered DM.
    await command(rig, "digest now")
    await tick(app)
    digest = posts(fake, CHANNEL)[-1]
    assert "DMs that could not be delivered" in text_of(digest) and "<@U1002> (checkin)" in text_of(digest)


async def test_rate_limited_digest_is_delivered_once_after_retry_after(rig: Rig, app: App, clock: FakeClock) -> None:
    fake = rig.fake
    await command(rig, "digest daily 14:05 UTC")
    # Longer than the client waits by itself (60 s): the 429 reaches the outbox, which waits on our clock.
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"}))
    clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    stats = await app.scheduler.tick()
    assert stats.rate_limited == 1 and stats.sent == 0
    assert len(posts(fake)) == 1  # the refused attempt
    [row] = await outbox_rows(app, kind="digest")
    assert row.status == "pending" and row.attempts == 0  # a rate limit does not use up an attempt
    retry_at = row.next_attempt_at if row.next_attempt_at.tzinfo else row.next_attempt_at.replace(tzinfo=UTC)
    assert retry_at >= datetime(2026, 3, 2, 14, 8, tzinfo=UTC)

    clock.advance(timedelta(seconds=60))  # still inside Retry-After: nothing is sent
    await tick(app)
    assert len(posts(fake)) == 1
    clock.advance(timedelta(seconds=61))
    stats = await app.scheduler.tick()
    assert stats.sent == 1
    delivered = posts(fake)
    assert len(delivered) == 2 and key_of(delivered[0]) == key_of(delivered[1])
    assert "Team digest" in text_of(delivered[1])
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        await tick(app)
    assert len(posts(fake)) == 2, "delivered once, no duplicate"
    [row] = await outbox_rows(app, kind="digest")
    assert (row.status, row.attempts) == ("sent", 1)
    assert fake.calls_to("conversations.history") == []  # a 429 posted nothing: no check needed


async def test_server_errors_on_a_dm_are_retried_with_backoff_not_in_a_loop(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    fake = rig.fake
    await command(rig, "checkin friday 16:00 <@U1001>")
    # Every attempt: conversations.open works, chat.postMessage answers 500. A 500 may come after Slack
    # posted, so the client does not retry a post by itself: one call per outbox attempt.
    fake.script("chat.postMessage", *[(500, {"ok": False, "error": "fatal_error"})] * 60)
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC), step=timedelta(hours=2))
    first = len(posts(fake, "D1001"))
    assert first == 1
    assert fake.calls_to("conversations.history") == []  # a first attempt checks nothing
    # The outbox backs off on fake time: ticking at the same instant does not retry.
    for _ in range(3):
        await tick(app)
    assert len(posts(fake, "D1001")) == first
    [row] = await outbox_rows(app, kind="checkin")
    assert row.status == "pending" and row.attempts == 1 and "fatal_error" in (row.last_error or "")
    fake.scripts["chat.postMessage"].clear()
    clock.advance(timedelta(minutes=1))
    await tick(app)
    assert len(posts(fake, "D1001")) == first + 1
    [history] = fake.calls_to("conversations.history")  # the re-send looked for the first attempt's message
    assert history.params["channel"] == "D1001"
    [row] = await outbox_rows(app, kind="checkin")
    assert (row.status, row.attempts) == ("sent", 2)
    assert posts(fake, CHANNEL) == []  # a temporary failure never falls back to the channel


# -- mentions ------------------------------------------------------------------------------------------------------


async def test_escaped_mentions_in_a_slash_command_schedule_checkins_for_those_user_ids(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    """With ``should_escape: true`` Slack sends ``<@U1001|ann>``; the check-in goes to U1001, not to "ann"."""
    fake = rig.fake
    body = await command(rig, "checkin friday 16:00 <@U1001|ann> <@U1002>")
    assert "Check-in scheduled" in body["text"], body["text"]
    [checkin] = await schedules(app)
    assert json.loads(checkin.participants or "[]") == ["U1001", "U1002"]
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC), step=timedelta(hours=2))
    assert sorted(c.params["users"] for c in fake.calls_to("conversations.open")) == ["U1001", "U1002"]
    assert len(posts(fake, "D1001")) == 1 and len(posts(fake, "D1002")) == 1
    assert posts(fake, CHANNEL) == []  # no fallback: both DMs reached a real user id


# -- time zones ----------------------------------------------------------------------------------------------------


async def test_a_failed_users_info_stores_no_zone_and_checkins_follow_the_workspace_zone(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    """When Slack cannot tell a person's zone, none is recorded: the workspace's zone applies, not UTC."""
    fake = rig.fake
    default = fake._default

    def unknown_u1001(method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "users.info" and params.get("user") == "U1001":
            return {"ok": False, "error": "user_not_found"}
        return default(method, params, token)

    fake._default = unknown_u1001  # type: ignore[method-assign]
    body = await command(rig, "timezone workspace Asia/Tokyo")
    assert "Workspace time zone: Asia/Tokyo" in body["text"], body["text"]

    # U1001 uses a command and writes a DM while users.info fails for them.
    body = await command(rig, "timezone", user="U1001")
    assert "Your time zone: Asia/Tokyo" in body["text"], body["text"]
    assert (await rig.event(dm_event("U1001", "D1001", "what about gdpr", "EvTZ1"))).status == 200
    await fake.wait_for("chat.postMessage", 1)
    await rig.adapter.drain()
    assert fake.calls_to("users.info"), "the look-up was tried"
    async with app.db.session() as session:
        zones = {m.user: m.tz for m in (await session.execute(select(Member))).scalars()}
    assert "U1001" not in zones, zones
    assert zones.get(ADMIN) == "Europe/Berlin"  # a look-up that worked is still recorded

    # Friday 16:00 in Tokyo is 07:00 UTC: the check-in goes out then, not at 16:00 UTC.
    await command(rig, "checkin friday 16:00 <@U1001>")
    await run_until(app, clock, datetime(2026, 3, 6, 6, 50, tzinfo=UTC), step=timedelta(hours=2))
    assert posts(fake, "D1001")[1:] == []
    await run_until(app, clock, datetime(2026, 3, 6, 7, 10, tzinfo=UTC), step=timedelta(minutes=10))
    [row] = await outbox_rows(app, kind="checkin", target="U1001")
    assert (row.status, row.tz) == ("sent", "Asia/Tokyo")
    assert len(posts(fake, "D1001")) == 2  # the DM answer above, then the check-in


# -- DM answers and Slack's retries --------------------------------------------------------------------------------


async def test_a_checkin_answer_whose_reply_failed_is_recorded_once_when_slack_retries(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    fake = rig.fake
    await command(rig, "checkin friday 16:00 <@U1001>")
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC), step=timedelta(hours=2))
    assert len(posts(fake, "D1001")) == 1  # the questions

    # The answer is recorded, but the acknowledgement never gets through (500 after the client's retries).
    clock.set(datetime(2026, 3, 6, 16, 20, tzinfo=UTC))
    fake.script("chat.postMessage", *[(500, {"ok": False, "error": "fatal_error"})] * 3)
    envelope = dm_event("U1001", "D1001", "Shipped the pricing page", "EvLOST1")
    assert (await rig.event(envelope)).status == 200
    await fake.wait_for("chat.postMessage", 4)
    await rig.adapter.drain()
    assert len(posts(fake, "D1001")) == 4 and not fake.scripts["chat.postMessage"]

    # Slack retries the event (same event_id): the answer is not appended a second time.
    assert (await rig.event(envelope, retry=1)).status == 200
    await rig.adapter.drain()
    async with app.db.session() as session:
        [answer] = list((await session.execute(select(CheckinAnswer))).scalars())
    assert json.loads(answer.answers) == ["Shipped the pricing page"]
    assert len(posts(fake, "D1001")) == 4, "the retry ran nothing and posted nothing"


async def test_a_knowledge_answer_whose_reply_failed_is_answered_on_slacks_retry(rig: Rig, app: App) -> None:
    fake = rig.fake
    fake.script("chat.postMessage", *[(500, {"ok": False, "error": "fatal_error"})] * 3)
    envelope = dm_event("U1001", "D1001", "legal", "EvLOST2")
    assert (await rig.event(envelope)).status == 200
    await fake.wait_for("chat.postMessage", 3)
    await rig.adapter.drain()
    assert (await rig.event(envelope, retry=1)).status == 200
    await fake.wait_for("chat.postMessage", 4)
    await rig.adapter.drain()
    assert len(posts(fake, "D1001")) == 4 and text_of(posts(fake, "D1001")[-1]).strip()


# -- re-sends after a lost answer -----------------------------------------------------------------------------------


async def test_a_digest_posted_but_answered_with_500_is_not_posted_again(rig: Rig, app: App, clock: FakeClock) -> None:
    fake = rig.fake
    await command(rig, "digest daily 14:05 UTC")
    fake.lose_response("chat.postMessage", status=500)  # Slack posted it, then the answer was a 500
    clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    stats = await app.scheduler.tick()
    assert stats.sent == 0 and stats.failed == 1
    [posted] = posts(fake)  # one call: the client does not repeat a post that may have landed
    assert len(fake.messages[CHANNEL]) == 1
    [row] = await outbox_rows(app, kind="digest")
    assert (row.status, row.attempts) == ("pending", 1)

    # The outbox retries, from a new process (a fresh transport; the first attempt is known from the database).
    app.transports["slack"] = rig.adapter.transport()
    clock.advance(timedelta(minutes=2))
    stats = await app.scheduler.tick()
    assert stats.sent == 1
    assert len(posts(fake)) == 1 and len(fake.messages[CHANNEL]) == 1, "not posted a second time"
    [history] = fake.calls_to("conversations.history")
    assert history.params["channel"] == CHANNEL
    assert str(history.params.get("include_all_metadata")).lower() in ("true", "1")
    assert float(history.params["oldest"]) <= datetime(2026, 3, 2, 14, 6, tzinfo=UTC).timestamp()
    [row] = await outbox_rows(app, kind="digest")
    assert (row.status, row.attempts) == ("sent", 2)
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        await tick(app)
    assert len(fake.messages[CHANNEL]) == 1


async def test_a_checkin_dm_whose_connection_dropped_after_posting_is_not_sent_twice(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    fake = rig.fake
    await command(rig, "checkin friday 16:00 <@U1001>")
    fake.lose_response("chat.postMessage", status=None)  # posted, then the connection closed unanswered
    await run_until(app, clock, datetime(2026, 3, 6, 16, 0, tzinfo=UTC), step=timedelta(hours=2))
    assert len(fake.messages["D1001"]) == 1
    [row] = await outbox_rows(app, kind="checkin")
    assert (row.status, row.attempts) == ("pending", 1)
    clock.advance(timedelta(minutes=2))
    await tick(app)
    assert len(fake.messages["D1001"]) == 1 and len(posts(fake, "D1001")) == 1
    [row] = await outbox_rows(app, kind="checkin")
    assert row.status == "sent"
    assert len(fake.calls_to("conversations.history")) == 1


async def test_a_resend_whose_first_try_posted_nothing_is_posted_after_the_check(
    rig: Rig, app: App, clock: FakeClock
) -> None:
    """A 500 that posted nothing: the re-send looks, finds no message with its key (only others), posts once."""
    fake = rig.fake
    await command(rig, "digest daily 14:05 UTC")
    fake.script("chat.postMessage", (500, {"ok": False, "error": "fatal_error"}))
    clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    await tick(app)
    fake.messages.setdefault(CHANNEL, []).append(  # someone else's message, and one of ours for another key
        {
            "type": "message",
            "ts": f"{int(clock.now().timestamp())}.999999",
            "text": "hi",
            "metadata": {"event_type": "cos_bot_delivery", "event_payload": {"key": "digest:other"}},
        }
    )
    clock.advance(timedelta(minutes=2))
    stats = await app.scheduler.tick()
    assert stats.sent == 1 and len(fake.calls_to("conversations.history")) == 1
    assert len(posts(fake)) == 2 and len([m for m in fake.messages[CHANNEL] if m.get("bot_id")]) == 1


@pytest.mark.parametrize(
    "answer, sent",
    [
        ((200, {"ok": False, "error": "missing_scope", "needed": "channels:history"}), True),  # old install
        ((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"}), False),
        ((500, {"ok": False, "error": "fatal_error"}), False),
    ],
)
async def test_a_history_check_that_fails(
    rig: Rig, app: App, clock: FakeClock, answer: tuple[Any, ...], sent: bool
) -> None:
    """Unreadable history (missing scope) posts anyway; a rate-limited or broken one waits and posts nothing."""
    fake = rig.fake
    await command(rig, "digest daily 14:05 UTC")
    fake.script("chat.postMessage", (500, {"ok": False, "error": "fatal_error"}))
    clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    await tick(app)
    fake.script("conversations.history", *[answer] * 5)
    clock.advance(timedelta(minutes=2))
    stats = await app.scheduler.tick()
    assert fake.calls_to("conversations.history")
    assert stats.sent == int(sent) and len(posts(fake)) == 1 + int(sent)
    [row] = await outbox_rows(app, kind="digest")
    assert row.status == ("sent" if sent else "pending")
    if answer[0] == 429:
        assert stats.rate_limited == 1 and row.attempts == 1  # the wait gives the try back
