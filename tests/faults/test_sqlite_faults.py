"""SQLite that cannot be written: a file locked by another connection (``BEGIN EXCLUSIVE``), and a
read-only file. Team commands say "try again in a minute" within the request budget and change
nothing; knowledge answers go on; the scheduler logs the outage once and delivers after it, once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.kernel.clock import FakeClock
from bot.kernel.errors import DatabaseUnavailable
from bot.kernel.settings import Settings
from tests.conftest import Harness, shared_knowledge
from tests.faults.test_database_down import GUARD, assert_no_tracebacks, outage_lines, until
from tests.world import make_world, schedules, take_write_lock

UNAVAILABLE = DatabaseUnavailable.MESSAGE


async def test_a_locked_file_gets_try_again_and_the_scheduler_delivers_once_after(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cos-bot.db"
    world = await make_world(f"sqlite+aiosqlite:///{path}", clock, db_command_timeout=1.0)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    loop: asyncio.Future[None] | None = None
    try:
        channels = ["C1", "C2", "C3"]
        for channel in channels:
            assert "Digest scheduled" in await world.admin.text("/cos-service digest daily 09:05 UTC", channel=channel)
        caplog.set_level(logging.INFO)
        await take_write_lock(holder)  # another process holds the write lock

        text = await asyncio.wait_for(world.admin.text("/cos-service digest off", channel="C1"), GUARD)
        assert UNAVAILABLE in text and "error id" not in text.lower(), text
        answer = await asyncio.wait_for(world.member.text("/cos-service legal"), GUARD)
        assert "Comprehensive Legal Services" in answer

        outage = world.app.db.outage
        loop = asyncio.ensure_future(world.app.scheduler.run())
        clock.set(datetime(2026, 3, 2, 9, 6, tzinfo=UTC))

        async def ticks_failed() -> bool:
            world.app.scheduler.wake.set()
            return outage.failed_work["scheduler tick"] >= 2

        await until(ticks_failed, 30, 0.2)
        assert world.transport.sent == []
        holder.execute("ROLLBACK")
        clock.set(clock.now() + timedelta(minutes=1))

        async def delivered() -> bool:
            world.app.scheduler.wake.set()
            return len(world.transport.sent) >= len(channels)

        await until(delivered, 30, 0.2)
        for _ in range(3):
            world.app.scheduler.wake.set()
            await asyncio.sleep(0.2)
    finally:
        if loop is not None:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
        holder.close()
        await world.app.close()

    assert sorted(s.target for s in world.transport.sent) == channels  # once each, none lost
    assert all(s.active for s in await _schedules(path, clock))  # "digest off" under the lock changed nothing
    down, back = outage_lines(caplog)
    assert len(down) == 1 and "OperationalError" in down[0], down
    assert len(back) == 1 and "scheduler tick" in back[0], back
    assert_no_tracebacks(caplog)


async def _schedules(path: Path, clock: FakeClock) -> list:  # type: ignore[type-arg]
    app = await build_app(
        Settings(database_url=f"sqlite+aiosqlite:///{path}", scheduler_enabled=False),
        clock=clock,
        knowledge=shared_knowledge(),
    )
    try:
        return await schedules(app)
    finally:
        await app.close()


async def test_a_read_only_file_gets_try_again_and_answers_questions(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cos-bot.db"
    world = await make_world(f"sqlite+aiosqlite:///{path}", clock)
    assert "Digest scheduled" in await world.admin.text("/cos-service digest daily 09:05 UTC")
    await world.app.close()

    # Opened read-only, as on a read-only volume: SQLite answers "attempt to write a readonly database".
    settings = Settings(database_url=f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true", scheduler_enabled=False)
    app = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    caplog.set_level(logging.INFO)
    try:
        admin = Harness(app, role="admin", workspace="T1", channel="C1", user="UADMIN")
        for line in ("/cos-service digest off", "/cos-service timezone Europe/Berlin"):
            text = await asyncio.wait_for(admin.text(line), GUARD)
            assert UNAVAILABLE in text and "error id" not in text.lower(), text
        answer = await asyncio.wait_for(admin.text("/cos-service legal"), GUARD)
        assert "Comprehensive Legal Services" in answer
        assert [s.active for s in await schedules(app)] == [True]
    finally:
        await app.close()
    down, _ = outage_lines(caplog)
    assert len(down) == 1 and "OperationalError" in down[0], down
    assert_no_tracebacks(caplog)
