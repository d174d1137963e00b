"""The question log is written behind the answer: ids made here, rows queued in memory, written in batches.

The asker never waits for bookkeeping. ``record`` returns the new question's id at once (the 👍/👎 buttons
carry it) and queues the row; a background task writes what is queued in one transaction every
``FLUSH_SECONDS``, or sooner when ``FLUSH_ROWS`` are waiting. A vote on a question still queued flushes first;
the readers of the log (gaps, stats, forget-me) call ``flush`` before they read, so an admin sees what was just
asked. ``close`` writes the rest on a clean shutdown.

While the database is away rows stay queued, up to ``max_pending``; past that the oldest are dropped and
counted (``cos_questions_dropped_total``). What a SIGKILL can lose is what was queued: at most ``FLUSH_ROWS``
rows or ``FLUSH_SECONDS`` of questions while the database answers, at most ``max_pending`` while it does not.

Ids are 64-bit: milliseconds since 2020 in the high bits and 22 random bits, so replicas need no coordination
and ids still sort by time (two replicas collide only by drawing the same 22 bits in the same millisecond).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert

from bot.answering.models import KnowledgeQuestion
from bot.ops.observe import served_metrics

if TYPE_CHECKING:
    from bot.storage.db import Database

__all__ = ["QuestionJournal", "new_question_id", "FLUSH_ROWS", "FLUSH_SECONDS", "MAX_PENDING"]

log = logging.getLogger(__name__)

FLUSH_ROWS = 200
FLUSH_SECONDS = 0.25
MAX_PENDING = 10_000
_EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
_RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
_LOW_BITS = (1 << 22) - 1


# The low 22 bits count up from a random start: never the same twice in this process (4 million ids a
# millisecond would be needed), and as unlikely to meet another replica's as 22 random bits are.
_sequence = itertools.count(secrets.randbits(22))


def new_question_id() -> int:
    """A fresh question id: time-ordered, unique across replicas without asking the database."""
    return ((time.time_ns() // 1_000_000 - _EPOCH_MS) << 22) | (next(_sequence) & _LOW_BITS)


def _insert_once(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` of question rows, in the database's own dialect. A Core insert into
    the table (an executemany), not the ORM's bulk path: the writer shares the event loop with the answers, and
    the ORM's per-row bookkeeping costs several times the CPU."""
    table = cast(Table, KnowledgeQuestion.__table__)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["id"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["id"])
    return insert(table)


@dataclass(slots=True)
class _Row:
    values: dict[str, Any]
    # Computed when the row is written, off the answer path (the decision's evidence for the gaps queue).
    scored: Callable[[], tuple[str | None, float | None]] | None = None

    def finished(self) -> dict[str, Any]:
        if self.scored is not None:
            try:
                top, score = self.scored()
            except Exception:
                log.warning("question score not computed", exc_info=True)
                top, score = self.values["top_entry"], None
            self.values["top_entry"] = self.values["top_entry"] or top
            self.values["score"] = score
            self.scored = None
        return self.values


