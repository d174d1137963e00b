"""Pacing shared by replicas on PostgreSQL: two schedulers draining one outbox stay within one set of limits.

Time is a FakeClock whose ``now`` is per task: a delivery that waits for its slot moves its own time
to that slot, so the send log holds the moments the sends would have gone out, with no real sleeps.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from bot.app import build_app
from bot.kernel.clock import FakeClock
from bot.kernel.errors import DeliveryError
from bot.kernel.settings import Settings
from bot.scheduler.models import Outbox, Schedule, SendPace
from bot.scheduler.pacing import Limits, Pacer, SharedPacer
from bot.storage.db import Database, _alembic_config, migrate
from tests.world import Sent, World, make_world

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LIMITS = {"console": Limits(channel_interval=1.0, workspace_rate=4.0)}


class TaskClock(FakeClock):
    """A FakeClock whose ``sleep`` moves only the sleeping task's time (each delivery is its own task)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._mine: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(f"t{id(self)}", default=None)

    def now(self) -> datetime:
        return self._mine.get() or super().now()

    async def sleep(self, seconds: float) -> None:
        self._mine.set(self.now() + timedelta(seconds=seconds))
        await asyncio.sleep(0)


async def _replica(url: str, clock: TaskClock, limits: dict[str, Limits] = LIMITS) -> World:
    w = await make_world(url, clock)
    s = w.app.scheduler
    s.pacer = SharedPacer(w.app.db, limits, now=clock.now, sleep=clock.sleep)
    s.concurrency, s.batch = 6, 6
    return w


@pytest.fixture
async def replicas(pg_url: str) -> AsyncIterator[tuple[World, World, TaskClock]]:
    clock = TaskClock(START)
    a = await _replica(pg_url, clock)
    b = await _replica(pg_url, clock)
    try:
        yield a, b, clock
    finally:
        await a.app.close()
        await b.app.close()


async def _digests(w: World, channels: list[str], per_channel: int, workspace: str = "T1") -> int:
    """``per_channel`` digest schedules on each channel, all due now."""
    created = START - timedelta(hours=1)
    async with w.app.db.session() as session:
        session.add_all(
            [
                Schedule(
                    platform="console",
                    workspace=workspace,
                    kind="digest",
                    channel=c,
                    cadence="daily",
                    hour=8,
                    minute=0,
                    tz="UTC",
                    skip_weekends=False,
                    active=True,
                    planned_until=created,
                    created_by="test",
                    created_at=created,
                )
                for c in channels
                for _ in range(per_channel)
            ]
        )
    return await w.app.scheduler.plan()


def _within_limits(log: list[Sent], limits: Limits) -> None:
    """No two sends to a channel closer than its interval; no two sends to a workspace closer than 1/rate."""
    eps = 1e-6
    by_channel: dict[tuple[str, str], list[datetime]] = {}
    by_workspace: dict[str, list[datetime]] = {}
    for s in log:
        by_channel.setdefault((s.workspace, s.target), []).append(s.at)
        by_workspace.setdefault(s.workspace, []).append(s.at)
    for key, times in by_channel.items():
        times.sort()
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(g >= limits.channel_interval - eps for g in gaps), (key, gaps)
    assert limits.workspace_rate
    for ws, times in by_workspace.items():
        times.sort()
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        assert all(g >= 1 / limits.workspace_rate - eps for g in gaps), (ws, gaps)
        # and so never more than ``rate`` sends in any one-second window
        rate = int(limits.workspace_rate)
        assert all((times[i + rate] - times[i]).total_seconds() >= 1 - eps for i in range(len(times) - rate))


@pytest.mark.postgres
async def test_two_replicas_share_the_channel_and_workspace_limits(replicas: tuple[World, World, TaskClock]) -> None:
    a, b, _ = replicas
    channels = ["C1", "C2", "C3"]
    assert await _digests(a, channels, per_channel=8) == 24
    sa, sb = a.app.scheduler, b.app.scheduler
    stats = await asyncio.gather(sa.drain(), sb.drain())
    log = a.transport.sent + b.transport.sent
    keys = [s.key for s in log]
    assert len(keys) == 24 and len(set(keys)) == 24  # every digest once
    assert a.transport.sent and b.transport.sent  # both replicas really sent
    assert sum(st.sent for st in stats) == 24
    _within_limits(log, LIMITS["console"])
    async with a.app.db.session() as session:
        rows = {r.scope: r.next_at for r in (await session.execute(select(SendPace))).scalars()}
    assert set(rows) == {"ws:T1", "ch:T1:C1", "ch:T1:C2", "ch:T1:C3"}


@pytest.mark.postgres
async def test_a_workspace_fan_out_is_spread_at_the_workspace_rate_across_replicas(
    replicas: tuple[World, World, TaskClock],
) -> None:
    a, b, _ = replicas
    channels = [f"C{i}" for i in range(20)]
    assert await _digests(a, channels, per_channel=1) == 20
    await asyncio.gather(a.app.scheduler.drain(), b.app.scheduler.drain())
    log = a.transport.sent + b.transport.sent
    assert len({s.key for s in log}) == 20 == len(log)
    assert a.transport.sent and b.transport.sent
    _within_limits(log, LIMITS["console"])
    times = sorted(s.at for s in log)
    assert (times[-1] - START).total_seconds() == pytest.approx(19 / 4.0, abs=1e-3)  # an even stream, no gaps


