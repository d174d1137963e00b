"""The scheduler's loop: a tick every ``poll_seconds`` (and on a wake-up), housekeeping every six hours.

APScheduler's ``AsyncIOScheduler`` with its in-memory job store only drives these two
periodic jobs; every occurrence lives in our tables. ``Scheduler`` runs with these methods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from bot.answering.store import purge_questions
from bot.scheduler.models import OUTBOX_SENT, OUTBOX_SKIPPED, Outbox
from bot.scheduler.pacing import prune
from bot.storage import interaction_state
from bot.storage.outage import one_round

if TYPE_CHECKING:
    from apscheduler.events import JobEvent

    from bot.app import App

__all__ = ["Loop"]

log = logging.getLogger("bot.scheduler.service")


class _Jobs:
    """How many APScheduler jobs were submitted and have not finished, told by the scheduler's events."""

    def __init__(self, submitted: int) -> None:
        self.submitted = submitted
        self.running = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def event(self, event: JobEvent) -> None:
        self.running += 1 if event.code == self.submitted else -1
        if self.running > 0:
            self.idle.clear()
        else:
            self.idle.set()

    async def finished(self, *, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.idle.wait(), timeout)
        except TimeoutError:
            log.warning("%d scheduler job(s) still running at shutdown", self.running)


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
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED
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

        def started(work: Coroutine[Any, Any, None]) -> None:
            task = asyncio.ensure_future(work)
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)

        # The jobs only start our own tasks and return: a tick that runs long (the database away) is not an
        # APScheduler job still running (no "skipped: maximum number of running instances" on every poll), and
        # shutdown waits for the work in ``in_flight`` instead of APScheduler cancelling it half-way.
        async def polled() -> None:
            if not lock.locked():
                started(_tick_once())

        async def housekeeping() -> None:
            started(one_round(self.app.db.outage, "housekeeping run", self.housekeeping, log, "housekeeping failed"))

        jobs = _Jobs(EVENT_JOB_SUBMITTED)

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
            housekeeping,
            "interval",
            hours=6,
            id="housekeeping",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.add_listener(jobs.event, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.start()
        log.info("scheduler started (instance %s, every %.1fs)", self.instance, self.app.settings.poll_seconds)
        try:
            await guarded()
            while True:
                await self.wake.wait()
                self.wake.clear()
                await guarded()
        finally:
            # No new job; the ones submitted (each only starts a task) finish, so shutting the scheduler down
            # cancels none of them (APScheduler logs a cancelled job as an error, with its traceback).
            scheduler.pause()
            await jobs.finished(timeout=5)
            scheduler.shutdown(wait=False)
            if in_flight:
                await asyncio.wait(set(in_flight), timeout=30)
