"""PostgreSQL goes away under the running bot (through ``FaultProxy``): refused while it restarts, or a
partition that accepts connections and never answers.

What must hold: a team command gets "the database is unavailable, try again in a minute" (no error id,
no traceback, bounded by the request budget), a change asked for in the outage is not made, the log
says once that the database is down and once that it is back (with a count), and deliveries due
during the outage go out once after it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.answering.answer import VERSION_CHECK_SECONDS
from bot.kernel.clock import FakeClock
from bot.kernel.errors import DatabaseUnavailable
from tests.faults.proxy import FaultProxy
from tests.world import World, make_world, schedules

pytestmark = pytest.mark.postgres

UNAVAILABLE = DatabaseUnavailable.MESSAGE
# The request budget is the default; the driver limits are shorter than the defaults to keep the test quick.
LIMITS = dict(db_request_timeout=2.0, db_connect_timeout=1.0, db_command_timeout=2.0, db_pool_timeout=2.0)
# A generous guard: the reply is bounded by the request budget, far below the 60 s stall it replaces.
GUARD = 10.0


def through(proxy: FaultProxy, url: str) -> str:
    assert "@127.0.0.1:5432/" in url, url
    return url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")


async def break_db(proxy: FaultProxy, fault: str) -> None:
    if fault == "refused":  # a restart: live connections reset, new ones refused
        proxy.cut()
        await proxy.set_mode("refuse")
    else:  # a partition: nothing answers, on live connections or new ones
        await proxy.set_mode("blackhole")


@pytest.fixture
async def world(proxy: FaultProxy, pg_url: str, clock: FakeClock) -> AsyncIterator[World]:
    w = await make_world(through(proxy, pg_url), clock, **LIMITS)
    try:
        yield w
    finally:
        await proxy.set_mode("forward")
        await w.app.close()


def outage_lines(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    down = [r.getMessage() for r in caplog.records if r.getMessage().startswith("database unavailable")]
    back = [r.getMessage() for r in caplog.records if r.getMessage().startswith("database back after")]
    return down, back


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.exc_info is not None or r.levelno >= logging.ERROR]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]


async def until(predicate: Callable[[], Awaitable[bool]], seconds: float = 15.0, step: float = 0.1) -> None:
    """Ask ``predicate`` every ``step`` seconds until it holds; fail after ``seconds``."""
    async with asyncio.timeout(seconds):
        while True:
            if await predicate():
                return
            await asyncio.sleep(step)


@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_team_command_says_try_again_once_logged_and_changes_nothing(
    world: World, proxy: FaultProxy, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert "Digest scheduled" in await world.admin.text("/cos-service digest daily 14:05 UTC")
    caplog.set_level(logging.INFO)
    await break_db(proxy, fault)

    for line in ("/cos-service schedules", "/cos-service digest off", "/cos-risk register"):
        text = await asyncio.wait_for(world.admin.text(line), GUARD)
        assert UNAVAILABLE in text, text
        assert "error id" not in text.lower() and "Traceback" not in text
    down, back = outage_lines(caplog)
    assert len(down) == 1 and back == [], down  # once per outage, not per request
    assert_no_tracebacks(caplog)

    await proxy.set_mode("forward")

    async def answered() -> bool:
        return UNAVAILABLE not in await world.admin.text("/cos-service schedules")

    await until(answered)
    down, back = outage_lines(caplog)
    assert len(down) == 1 and len(back) == 1, (down, back)
    assert "request" in back[0], back
    assert [s.active for s in await schedules(world.app)] == [True]  # "digest off" in the outage changed nothing
    assert_no_tracebacks(caplog)


@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_scheduler_logs_the_outage_once_and_delivers_what_fell_due_once_after(
    world: World, proxy: FaultProxy, clock: FakeClock, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    channels = [f"C{n}" for n in range(5)]
    for channel in channels:
        reply = await world.admin.text("/cos-service digest daily 09:05 UTC", channel=channel)
        assert "Digest scheduled" in reply, reply
    scheduler = world.app.scheduler
    outage = world.app.db.outage
    caplog.set_level(logging.INFO)
    loop = asyncio.ensure_future(scheduler.run())
    try:
        await asyncio.sleep(0.2)  # the first tick: nothing due yet
        await break_db(proxy, fault)
        clock.set(datetime(2026, 3, 2, 9, 6, tzinfo=UTC))  # the digests fall due inside the outage

        async def ticks_failed() -> bool:
            scheduler.wake.set()
            return outage.failed_work["scheduler tick"] >= 3

        await until(ticks_failed, 30, 0.2)
        assert world.transport.sent == []
        down, back = outage_lines(caplog)
        assert len(down) == 1 and back == [], down

        await proxy.set_mode("forward")
        clock.set(clock.now() + timedelta(minutes=1))

        async def delivered() -> bool:
            scheduler.wake.set()
            return len(world.transport.sent) >= len(channels)

        await until(delivered, 30, 0.2)
        for _ in range(3):  # more ticks after the catch-up send nothing again
            scheduler.wake.set()
            await asyncio.sleep(0.2)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)

    assert sorted(s.target for s in world.transport.sent) == channels  # each once, none lost
    assert {s.what for s in world.transport.sent} == {"digest"}
    down, back = outage_lines(caplog)
    assert len(down) == 1 and len(back) == 1, (down, back)
    assert "scheduler tick" in back[0], back
    assert_no_tracebacks(caplog)


@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_knowledge_question_is_answered_while_the_database_hangs(
    world: World, proxy: FaultProxy, fault: str
) -> None:
    """Knowledge answers need no database: the shared knowledge answers, within the request budget."""
    await break_db(proxy, fault)
    text = await asyncio.wait_for(world.member.text("/cos-service legal"), GUARD)
    assert "Comprehensive Legal Services" in text, text
    assert UNAVAILABLE not in text


async def test_a_taught_phrase_is_answered_while_the_database_hangs(world: World, proxy: FaultProxy) -> None:
    """The last known overlay answers, and the question waits in the journal for the database."""
    assert "legal" in (await world.admin.text("/cos-service teach zorblax quuxwing -> legal")).lower()
    assert "Comprehensive Legal Services" in await world.member.text("/cos-service zorblax quuxwing")
    await break_db(proxy, "partition")
    world.app.clock.advance(timedelta(seconds=VERSION_CHECK_SECONDS))  # type: ignore[attr-defined]
    for _ in range(3):  # stale now: each answer starts a version check that hangs behind it
        text = await asyncio.wait_for(world.member.text("/cos-service zorblax quuxwing"), GUARD)
        assert "Comprehensive Legal Services" in text, text
    assert len(world.app.answering.journal) >= 3  # kept in memory until the database is back
