"""The scheduler's loop: a tick every ``poll_seconds`` (and on a wake-up), housekeeping every six hours.

APScheduler's ``AsyncIOScheduler`` with its in-memory job store only drives these two
periodic jobs; every occurrence lives in our tables. ``Scheduler`` runs with these methods.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import delete

from bot.answering.store import purge_questions
from bot.scheduler.models import OUTBOX_SENT, OUTBOX_SKIPPED, Outbox
from bot.scheduler.pacing import prune
from bot.storage import interaction_state
from bot.storage.outage import one_round

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Loop"]

log = logging.getLogger("bot.scheduler.service")


class Loop:
    """The running half of the ``Scheduler``: ``run`` ticks until cancelled; ``housekeeping`` forgets old rows."""

    app: App
    instance: str
    wake: asyncio.Event

    async def tick(self) -> object:
        """Plan and deliver once (``Scheduler.tick``)."""
        raise NotImplementedError

    async def housekeeping(self) -> None:
        """Forget delivered rows after 90 days (the digest only looks back to the last one), expired
        interaction state (button pages), idle ``send_pace`` rows, logged questions past their retention,
        and workspaces uninstalled longer than the retention period."""
        cutoff = self.app.clock.now() - timedelta(days=90)
        async with self.app.db.session() as session:
            await session.execute(
                delete(Outbox).where(Outbox.status.in_((OUTBOX_SENT, OUTBOX_SKIPPED)), Outbox.sent_at < cutoff)
            )
            await interaction_state.purge_expired(session=session, now=self.app.clock.now())
            await purge_questions(
                session, before=self.app.clock.now() - timedelta(days=self.app.settings.question_retention_days)
            )
        await prune(self.app.db, now=self.app.clock.now())
        from bot.privacy import purge_uninstalled

        purged = await purge_uninstalled(
            self.app.db, now=self.app.clock.now(), retention_days=self.app.settings.uninstall_retention_days
        )
        if purged:
            log.info("deleted the data of %d uninstalled workspace(s)", len(purged))

    async def run(self) -> None:
        """Tick now (catching up after downtime), then every ``poll_seconds`` until cancelled."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        lock = asyncio.Lock()
        in_flight: set[asyncio.Future[None]] = set()

        async def _tick_once() -> None:
            if lock.locked():
                return
            async with lock:
                await one_round(self.app.db.outage, "scheduler tick", self.tick, log, "scheduler tick failed")

        async def guarded() -> None:
            # A tick is never cancelled half-way (its database transaction would be cut off
            # while the engine closes); shutdown waits for it below instead.
            task = asyncio.ensure_future(_tick_once())
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            await asyncio.shield(task)

        async def polled() -> None:
            # Start a tick and return: a tick that runs long (the database away) is not an APScheduler job
            # still running, so the poll never logs "skipped: maximum number of running instances" each time.
            if not lock.locked():
                task = asyncio.ensure_future(_tick_once())
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)

        scheduler = AsyncIOScheduler(timezone=UTC)
        # In-memory job store only; coalesce + unlimited misfire grace so a busy loop never drops a tick.
        scheduler.add_job(
            polled,
            "interval",
            seconds=self.app.settings.poll_seconds,
            id="poll",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.add_job(
            partial(one_round, self.app.db.outage, "housekeeping run", self.housekeeping, log, "housekeeping failed"),
            "interval",
            hours=6,
            id="housekeeping",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info("scheduler started (instance %s, every %.1fs)", self.instance, self.app.settings.poll_seconds)
        try:
            await guarded()
            while True:
                await self.wake.wait()
                self.wake.clear()
                await guarded()
        finally:
            scheduler.shutdown(wait=False)
            if in_flight:
                await asyncio.wait(set(in_flight), timeout=30)
