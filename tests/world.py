"""The delivery world of the scheduler and team tests.

A recording fake Transport, an app on SQLite and PostgreSQL, a tick helper.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, to_text
from bot.kernel.settings import Settings
from bot.kernel.transport import SendResult
from bot.scheduler import Scheduler
from bot.scheduler.models import Outbox, Schedule
from bot.scheduler.pacing import Pacer
from tests.conftest import Harness, shared_knowledge


@dataclass
class Sent:
    at: datetime
    kind: str  # channel | dm
    workspace: str
    target: str
    reply: Reply
    key: str

    @property
    def text(self) -> str:
        return to_text(self.reply, plain_mentions=True)  # as the console shows it

    @property
    def what(self) -> str:
        """The outbox kind encoded in the key (digest, checkin, nudge ...)."""
        return self.key.split(":", 1)[0]


@dataclass
class FakeTransport:
    """Records every send; ``fail[target]`` is a list of exceptions raised one per attempt."""

    clock: FakeClock
    platform: str = "console"
    sent: list[Sent] = field(default_factory=list)
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    attempts: list[tuple[str, str]] = field(default_factory=list)
    edits: list[tuple[str, Reply]] = field(default_factory=list)

    def _maybe_fail(self, target: str, key: str) -> None:
        self.attempts.append((target, key))
        queue = self.fail.get(target)
        if queue:
            exc = queue.pop(0) if len(queue) > 1 or not getattr(queue[0], "sticky", False) else queue[0]
            raise exc

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        self._maybe_fail(channel, key)
        self.sent.append(Sent(self.clock.now(), "channel", workspace, channel, reply, key))
        return SendResult(channel=channel, message_id=key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        self._maybe_fail(user, key)
        self.sent.append(Sent(self.clock.now(), "dm", workspace, user, reply, key))
        return SendResult(channel=f"D-{user}", message_id=key)

    async def send_thread(self, *, workspace: str, channel: str, parent: str, reply: Reply, key: str) -> SendResult:
        self._maybe_fail(channel, key)
        self.sent.append(Sent(self.clock.now(), "thread", workspace, f"{channel}/{parent}", reply, key))
        return SendResult(channel=channel, message_id=key)

    async def update(self, *, workspace: str, channel: str, message_id: str, reply: Reply) -> SendResult:
        self._maybe_fail(channel, message_id)
        self.edits.append((message_id, reply))
        return SendResult(channel=channel, message_id=message_id)


def sticky(exc: DeliveryError) -> DeliveryError:
    """An exception raised on every attempt."""
    exc.sticky = True  # type: ignore[attr-defined]
    return exc


@dataclass
class World:
    app: App
    clock: FakeClock
    transport: FakeTransport
    admin: Harness
    member: Harness

    @property
    def scheduler(self) -> Scheduler:
        return self.app.scheduler

    async def tick(self) -> None:
        await self.scheduler.tick()

    async def run_until(self, until: datetime, *, step_minutes: float = 15) -> None:
        """Tick every ``step_minutes`` of fake time up to ``until``."""
        from datetime import timedelta

        while self.clock.now() < until:
            self.clock.set(min(until, self.clock.now() + timedelta(minutes=step_minutes)))
            await self.tick()


async def make_world(url: str, clock: FakeClock, **overrides: object) -> World:
    overrides.setdefault("scheduler_enabled", False)
    settings = Settings(database_url=url, **overrides)  # type: ignore[arg-type]
    app = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    transport = FakeTransport(clock)
    app.transports["console"] = transport
    app.scheduler.pacer = Pacer({})  # pacing has its own tests; fake time must not sleep
    return World(
        app,
        clock,
        transport,
        Harness(app, role="admin", workspace="T1", channel="C1", user="UADMIN"),
        Harness(app, workspace="T1", channel="C1", user="U1001"),
    )


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 March 2026, 08:00 UTC
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
async def world(sqlite_url: str, clock: FakeClock) -> AsyncIterator[World]:
    w = await make_world(sqlite_url, clock)
    try:
        yield w
    finally:
        await w.app.close()


@pytest.fixture
async def any_world(db_url: str, clock: FakeClock) -> AsyncIterator[World]:
    """The same world on SQLite and on PostgreSQL."""
    w = await make_world(db_url, clock)
    try:
        yield w
    finally:
        await w.app.close()


# Row listings for end-to-end tests (here and through the adapters).
async def schedules(app: App) -> list[Schedule]:
    async with app.db.session() as session:
        return list((await session.execute(select(Schedule).order_by(Schedule.id))).scalars())


async def outbox_rows(app: App, **where: Any) -> list[Outbox]:
    async with app.db.session() as session:
        query = select(Outbox).order_by(Outbox.id)
        for name, value in where.items():
            query = query.where(getattr(Outbox, name) == value)
        return list((await session.execute(query)).scalars())


def due_risk_reviews(n: int, at: datetime, *, workspace: str = "W") -> list[Outbox]:
    """``n`` pending risk-review rows to channels ``C0``…, due at ``at`` (the outbox tests' claimable rows)."""
    return [
        Outbox(
            key=f"risk_review:console:{workspace}:0:{i}",
            platform="console",
            workspace=workspace,
            schedule_id=None,
            kind="risk_review",
            target_type="channel",
            target=f"C{i}",
            channel=f"C{i}",
            due_at=at,
            tz="UTC",
            payload="{}",
            status="pending",
            attempts=0,
            next_attempt_at=at,
            fallback=False,
            created_at=at,
        )
        for i in range(n)
    ]


async def take_write_lock(holder: sqlite3.Connection) -> None:
    """Another process takes SQLite's write lock once the bot's own write of the moment is through.

    ``holder`` must be opened with ``timeout=0`` and ``isolation_level=None``: the lock is tried without waiting
    inside SQLite, because a busy wait there would block the event loop that the bot's write needs to commit.
    """
    for _ in range(1000):
        try:
            holder.execute("BEGIN EXCLUSIVE")
            return
        except sqlite3.OperationalError:
            await asyncio.sleep(0.01)
    raise AssertionError("the write lock was never free for 10 s")
