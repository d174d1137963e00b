"""A drain worker process for the PostgreSQL concurrency test: the real Scheduler.drain, a recording transport.

``python -m tests.scheduler.drain_worker <database url> <worker name> <lease seconds> <send delay seconds>``

Every delivery is written to ``delivery_log`` (key, worker) before the
outbox row is marked sent, so a duplicate delivery is visible in the table.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from sqlalchemy import text

from bot.app import App
from bot.kernel.clock import SystemClock
from bot.kernel.reply import Reply
from bot.kernel.settings import Settings
from bot.kernel.transport import SendResult
from bot.scheduler.pacing import Pacer
from bot.scheduler.service import Scheduler
from bot.storage.db import Database
from bot.team.delivery.reminders import RISK_REVIEW


class RecordingTransport:
    platform = "console"

    def __init__(self, db: Database, worker: str, delay: float) -> None:
        self.db, self.worker, self.delay = db, worker, delay

    async def _record(self, key: str) -> None:
        # The platform has the message as soon as it is recorded; the delay is the
        # response still travelling back, the window in which a crash repeats a send.
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO delivery_log (key, worker) VALUES (:k, :w)"), {"k": key, "w": self.worker}
            )
        if self.delay:
            await asyncio.sleep(self.delay)

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        await self._record(key)
        return SendResult(channel=channel, message_id=key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        await self._record(key)
        return SendResult(channel=user, message_id=key)


async def run(url: str, worker: str, lease: float, delay: float) -> None:
    db = Database(url)
    settings = Settings(database_url=url, scheduler_enabled=False, instance_id=worker)
    # The drain path needs no knowledge or router: risk-review rows render from the database alone.
    app = App(settings=settings, kb=None, searcher=None, router=None, db=db, clock=SystemClock())  # type: ignore[arg-type]
    app.deliveries.add_kind(RISK_REVIEW)  # the rows are risk reviews; no other feature is installed
    app.transports["console"] = RecordingTransport(db, worker, delay)
    scheduler = Scheduler(app, pacer=Pacer({}), batch=10, concurrency=4, lease=timedelta(seconds=lease))
    try:
        await scheduler.drain_until_empty()
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
