"""Handled-once records of platform events (Slack ``event_id``s): a retry or duplicate is seen as such."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.kernel.clock import Clock
from bot.storage.db import Database
from bot.storage.models import ProcessedEvent
from bot.storage.outage import one_round
from bot.storage.sql import affected

__all__ = ["EventLog"]

log = logging.getLogger(__name__)


class EventLog:
    """The ``processed_event`` rows of one platform, shared by every replica through the database."""

    def __init__(self, db: Database, clock: Clock, *, platform: str) -> None:
        self.db, self.clock, self.platform = db, clock, platform

    async def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; False when it was already handled (a retry, a duplicate, another replica's).

        When the database cannot record it the event is handled: answering twice beats not answering.
        """
        try:
            async with self.db.session() as session:
                session.add(
                    ProcessedEvent(platform=self.platform, event_id=event_id[:200], received_at=self.clock.now())
                )
            return True
        except IntegrityError:
            log.debug("%s: %s already handled", self.platform, event_id)
            return False
        except Exception as exc:  # noqa: BLE001 - de-duplication must not drop an answer
            log.warning("%s: could not record %s (%s); handling it anyway", self.platform, event_id, type(exc).__name__)
            return True

    async def forget(self, event_id: str) -> None:
        """Let a retry of ``event_id`` be handled again (its first handling failed)."""
        try:
            async with self.db.session() as session:
                await session.execute(
                    delete(ProcessedEvent).where(
                        ProcessedEvent.platform == self.platform, ProcessedEvent.event_id == event_id[:200]
                    )
                )
        except Exception:
            log.exception("could not release event %s", event_id)

    async def prune(self, *, older_than: timedelta) -> int:
        """Delete the rows received before ``now - older_than``; returns how many."""
        cutoff = self.clock.now() - older_than
        async with self.db.session() as session:
            return affected(
                await session.execute(
                    delete(ProcessedEvent).where(
                        ProcessedEvent.platform == self.platform, ProcessedEvent.received_at < cutoff
                    )
                )
            )

    async def keep_pruned(self, *, older_than: timedelta, interval: float) -> None:
        """Prune now and every ``interval`` seconds until cancelled; a failure waits for the next round.

        A round is one of the database's background rounds (``one_round``): while the database is
        unavailable it is counted in the outage's two log lines, not logged each time; a round that
        prunes again ends the outage. A bug is logged with its traceback. A prune under way finishes
        before the cancellation is taken (its transaction is not cut off).
        """
        from bot.app import finish_before_cancel

        async def prune() -> None:
            removed = await finish_before_cancel(self.prune(older_than=older_than))
            if removed:
                log.info("pruned %d old %s event ids", removed, self.platform)

        what = f"{self.platform} event-id prune"
        message = f"could not prune old {self.platform} event ids"
        while True:
            await one_round(self.db.outage, what, prune, log, message)
            await asyncio.sleep(interval)
