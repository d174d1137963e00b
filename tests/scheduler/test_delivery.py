"""Delivery with a fake clock and a recording transport: on time, once, through downtime, failures and replicas."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_SUBMITTED
from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import to_text
from bot.scheduler import outbox
from bot.scheduler.lateness import MISSED
from bot.scheduler.models import Outbox
from bot.team.models import CheckinAnswer, RiskItem
from tests.world import FakeTransport, World, make_world, sticky


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def _rows(world: World) -> list[Outbox]:
    async with world.app.db.session() as s:
        return list((await s.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def test_daily_digest_fires_on_time_exactly_once(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service digest daily 14:05 UTC")
    await w.run_until(_utc(2026, 3, 2, 14, 4), step_minutes=30)
    assert w.transport.sent == []
    w.clock.set(_utc(2026, 3, 2, 14, 5, 2))
    await w.tick()
    await w.tick()
    assert [(s.kind, s.target, s.at) for s in w.transport.sent] == [("channel", "C1", _utc(2026, 3, 2, 14, 5, 2))]
    assert w.transport.sent[0].reply.title == "Team digest"
    await w.run_until(_utc(2026, 3, 4, 12), step_minutes=60)
    assert [s.at.date().isoformat() for s in w.transport.sent] == ["2026-03-02", "2026-03-03"]
    assert all(r.status == "sent" for r in await _rows(w))


async def test_weekly_berlin_digest_at_nine_local_either_side_of_dst(world: World) -> None:
    world.clock.set(_utc(2027, 3, 20))
    await world.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    await world.run_until(_utc(2027, 4, 6), step_minutes=60)
    assert [s.at.isoformat() for s in world.transport.sent] == [
        "2027-03-22T08:00:00+00:00",
        "2027-03-29T07:00:00+00:00",
        "2027-04-05T07:00:00+00:00",
    ]


async def test_two_replicas_on_one_database_send_once(any_world: World, db_url: str) -> None:
    w = any_world
    other = await make_world(db_url, w.clock)
    other.app.transports["console"] = w.transport  # one recording of what the platform received
    try:
        await w.admin.say("/cos-service digest daily 14:05 UTC")
        await w.admin.say("/cos-service checkin daily 09:30 @U1001 @U1002")
        for _ in range(3 * 24):
            w.clock.advance(timedelta(minutes=60))
            await asyncio.gather(w.tick(), other.tick())
        keys = [s.key for s in w.transport.sent]
        assert len(keys) == len(set(keys))
        assert sorted(s.what for s in w.transport.sent).count("digest") == 3
        assert sorted(s.what for s in w.transport.sent).count("checkin") == 6
    finally:
        await other.app.close()


async def test_restart_within_grace_sends_reminders_once(world: World) -> None:
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    await world.run_until(_utc(2026, 3, 6, 15), step_minutes=60)
    assert world.transport.sent == []
    # down 15:00 -> 17:30; the 16:00 check-in is 90 min late, inside the 120 min grace
    await world.app.close()
    world.clock.set(_utc(2026, 3, 6, 17, 30))
    fresh = await make_world(world.app.settings.database_url, world.clock)
    try:
        await fresh.tick()
        await fresh.tick()
        assert [(s.what, s.target) for s in fresh.transport.sent] == [("checkin", "U1001")]
    finally:
        await fresh.app.close()


async def test_reminders_older_than_grace_are_dropped_not_sent_late(world: World) -> None:
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    await world.admin.say("/cos-risk schedule monthly 08:00 UTC")
    world.clock.set(_utc(2026, 4, 1, 11))  # 3 h after the risk review, weeks after the check-ins
    await world.tick()
    assert world.transport.sent == []
    world.clock.set(_utc(2026, 4, 3, 16, 1))
    await world.tick()
    assert [s.what for s in world.transport.sent] == ["checkin"]


async def test_missed_digests_become_one_catch_up(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service digest daily 14:05 UTC")
    w.clock.set(_utc(2026, 3, 5, 20))  # down for three and a half days
    await w.tick()
    await w.tick()
    (sent,) = w.transport.sent
    assert sent.reply.title == "Catch-up digest (replaces 4 missed digests)"
    w.clock.set(_utc(2026, 3, 6, 14, 6))
    await w.tick()
    assert [s.reply.title for s in w.transport.sent] == ["Catch-up digest (replaces 4 missed digests)", "Team digest"]


async def test_single_stale_digest_is_a_late_catch_up(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.clock.set(_utc(2026, 3, 2, 23))
    await world.tick()
    assert [s.reply.title for s in world.transport.sent] == ["Catch-up digest (sent late)"]


async def test_transient_failures_retry_with_backoff_then_succeed(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.transport.fail["C1"] = [DeliveryError("503 from platform"), DeliveryError("timeout")]
    due = _utc(2026, 3, 2, 14, 5)
    world.clock.set(due)
    await world.tick()
    (row,) = await _rows(world)
    assert row.status == "pending" and row.attempts == 1
    first_wait = row.next_attempt_at - due
    assert timedelta(seconds=2) <= first_wait <= timedelta(seconds=4)  # a few seconds, jittered
    world.clock.set(due + timedelta(seconds=2))
    await world.tick()
    assert len(world.transport.attempts) == 1  # backoff not over yet
    retried = due + timedelta(seconds=5)
    world.clock.set(retried)
    await world.tick()
    (row,) = await _rows(world)
    assert row.attempts == 2
    assert timedelta(seconds=9) <= row.next_attempt_at - retried <= timedelta(seconds=15)  # longer the second time
    world.clock.set(retried + timedelta(seconds=16))
    await world.tick()
    (row,) = await _rows(world)
    assert row.status == "sent" and len(world.transport.sent) == 1


def test_backoff_starts_within_seconds_grows_and_spreads() -> None:
    low = [outbox.backoff(n, spread=lambda: 0.0).total_seconds() for n in range(1, 8)]
    high = [outbox.backoff(n, spread=lambda: 0.999999).total_seconds() for n in range(1, 8)]
    assert low[0] == 2.25 and round(high[0], 2) == 3.75
    assert all(b > a for a, b in zip(low, low[1:], strict=False)) and max(high) <= 3600 * 1.25
    assert 600 <= sum(low[:5]) and sum(high[:5]) <= 1800  # six tries span minutes, not seconds nor hours
    assert len({outbox.backoff(1) for _ in range(50)}) > 10  # rows that failed together retry apart


async def test_retry_after_is_honoured(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.transport.fail["C1"] = [DeliveryError("rate limited", retry_after=300)]
    world.clock.set(_utc(2026, 3, 2, 14, 5))
    await world.tick()
    world.clock.set(_utc(2026, 3, 2, 14, 9))
    await world.tick()
    assert world.transport.sent == []
    world.clock.set(_utc(2026, 3, 2, 14, 10, 1))
    await world.tick()
    assert len(world.transport.sent) == 1


async def test_dead_letter_after_max_attempts_listed_for_admins(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.transport.fail["C1"] = [sticky(DeliveryError("500 internal error"))]
    await world.run_until(_utc(2026, 3, 2, 17), step_minutes=2)
    (row,) = list(await _rows(world))
    assert row.status == "dead" and row.attempts == world.app.settings.max_attempts == 6
    assert len(world.transport.attempts) == 6
    text = await world.admin.text("/cos-service schedules")
    assert "Undelivered (dead-lettered)" in text and "after 6 attempts: 500 internal error" in text
    assert "dead-lettered" not in await world.member.text("/cos-service schedules")
    # a permanent error is dead at once
    world.transport.fail["C1"] = [sticky(DeliveryError("channel_not_found", permanent=True))]
    await world.run_until(_utc(2026, 3, 3, 14, 10), step_minutes=30)
    assert [r.attempts for r in await _rows(world)] == [6, 1]


async def test_closed_dm_falls_back_to_channel_and_is_reported(world: World) -> None:
    world.clock.set(_utc(2026, 3, 9, 8))
    await world.admin.say("/cos-service checkin monday 09:00 @U1001 @U1002")
    await world.admin.say("/cos-service digest monday 12:00 UTC")
    world.transport.fail["U1002"] = [sticky(DeliveryError("cannot DM user (50007)", permanent=True))]
    world.clock.set(_utc(2026, 3, 9, 9))
    await world.tick()
    fallback, dm = sorted(world.transport.sent, key=lambda s: s.kind)
    assert (dm.kind, dm.target) == ("dm", "U1001")
    assert (fallback.kind, fallback.target) == ("channel", "C1")
    assert "@U1002, I could not reach you by direct message" in fallback.text
    assert fallback.key.endswith(":fallback")
    world.clock.set(_utc(2026, 3, 9, 12))
    await world.tick()
    digest = world.transport.sent[-1]
    assert "DMs that could not be delivered" in digest.text and "@U1002 (checkin)" in digest.text


async def test_closed_dm_without_fallback_is_dead_lettered(sqlite_url: str, clock: FakeClock) -> None:
    w = await make_world(sqlite_url, clock, dm_fallback="none")
    try:
        await w.admin.say("/cos-service checkin monday 09:00 @U1002")
        w.transport.fail["U1002"] = [sticky(DeliveryError("closed", permanent=True))]
        w.clock.set(_utc(2026, 3, 9, 9))
        await w.tick()
        assert w.transport.sent == []
        # (the week before's check-in, long past the grace window, is recorded as missed)
        assert [r.status for r in await _rows(w) if r.kind == "checkin" and r.last_error != MISSED] == ["dead"]
    finally:
        await w.app.close()


async def test_checkin_in_each_participants_zone_answers_nudge_digest_blocker(world: World) -> None:
    w = world
    # U1001 has told the bot their zone; U1002 has not (workspace/default: UTC)
    await w.member.say("/cos-service timezone America/New_York")
    await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U1002")
    await w.admin.say("/cos-service digest monday 09:00 UTC")
    await w.run_until(_utc(2026, 3, 6, 17), step_minutes=30)
    assert [(s.target, s.at) for s in w.transport.sent if s.what == "checkin"] == [("U1002", _utc(2026, 3, 6, 16))]
    # U1002 answers (twice, one with a blocker); the DM is recorded and acknowledged
    r = await w.member.say("Closed two pilot deals", user="U1002")
    assert r.title == "Check-in answer recorded" and "2 questions left" in to_text(r)
    r = await w.member.say("blocker: our largest prospect is stuck in legal review of the DPA", user="U1002")
    assert "risk register" in to_text(r)
    async with w.app.db.session() as s:
        blocker = (await s.execute(select(RiskItem).where(RiskItem.kind == "blocker"))).scalar_one()
    assert blocker.rating == "high" and blocker.owner == "U1002" and "related: " in (blocker.note or "")
    # a DM from someone without an open check-in is an ordinary question
    r = await w.member.say("gdpr", user="U9999")
    assert r.title != "Check-in answer recorded"
    await w.run_until(_utc(2026, 3, 6, 23), step_minutes=30)
    checkins = [(s.target, s.at) for s in w.transport.sent if s.what == "checkin"]
    assert checkins == [("U1002", _utc(2026, 3, 6, 16)), ("U1001", _utc(2026, 3, 6, 21))]  # 16:00 EST = 21:00 UTC
    await w.run_until(_utc(2026, 3, 7, 12), step_minutes=30)
    nudges = [s.target for s in w.transport.sent if s.what == "nudge"]
    assert nudges == ["U1001"]  # only the one who did not answer, once
    await w.run_until(_utc(2026, 3, 9, 9, 30), step_minutes=60)
    digest = [s for s in w.transport.sent if s.what == "digest"][-1]
    # the answers are in the check-in report's thread; the digest points there instead of repeating them
    assert "Check-in reports" in digest.text and "Closed two pilot deals" not in digest.text
    thread = [s for s in w.transport.sent if s.kind == "thread"]
    assert len(thread) == 1 and "Closed two pilot deals" in thread[0].text
    assert "Not answered yet" in digest.text and "@U1001" in digest.text.split("Not answered yet")[1]
    assert "Risk reviews due" in digest.text  # the raised blocker is due for review
    assert "Service tip:" in digest.text
    tip = digest.text.split("Service tip:", 1)[1]
    assert "Providers to consider:" in tip  # a service with who provides it, not a phase title
    async with w.app.db.session() as s:
        rows = list((await s.execute(select(CheckinAnswer).order_by(CheckinAnswer.user))).scalars())
    assert [(a.user, a.asked_at is not None, a.answered_at is not None, a.nudged_at is not None) for a in rows] == [
        ("U1001", True, False, True),
        ("U1002", True, True, False),
    ]


async def test_milestone_reminders_to_owner_dm_and_channel(world: World) -> None:
    w = world
    await w.admin.say("/cos-service stage early since 2026-03")
    await w.admin.say("/cos-service milestone owner 1 @U1001")
    await w.admin.say("/cos-service milestone date 1 2026-03-20")
    await w.admin.say("/cos-service milestone date 2 2026-03-25")
    await w.admin.say("/cos-service milestone date 3 2026-03-26")
    await w.admin.say("/cos-service milestone done 3")
    await w.run_until(_utc(2026, 3, 26, 12), step_minutes=100)
    got = [(s.kind, s.target, s.at.date().isoformat()) for s in w.transport.sent]
    assert got == [
        ("dm", "U1001", "2026-03-13"),
        ("channel", "C1", "2026-03-18"),
        ("dm", "U1001", "2026-03-20"),
        ("channel", "C1", "2026-03-25"),
    ]
    assert "Milestone due today: Determine core business model" in w.transport.sent[2].reply.title
    assert w.transport.sent[2].reply.buttons[0].action == "milestone.done"


async def test_done_milestone_is_not_reminded_even_if_already_queued(world: World) -> None:
    await world.admin.say("/cos-service stage early since 2026-03")
    await world.admin.say("/cos-service milestone date 1 2026-03-09")
    world.transport.fail["C1"] = [DeliveryError("503")]
    world.clock.set(_utc(2026, 3, 9, 9))
    await world.tick()
    await world.admin.say("/cos-service milestone done 1")
    world.clock.set(_utc(2026, 3, 9, 9, 5))
    await world.tick()
    assert world.transport.sent == []
    assert [r.status for r in await _rows(world)] == ["skipped"]


async def test_digest_now_and_risk_review_reminder(world: World) -> None:
    await world.admin.say("/cos-risk schedule monthly 09:00 UTC")
    await world.admin.say("/cos-risk review gdpr low")
    r = await world.admin.say("/cos-service digest now")
    assert "now" in r.title
    await world.tick()
    (digest,) = world.transport.sent
    assert digest.reply.title == "Team digest" and "Risk reviews due (11)" in digest.text
    world.clock.set(_utc(2026, 4, 1, 9))
    await world.tick()
    review = world.transport.sent[-1]
    assert review.what == "risk_review" and review.reply.title == "Risk review due: 11 of 12 register items"
    assert [b.action for b in review.reply.buttons][-2:] == ["delivery.snooze"] * 2
    assert all(b.action == "risk.review" for b in review.reply.buttons[:-2])


async def test_unschedule_stops_future_and_pending_deliveries(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.transport.fail["C1"] = [DeliveryError("503")]
    world.clock.set(_utc(2026, 3, 2, 14, 5))
    await world.tick()
    await world.admin.say("/cos-service unschedule 1")
    await world.run_until(_utc(2026, 3, 4), step_minutes=60)
    assert world.transport.sent == []
    assert [r.status for r in await _rows(world)] == ["skipped"]


async def test_lease_fencing(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service digest now")
    db, now = w.app.db, w.clock.now()
    (a,) = await outbox.claim(db, token="worker-a", now=now, limit=10, lease=timedelta(seconds=30))
    assert await outbox.claim(db, token="worker-b", now=now, limit=10, lease=timedelta(seconds=30)) == []
    later = now + timedelta(seconds=31)  # worker a stalled past its lease
    (b,) = await outbox.claim(db, token="worker-b", now=later, limit=10, lease=timedelta(seconds=30))
    assert b.id == a.id and b.attempts == 1  # a re-claim after a lost lease is not a new try
    assert await outbox.mark_sent(db, a, now=later) is False
    assert await outbox.mark_sent(db, b, now=later) is True
    assert await outbox.mark_sent(db, b, now=later) is False
    (row,) = await _rows(w)
    assert row.status == "sent" and row.claimed_by == "worker-b"


async def test_missing_transport_retries_then_dead_letters(world: World) -> None:
    await world.admin.say("/cos-service digest now", platform="slack")
    await world.run_until(world.clock.now() + timedelta(hours=3), step_minutes=2)
    (row,) = await _rows(world)
    assert row.status == "dead" and "no transport" in (row.last_error or "")


async def test_background_loop_uses_apscheduler_and_wakes_on_digest_now(sqlite_url: str, clock: FakeClock) -> None:
    w = await make_world(sqlite_url, clock, scheduler_enabled=True, poll_seconds=0.5)
    try:
        (loop,) = w.app.background()
        task = asyncio.create_task(loop)
        await w.admin.say("/cos-service digest now")
        for _ in range(100):
            if w.transport.sent:
                break
            await asyncio.sleep(0.02)
        assert [s.what for s in w.transport.sent] == ["digest"]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await w.app.close()


async def test_scheduler_disabled_adds_no_loop(world: World) -> None:
    assert world.app.background() == []
    assert world.app.scheduler is world.scheduler


_ = FakeTransport


async def test_a_poll_falling_due_as_the_loop_stops_is_not_cancelled_half_way(
    sqlite_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SIGTERM in the loop iteration where the poll's timer fires. APScheduler's ``shutdown`` is carried out on
    the next iteration and cancels the jobs it finds pending, which it logs as "Error running job" with a
    traceback; the loop stops the jobs first, so no job is submitted to be cancelled."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    w = await make_world(sqlite_url, clock, scheduler_enabled=True, poll_seconds=60)
    shutdown = AsyncIOScheduler.shutdown
    submitted: list[str] = []

    def shutdown_as_the_poll_fires(self: AsyncIOScheduler, wait: bool = True) -> None:
        shutdown(self, wait)  # carried out on the next loop iteration
        self.get_job("poll").modify(next_run_time=datetime.now(UTC))
        self.add_listener(lambda event: submitted.append(event.job_id), EVENT_JOB_SUBMITTED)
        self._process_jobs()  # the poll's timer, firing in the same iteration

    monkeypatch.setattr(AsyncIOScheduler, "shutdown", shutdown_as_the_poll_fires)
    caplog.set_level(logging.INFO)
    try:
        (loop,) = w.app.background()
        task = asyncio.ensure_future(loop)
        await asyncio.sleep(0.5)  # the first tick is done; the poll is a minute away
        task.cancel()
        await asyncio.wait([task], timeout=30)
        await asyncio.sleep(0.1)  # APScheduler's deferred shutdown has run
        assert task.cancelled() and submitted == []
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert errors == [], [r.getMessage() for r in errors]
    finally:
        await w.app.close()
