"""The outbox's lease under slow sends and replicas, attempts under rate limits, broken schedules, moving zones."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.kernel.clock import FakeClock
from bot.kernel.errors import DeliveryError
from bot.kernel.transport import SendResult
from bot.scheduler import outbox
from bot.scheduler.models import Outbox, Schedule
from bot.scheduler.pacing import Pacer
from bot.team.models import Member, Milestone
from tests.conftest import Harness
from tests.world import World, make_world, sticky


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def _rows(world: World) -> list[Outbox]:
    async with world.app.db.session() as s:
        return list((await s.execute(select(Outbox).order_by(Outbox.id))).scalars())


async def _two_replicas(db_url: str, clock: FakeClock) -> tuple[World, World]:
    a = await make_world(db_url, clock)
    b = await make_world(db_url, clock)
    b.app.transports["console"] = a.transport  # one recording of what the platform received
    for ch in ("C1", "C2", "C3"):
        await Harness(a.app, role="admin", workspace="T1", channel=ch, user="UA").say("/cos-service digest now")
    return a, b


async def test_rows_queued_behind_a_slow_send_are_not_sent_again_by_their_first_holder(
    db_url: str, clock: FakeClock
) -> None:
    """Concurrency 1, three rows, the first send takes six minutes: replica B takes over what A had not started."""
    a, b = await _two_replicas(db_url, clock)
    try:
        sa = a.app.scheduler
        sa.concurrency = 1
        send = a.transport.send_channel
        calls = 0

        async def slow(**kw: Any) -> SendResult:
            nonlocal calls
            calls += 1
            result = await send(**kw)
            if calls == 1:  # the platform has it, the answer takes six minutes to come back
                clock.advance(timedelta(minutes=6))
                await b.app.scheduler.drain()  # replica B polls meanwhile
            return result

        a.transport.send_channel = slow  # type: ignore[method-assign]
        stats = await sa.drain()
        per_key = Counter(s.key for s in a.transport.sent)
        # Before: A had claimed all three and sent each after B had (6 sends for 3 rows). Now only the
        # send that was under way when its lease ran out is repeated, with the same idempotency key.
        assert len(per_key) == 3 and sum(per_key.values()) == 4
        assert sorted(per_key.values()) == [1, 1, 2]
        assert stats.sent == 1 and stats.lost_lease == 1  # its mark-sent found the row re-claimed
        assert all(r.status == "sent" and r.attempts == 1 for r in await _rows(a))
    finally:
        await a.app.close()
        await b.app.close()


class _StallingPacer(Pacer):
    """Pacing that makes the n-th wait last ``stall`` of fake time, while ``during`` runs (another replica)."""

    def __init__(self, clock: FakeClock, n: int, stall: timedelta, during: Any) -> None:
        super().__init__({})
        self.clock, self.n, self.stall, self.during, self.calls = clock, n, stall, during, 0

    async def wait(self, platform: str, workspace: str, channel: str, *, ahead: Any = None) -> float:
        self.calls += 1
        if self.calls == self.n:
            self.clock.advance(self.stall)
            await self.during()
        return 0.0


async def test_a_row_whose_lease_ran_out_while_waiting_for_a_send_slot_is_not_sent(
    db_url: str, clock: FakeClock
) -> None:
    """Waits for a slot (pacing, a Retry-After) happen before the lease check: exactly one send per row."""
    a, b = await _two_replicas(db_url, clock)
    try:
        sa = a.app.scheduler
        sa.concurrency = 1
        sa.pacer = _StallingPacer(clock, 2, timedelta(minutes=6), b.app.scheduler.drain)
        stats = await sa.drain()
        keys = [s.key for s in a.transport.sent]
        assert len(keys) == 3 and len(set(keys)) == 3
        assert stats.sent == 1 and stats.lost_lease == 1
        assert [r.status for r in await _rows(a)] == ["sent"] * 3
    finally:
        await a.app.close()
        await b.app.close()


async def test_a_fallback_send_checks_the_lease_too(sqlite_url: str, clock: FakeClock) -> None:
    a = await make_world(sqlite_url, clock)
    b = await make_world(sqlite_url, clock)
    b.app.transports["console"] = a.transport
    try:
        clock.set(_utc(2026, 3, 9, 8))
        await a.admin.say("/cos-service checkin monday 09:00 @U1002")
        a.transport.fail["U1002"] = [sticky(DeliveryError("cannot DM user (50007)", permanent=True))]
        clock.set(_utc(2026, 3, 9, 9))
        await a.app.scheduler.plan()
        sa = a.app.scheduler
        # the DM fails at once; the wait for the channel's slot takes six minutes, B takes the row over
        sa.pacer = _StallingPacer(clock, 2, timedelta(minutes=6), b.app.scheduler.drain)
        stats = await sa.drain()
        assert stats.lost_lease == 1 and stats.fallback == 0
        fallbacks = [s for s in a.transport.sent if s.key.endswith(":fallback")]
        assert len(fallbacks) == 1  # B's only
    finally:
        await a.app.close()
        await b.app.close()


async def test_a_claim_takes_no_more_rows_than_can_be_sent_at_once(world: World) -> None:
    for ch in [f"C{i}" for i in range(10)]:
        await Harness(world.app, role="admin", workspace="T1", channel=ch, user="UA").say("/cos-service digest now")
    scheduler = world.app.scheduler
    scheduler.concurrency = 3
    held: list[int] = []
    send = world.transport.send_channel

    async def spy(**kw: Any) -> SendResult:
        held.append(sum(r.status == "claimed" for r in await _rows(world)))
        return await send(**kw)

    world.transport.send_channel = spy  # type: ignore[method-assign]
    stats = await scheduler.drain()
    assert stats.sent == 10 and len(world.transport.sent) == 10
    assert max(held) <= 3  # before: all ten claimed at once under one lease


async def test_a_crashed_replicas_rows_are_retried_within_about_a_minute(db_url: str, clock: FakeClock) -> None:
    a, b = await _two_replicas(db_url, clock)
    try:
        sa = a.app.scheduler
        claimed = await outbox.claim(a.app.db, token="crashed", now=clock.now(), limit=10, lease=sa.lease)
        assert len(claimed) == 3 and sa.lease <= timedelta(seconds=60)
        clock.advance(timedelta(seconds=30))
        assert (await b.app.scheduler.drain()).sent == 0
        clock.advance(timedelta(seconds=31))
        assert (await b.app.scheduler.drain()).sent == 3  # before: five minutes later
    finally:
        await a.app.close()
        await b.app.close()


async def test_the_lease_is_renewed_while_a_send_is_under_way(db_url: str, clock: FakeClock) -> None:
    """A transport call that takes minutes (Slack's SDK waiting out Retry-Afters) keeps its row."""
    a = await make_world(db_url, clock)
    b = await make_world(db_url, clock)
    b.app.transports["console"] = a.transport
    try:
        await a.admin.say("/cos-service digest now")
        sa = a.app.scheduler
        sa.heartbeat = 0.005  # seconds of real time between renewals
        started, release = asyncio.Event(), asyncio.Event()
        send = a.transport.send_channel

        async def hanging(**kw: Any) -> SendResult:
            started.set()
            await release.wait()
            return await send(**kw)

        a.transport.send_channel = hanging  # type: ignore[method-assign]
        task = asyncio.create_task(sa.drain())
        await asyncio.wait_for(started.wait(), 5)
        for _ in range(8):  # six minutes of fake time in 45 s steps, each step waits for a renewal
            clock.advance(timedelta(seconds=45))
            for _ in range(1000):
                (row,) = await _rows(a)
                if row.lease_until is not None and row.lease_until > clock.now() + timedelta(seconds=30):
                    break
                await asyncio.sleep(0.005)
            else:
                raise AssertionError("the lease was not renewed during the send")
            assert (await b.app.scheduler.drain()).sent == 0
        release.set()
        stats = await asyncio.wait_for(task, 5)
        assert stats.sent == 1 and stats.lost_lease == 0
        assert len(a.transport.sent) == 1
        (row,) = await _rows(a)
        assert row.status == "sent"
    finally:
        await a.app.close()
        await b.app.close()


# -- attempts -------------------------------------------------------------------------------------------------


async def test_rate_limits_do_not_use_up_attempts(world: World) -> None:
    await world.admin.say("/cos-service digest now")
    world.transport.fail["C1"] = [DeliveryError("429", retry_after=2.0, code="ratelimited") for _ in range(10)]
    for _ in range(12):
        await world.tick()
        world.clock.advance(timedelta(seconds=5))
    assert len(world.transport.attempts) == 11
    assert len(world.transport.sent) == 1
    (row,) = await _rows(world)
    assert (row.status, row.attempts) == ("sent", 1)  # before: dead after six 429s


async def test_lost_leases_do_not_use_up_attempts(world: World) -> None:
    await world.admin.say("/cos-service digest now")
    db = world.app.db
    for i in range(4):  # four workers die holding it (one fewer than COS_MAX_CLAIMS: not yet poison)
        (row,) = await outbox.claim(db, token=f"dead-{i}", now=world.clock.now(), limit=1, lease=timedelta(seconds=60))
        assert row.attempts == 1  # the first claim's try, handed on to each re-claim
        world.clock.advance(timedelta(seconds=61))
    world.transport.fail["C1"] = [DeliveryError("503")]
    await world.tick()
    (stored,) = await _rows(world)
    assert (stored.status, stored.attempts) == ("pending", 1)  # before: dead, five claims
    world.clock.advance(timedelta(seconds=31))
    await world.tick()
    assert len(world.transport.sent) == 1
    (stored,) = await _rows(world)
    assert (stored.status, stored.attempts) == ("sent", 2)


# -- a broken schedule ----------------------------------------------------------------------------------------


async def test_a_milestone_at_the_edge_of_the_calendar_stops_nobody_elses_reminders(world: World) -> None:
    await world.admin.say("/cos-service digest daily 09:00 UTC")  # workspace T1
    other = Harness(world.app, role="admin", workspace="T2", channel="C9", user="UX")
    await other.say("/cos-service stage early since 2026-03")
    await other.say("/cos-service milestone date 2 2026-03-03")
    async with world.app.db.session() as s:  # past any input check: straight into the table
        await s.execute(
            update(Milestone).where(Milestone.workspace == "T2", Milestone.position == 1).values(due_on=date(1, 1, 2))
        )
    await world.run_until(_utc(2026, 3, 3, 12), step_minutes=60)
    got = [(s.workspace, s.what, s.at.date().isoformat()) for s in world.transport.sent]
    assert ("T1", "digest", "2026-03-02") in got and ("T1", "digest", "2026-03-03") in got
    assert ("T2", "milestone", "2026-03-03") in got  # the workspace's other milestone still reminds
    preview = await world.scheduler.preview(days=3)
    assert any(o.workspace == "T1" for o in preview)


async def test_a_zone_missing_from_tzdata_costs_only_that_participant(world: World) -> None:
    await world.admin.say("/cos-service checkin daily 09:00 @U1001 @U1002")
    async with world.app.db.session() as s:
        s.add(
            Member(
                platform="console", workspace="T1", user="U1002", tz="Mars/Olympus_Mons", updated_at=world.clock.now()
            )
        )
    await world.run_until(_utc(2026, 3, 2, 10), step_minutes=30)
    assert [(s.what, s.target) for s in world.transport.sent] == [("checkin", "U1001")]


async def test_a_schedule_that_cannot_be_computed_does_not_stop_other_workspaces(
    world: World, monkeypatch: Any
) -> None:
    import bot.scheduler.planning as service  # where occurrences are planned
    import bot.scheduler.preview as preview  # and where they are previewed

    await world.admin.say("/cos-service digest daily 09:00 UTC")
    await Harness(world.app, role="admin", workspace="T2", channel="C9", user="UX").say(
        "/cos-service digest daily 09:00 UTC"
    )
    async with world.app.db.session() as s:
        broken = (await s.execute(select(Schedule.id).where(Schedule.workspace == "T2"))).scalar_one()
    real = service.generate

    def generate(schedule: Schedule, *args: Any) -> Any:
        if schedule.id == broken:
            raise OverflowError("date value out of range")
        return real(schedule, *args)

    monkeypatch.setattr(service, "generate", generate)
    monkeypatch.setattr(preview, "generate", generate)
    await world.run_until(_utc(2026, 3, 2, 10), step_minutes=30)
    assert [(s.workspace, s.what) for s in world.transport.sent] == [("T1", "digest")]
    assert [o.workspace for o in await world.scheduler.preview(days=1)] == ["T1"]


async def test_a_failing_planner_does_not_hold_up_deliveries_already_due(world: World, monkeypatch: Any) -> None:
    await world.admin.say("/cos-service digest now")

    async def broken(*_: Any, **__: Any) -> int:
        raise RuntimeError("database hiccup while planning")

    monkeypatch.setattr(world.scheduler, "plan", broken)
    stats = await world.scheduler.tick()
    assert stats.sent == 1 and [s.what for s in world.transport.sent] == ["digest"]


# -- time zones ---------------------------------------------------------------------------------------------


async def test_moving_west_between_check_ins_does_not_ask_twice_on_one_day(world: World) -> None:
    world.clock.set(_utc(2026, 3, 6, 8))  # Friday
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    await world.run_until(_utc(2026, 3, 6, 16, 30))
    await Harness(world.app, user="U1001", tz="America/Los_Angeles").say("/cos-service timezone America/Los_Angeles")
    await world.run_until(_utc(2026, 3, 7, 6))
    checkins = [s.at for s in world.transport.sent if s.what == "checkin"]
    assert checkins == [_utc(2026, 3, 6, 16)]  # before: again at 00:00 UTC Saturday (16:00 Friday in LA)
    await world.run_until(_utc(2026, 3, 14, 6), step_minutes=60)
    checkins = [s.at for s in world.transport.sent if s.what == "checkin"]
    assert checkins == [_utc(2026, 3, 6, 16), _utc(2026, 3, 13, 23)]  # next Friday 16:00 PDT


async def test_daily_check_ins_either_side_of_dst_are_both_sent(world: World) -> None:
    """23 hours apart across the spring change, yet on two local days: the one-a-day rule keeps both."""
    world.clock.set(_utc(2026, 3, 27, 12))
    await world.member.say("/cos-service timezone Europe/Berlin")
    await world.admin.say("/cos-service checkin daily 09:00 @U1001")
    await world.run_until(_utc(2026, 3, 30, 12), step_minutes=30)
    assert [s.at for s in world.transport.sent if s.what == "checkin"] == [
        _utc(2026, 3, 28, 8),
        _utc(2026, 3, 29, 7),
        _utc(2026, 3, 30, 7),
    ]