@pytest.mark.postgres
async def test_per_process_pacers_would_break_the_limit(pg_url: str) -> None:
    """The control: the same drain with an in-memory pacer per replica sends two messages in one slot."""
    clock = TaskClock(START)
    a, b = await _replica(pg_url, clock), await _replica(pg_url, clock)
    try:
        for w in (a, b):
            w.app.scheduler.pacer = Pacer(LIMITS, monotonic=lambda: clock.now().timestamp(), sleep=clock.sleep)
        await _digests(a, ["C1", "C2", "C3"], per_channel=8)
        await asyncio.gather(a.app.scheduler.drain(), b.app.scheduler.drain())
        with pytest.raises(AssertionError):
            _within_limits(a.transport.sent + b.transport.sent, LIMITS["console"])
    finally:
        await a.app.close()
        await b.app.close()


@pytest.mark.postgres
async def test_a_retry_after_seen_by_one_replica_holds_the_workspace_for_the_other(
    replicas: tuple[World, World, TaskClock],
) -> None:
    a, b, _ = replicas
    a.transport.fail["C1"] = [DeliveryError("ratelimited", retry_after=30.0)]
    await _digests(a, ["C1"], per_channel=1)
    stats = await a.app.scheduler.drain()
    assert stats.rate_limited == 1 and not a.transport.sent
    # Another workspace is not held up; this one is, on the other replica too.
    await _digests(b, ["C9"], per_channel=1, workspace="T2")
    await _digests(b, ["C2"], per_channel=1)
    await b.app.scheduler.drain()
    sent = {s.workspace: s.at for s in b.transport.sent}
    assert sent["T2"] == START
    assert (sent["T1"] - START).total_seconds() >= 30.0
    async with b.app.db.session() as session:
        row = (await session.execute(select(Outbox).where(Outbox.target == "C1"))).scalar_one()
    assert row.status == "pending" and row.attempts == 0  # the rate-limited row is retried, its try given back


@pytest.mark.postgres
async def test_a_penalty_never_shortens_a_longer_hold(pg_url: str) -> None:
    clock = TaskClock(START)
    db = Database(pg_url)
    try:
        await migrate(db)
        p = SharedPacer(db, LIMITS, now=clock.now, sleep=clock.sleep)
        q = SharedPacer(db, LIMITS, now=clock.now, sleep=clock.sleep)  # another replica
        await p.penalise("console", "T1", 60.0)
        await q.penalise("console", "T1", 5.0)
        assert await q.reserve("console", "T1", "C1") == pytest.approx(60.0)
        assert await p.reserve("console", "T1", "C2") == pytest.approx(60.25)
        assert await p.reserve("console", "T2", "C1") == 0.0
        assert await p.reserve("unpaced", "T1", "C1") == 0.0  # a platform without limits costs no query
        assert await p.wait("console", "T1", "C1") == pytest.approx(61.0)
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_the_database_clock_is_used_when_none_is_injected(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrate(db)
        p = SharedPacer(db, {"slack": Limits(channel_interval=30.0)})
        first = await p.reserve("slack", "T1", "C1")
        second = await p.reserve("slack", "T1", "C1")
        assert first == 0.0
        assert 0.0 < second <= 30.0  # the second send waits for the first's interval, measured on one clock
    finally:
        await db.dispose()


async def test_sqlite_keeps_the_in_memory_pacer(sqlite_url: str) -> None:
    app = await build_app(Settings(database_url=sqlite_url, scheduler_enabled=False), clock=FakeClock(START))
    try:
        assert type(app.scheduler.pacer) is Pacer
    finally:
        await app.close()


@pytest.mark.postgres
async def test_postgresql_gets_the_shared_pacer(pg_url: str) -> None:
    app = await build_app(Settings(database_url=pg_url, scheduler_enabled=False), clock=FakeClock(START))
    try:
        pacer = app.scheduler.pacer
        assert isinstance(pacer, SharedPacer) and pacer.db is app.db
    finally:
        await app.close()


async def test_migration_0005_downgrades_and_upgrades(db_url: str) -> None:
    from alembic import command

    db = Database(db_url)
    try:
        await migrate(db)

        def pk(conn):  # type: ignore[no-untyped-def]
            insp = inspect(conn)
            if "send_pace" not in insp.get_table_names():
                return None
            return insp.get_pk_constraint("send_pace")

        async with db.engine.connect() as conn:
            got = await conn.run_sync(pk)
        assert got["constrained_columns"] == ["platform", "scope"]
        if not db.is_sqlite:  # SQLite does not keep primary key names
            assert got["name"] == "pk_send_pace"

        def down(conn):  # type: ignore[no-untyped-def]
            cfg = _alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")

        async with db.engine.connect() as conn:
            await conn.run_sync(down)
            await conn.commit()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(pk) is None
        await migrate(db)
        async with db.engine.connect() as conn:
            assert (await conn.run_sync(pk))["constrained_columns"] == ["platform", "scope"]
    finally:
        await db.dispose()