class QuestionJournal:
    """Queues question rows and writes them behind the answers."""

    def __init__(self, db: Database, *, max_pending: int = MAX_PENDING) -> None:
        self.db = db
        self.max_pending = max_pending
        self.dropped = 0
        self._queue: deque[_Row] = deque()
        self._ids: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self._failing_since: float | None = None
        self._closed = False

    # -- the answer path: memory only -------------------------------------------------------------
    def record(
        self,
        *,
        platform: str,
        workspace: str,
        user: str,
        command: str,
        text: str,
        matched: bool,
        shown: Sequence[str],
        now: datetime,
        top_entry: str | None = None,
        scored: Callable[[], tuple[str | None, float | None]] | None = None,
    ) -> int:
        """Queue one question; returns its id. ``scored`` (top entry, score) runs when the row is written."""
        question_id = new_question_id()
        values = {
            "id": question_id,
            "platform": platform,
            "workspace": workspace,
            "user": user[:120],
            "command": command[:16],
            "text": text[:500],
            "matched": matched,
            "top_entry": top_entry,
            "score": None,
            "shown": json.dumps(list(shown)[:10]),
            "asked_at": now,
        }
        self._queue.append(_Row(values, scored))
        self._ids.add(question_id)
        while len(self._queue) > self.max_pending:
            lost = self._queue.popleft()
            self._ids.discard(lost.values["id"])
            self._count_dropped(1)
        self._kick(urgent=len(self._queue) >= FLUSH_ROWS)
        return question_id

    def pending(self, question_id: int) -> bool:
        """True while ``question_id`` is queued and not yet written."""
        return question_id in self._ids

    def __len__(self) -> int:
        return len(self._queue)

    # -- writing --------------------------------------------------------------------------------
    async def flush(self) -> int:
        """Write everything queued now, in one transaction; returns how many rows. Raises when the database
        does not take them (they stay queued for the next try)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._queue:
                return 0
            batch = list(self._queue)
            rows = []
            for n, row in enumerate(batch, 1):
                rows.append(row.finished())
                if n % 16 == 0:
                    await asyncio.sleep(0)  # scoring a batch never holds the answers back
            async with self.db.session() as session:
                # Two replicas drawing one id in one millisecond: the later row is dropped, not the batch.
                await session.execute(_insert_once(self.db.engine.dialect.name), rows)
            written = {id(row) for row in batch}  # rows may have come, or the oldest gone, meanwhile
            self._queue = deque(row for row in self._queue if id(row) not in written)
            for row in batch:
                self._ids.discard(row.values["id"])
            return len(batch)

    async def flush_quietly(self) -> None:
        """``flush`` for readers that can do without the newest rows: a failure is logged, not raised."""
        try:
            await self.flush()
        except Exception as exc:  # noqa: BLE001 - the reader goes on with what is written
            log.warning("question log not flushed: %s", type(exc).__name__)

    def _kick(self, *, urgent: bool) -> None:
        if self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a synchronous caller): ``close`` or the next record writes it
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="question-journal")
        if urgent:
            self._wake.set()

    async def _run(self) -> None:
        assert self._wake is not None
        failures = 0
        while self._queue:
            delay = FLUSH_SECONDS if failures == 0 else _RETRY_SECONDS[min(failures, len(_RETRY_SECONDS)) - 1]
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._closed:
                return  # ``close`` writes what is left
            try:
                await self.flush()
            except Exception as exc:  # noqa: BLE001 - kept queued, tried again with a longer wait
                failures += 1
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    log.warning(
                        "question log: the database does not take rows (%s); %d queued, kept in memory up to %d",
                        type(exc).__name__,
                        len(self._queue),
                        self.max_pending,
                    )
                continue
            if self._failing_since is not None:
                log.info(
                    "question log: written again after %.0f s (%d tries failed, %d dropped so far)",
                    time.monotonic() - self._failing_since,
                    failures,
                    self.dropped,
                )
                self._failing_since = None
            failures = 0

    def _count_dropped(self, n: int) -> None:
        self.dropped += n
        metrics = served_metrics()
        if metrics is not None:
            metrics.QUESTIONS_DROPPED.inc(n)

    async def close(self, *, timeout: float = 5.0) -> None:
        """Stop the writer and write what is queued (a clean shutdown loses nothing the database takes)."""
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            # The writer is asked to stop, not cancelled: cut off inside ``flush`` its connection would be reset
            # half-way while the engine closes. Waiting, it stops at once; writing, it finishes that batch.
            if self._wake is not None:
                self._wake.set()
            await asyncio.wait([task], timeout=timeout)
            if not task.done():
                task.cancel()  # the database hangs: the final flush below reports what is lost
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the final flush below is what counts
                pass
        if not self._queue:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - reported with the count that is lost
            self._count_dropped(len(self._queue))
            log.warning("question log: %d rows not written at shutdown (%s)", len(self._queue), type(exc).__name__)
