"""Mark sent rows in batches: one fenced statement for many deliveries instead of one transaction each.

A delivery that finished hands its mark to ``MarkBatcher.sent`` and waits for
the outcome (still ours, or re-claimed meanwhile). The batch is written when
``size`` marks are waiting or ``delay`` seconds after the first one, whichever
comes first, so a lone delivery waits a few milliseconds at most. Until its
batch is written a row counts as in flight: a crash then repeats it, exactly
as a crash between a send and its single ``mark_sent`` did, only the window is
a few milliseconds longer.
"""

from __future__ import annotations

import asyncio
import logging

from bot.scheduler import outbox
from bot.storage.db import Database

__all__ = ["MarkBatcher"]

log = logging.getLogger(__name__)


class MarkBatcher:
    """Collects ``SentMark``s and writes them with ``outbox.mark_sent_many``."""

    def __init__(self, db: Database, *, size: int = 64, delay: float = 0.005) -> None:
        self.db = db
        self.size = max(1, size)
        self.delay = max(0.0, delay)
        self._waiting: list[tuple[outbox.SentMark, asyncio.Future[bool]]] = []
        self._timer: asyncio.Task[None] | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def sent(self, mark: outbox.SentMark) -> bool:
        """Mark ``mark.row`` sent; True when it was still ours (False: re-claimed, nothing changed)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((mark, future))
        if len(self._waiting) >= self.size:
            self._start_flush()
        elif self._timer is None:
            self._timer = asyncio.ensure_future(self._later())
        return await asyncio.shield(future)

    async def _later(self) -> None:
        try:
            await asyncio.sleep(self.delay)
        finally:
            self._timer = None
        self._start_flush()

    def _start_flush(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        task = asyncio.ensure_future(self._write(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _write(self, batch: list[tuple[outbox.SentMark, asyncio.Future[bool]]]) -> None:
        try:
            done = await outbox.mark_sent_many(self.db, [m for m, _ in batch])
        except Exception as exc:
            log.warning("marking %d deliveries sent failed", len(batch), exc_info=True)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for mark, future in batch:
            if not future.done():
                future.set_result(mark.row.id in done)

    async def flush(self) -> None:
        """Write whatever waits now, and wait for every write under way."""
        self._start_flush()
        if self._flushes:
            await asyncio.gather(*list(self._flushes), return_exceptions=True)
