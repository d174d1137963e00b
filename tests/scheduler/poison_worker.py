"""A drain worker whose transport kills its own process on one target: a message that crashes the bot.

``python -m tests.scheduler.poison_worker <database url> <worker name> <lease seconds> <poison target>``

Every other delivery is appended to ``delivery_log`` (key, worker) before it is marked sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
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


class KillingTransport:
    platform = "console"

    def __init__(self, db: Database, worker: str, poison: str) -> None:
        self.db, self.worker, self.poison = db, worker, poison

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        if channel == self.poison:
            await asyncio.sleep(0.05)  # the rows beside it are on their way too
            os.kill(os.getpid(), signal.SIGKILL)
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO delivery_log (key, worker) VALUES (:k, :w)"), {"k": key, "w": self.worker}
            )
        return SendResult(channel=channel, message_id=key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        return await self.send_channel(workspace=workspace, channel=user, reply=reply, key=key)


async def run(url: str, worker: str, lease: float, poison: str) -> None:
    db = Database(url)
    settings = Settings(database_url=url, scheduler_enabled=False, instance_id=worker, max_claims=3)
    app = App(settings=settings, kb=None, searcher=None, router=None, db=db, clock=SystemClock())  # type: ignore[arg-type]
    app.deliveries.add_kind(RISK_REVIEW)  # the rows are risk reviews; no other feature is installed
    app.transports["console"] = KillingTransport(db, worker, poison)
    scheduler = Scheduler(app, pacer=Pacer({}), batch=8, concurrency=8, lease=timedelta(seconds=lease))
    try:
        await scheduler.drain_until_empty(idle=0.05)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]))
