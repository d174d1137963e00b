"""Marks are group commits: one write at a time, each taking what arrived meanwhile, fenced row by row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from bot.scheduler import outbox
from bot.scheduler.batching import MarkBatcher
from bot.scheduler.models import Outbox
from bot.storage.db import Database, migrate
from tests.world import due_risk_reviews

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _claimed(db: Database, n: int) -> list[outbox.OutboxRow]:
    async with db.session() as session:
        session.add_all(due_risk_reviews(n, NOW))
    return await outbox.claim(db, token="mine", now=NOW, limit=n, lease=timedelta(seconds=30))


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'marks.db'}")
    await migrate(database)
    yield database
    await database.dispose()


async def test_marks_that_arrive_together_are_one_write_and_each_is_fenced(db: Database) -> None:
    rows = await _claimed(db, 20)
    async with db.session() as session:  # another worker took row 3 over meanwhile
        await session.execute(update(Outbox).where(Outbox.id == rows[3].id).values(claimed_by="theirs"))
    batcher = MarkBatcher(db)
    results = await asyncio.gather(*(batcher.sent(outbox.SentMark(row=r, at=NOW)) for r in rows))
    assert batcher.writes == 1
    assert results == [i != 3 for i in range(20)]
    async with db.session() as session:
        statuses = dict((await session.execute(select(Outbox.id, Outbox.status))).all())
    assert statuses[rows[3].id] == "claimed" and sum(s == "sent" for s in statuses.values()) == 19


async def test_a_lone_mark_is_written_at_once_and_later_ones_join_the_next_write(db: Database) -> None:
    rows = await _claimed(db, 11)
    batcher = MarkBatcher(db)
    assert await batcher.sent(outbox.SentMark(row=rows[0], at=NOW)) is True  # no timer to wait for
    assert batcher.writes == 1
    first = asyncio.ensure_future(batcher.sent(outbox.SentMark(row=rows[1], at=NOW)))
    for _ in range(3):  # let the second write start: it then waits for the database
        await asyncio.sleep(0)
    assert batcher.writes == 2 and batcher._writer is not None
    later = [asyncio.ensure_future(batcher.sent(outbox.SentMark(row=r, at=NOW))) for r in rows[2:]]
    assert await first is True and all(await asyncio.gather(*later))
    assert batcher.writes == 3  # the nine that came during the second write went together in the third
    await batcher.flush()


async def test_a_write_takes_at_most_size_marks(db: Database) -> None:
    rows = await _claimed(db, 20)
    batcher = MarkBatcher(db, size=8)
    assert all(await asyncio.gather(*(batcher.sent(outbox.SentMark(row=r, at=NOW)) for r in rows)))
    assert batcher.writes == 3


async def test_a_failed_write_fails_every_mark_in_it_and_the_next_write_still_runs(db: Database) -> None:
    rows = await _claimed(db, 3)
    batcher = MarkBatcher(db)
    async with db.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE outbox RENAME TO outbox_away"))
    results = await asyncio.gather(
        *(batcher.sent(outbox.SentMark(row=r, at=NOW)) for r in rows[:2]), return_exceptions=True
    )
    assert all(isinstance(r, Exception) for r in results)
    async with db.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE outbox_away RENAME TO outbox"))
    assert await batcher.sent(outbox.SentMark(row=rows[2], at=NOW)) is True
    await batcher.flush()
    assert batcher._writer is None


async def test_with_a_linger_marks_that_come_soon_after_the_first_share_its_write(db: Database) -> None:
    rows = await _claimed(db, 6)
    batcher = MarkBatcher(db, linger=0.05)
    first = asyncio.ensure_future(batcher.sent(outbox.SentMark(row=rows[0], at=NOW)))
    await asyncio.sleep(0.01)  # within the linger: no write has started yet
    assert batcher.writes == 0
    rest = [asyncio.ensure_future(batcher.sent(outbox.SentMark(row=r, at=NOW))) for r in rows[1:]]
    assert await first is True and all(await asyncio.gather(*rest))
    assert batcher.writes == 1
