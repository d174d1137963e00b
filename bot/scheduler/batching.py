"""Mark sent rows in batches: one fenced statement for many deliveries instead of one transaction each.

A delivery that finished hands its mark to ``MarkBatcher.sent`` and waits for
the outcome (still ours, or re-claimed meanwhile). Writes are group commits:
one at a time, each taking every mark that arrived while the one before it
ran (at most ``size``), after waiting ``linger`` seconds for more (the
scheduler waits 2 ms). Under load batches grow by themselves, so a busy worker
spends fewer statements, and fewer database connections, per row. Until its batch is written a row counts
as in flight: a crash then repeats it, exactly as a crash between a send and
its single ``mark_sent`` did, only the window is one write longer.
"""

from __future__ import annotations

import asyncio
import logging

from bot.scheduler import outbox
from bot.storage.db import Database
from bot.storage.outage import unavailable_cause

__all__ = ["MarkBatcher"]

log = logging.getLogger(__name__)


class MarkBatcher:
    """Collects ``SentMark``s and writes them with ``outbox.mark_sent_many``, one write at a time."""

    def __init__(self, db: Database, *, size: int = 256, linger: float = 0.0) -> None:
        self.db = db
        self.size = max(1, size)
        self.linger = max(0.0, linger)
        self.writes = 0  # statements written (for tests and benchmarks)
        self._waiting: list[tuple[outbox.SentMark, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def sent(self, mark: outbox.SentMark) -> bool:
        """Mark ``mark.row`` sent; True when it was still ours (False: re-claimed, nothing changed)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((mark, future))
        if self._writer is None:
            self._writer = asyncio.ensure_future(self._write_all())
        return await asyncio.shield(future)

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                if self.linger:
                    await asyncio.sleep(self.linger)
                batch, self._waiting = self._waiting[: self.size], self._waiting[self.size :]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[outbox.SentMark, asyncio.Future[bool]]]) -> None:
        self.writes += 1
        try:
            done = await outbox.mark_sent_many(self.db, [m for m, _ in batch])
        except Exception as exc:
            if (cause := unavailable_cause(exc)) is not None:
                self.db.outage.down(cause)  # logged once per outage; the deliveries report it too
            else:
                log.warning("marking %d deliveries sent failed", len(batch), exc_info=True)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for mark, future in batch:
            if not future.done():
                future.set_result(mark.row.id in done)

    async def flush(self) -> None:
        """Wait until every mark handed over so far is written."""
        while self._writer is not None:
            await asyncio.shield(self._writer)
