"""Batched outbox writes: marks fenced row by row in one statement; idle send_pace rows pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.scheduler import outbox
from bot.scheduler.models import Outbox, SendPace
from bot.scheduler.pacing import prune
from bot.storage.db import Database, migrate
from tests.world import World, due_risk_reviews

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _rows(db: Database, n: int) -> None:
    async with db.session() as session:
        session.add_all(due_risk_reviews(n, NOW))


async def test_a_batch_of_marks_is_fenced_row_by_row(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db)
        await _rows(db, 4)
        rows = await outbox.claim(db, token="mine", now=NOW, limit=3, lease=timedelta(seconds=30))
        assert len(rows) == 3 and {r.attempts for r in rows} == {1}
        # One of them was taken over by another worker meanwhile (this one's lease ran out).
        async with db.session() as session:
            await session.execute(update(Outbox).where(Outbox.id == rows[1].id).values(claimed_by="theirs"))
        marks = [
            outbox.SentMark(row=r, at=NOW + timedelta(seconds=i), fallback=i == 2, note="n" if i == 2 else None)
            for i, r in enumerate(rows)
        ]
        done = await outbox.mark_sent_many(db, marks)
        assert done == {rows[0].id, rows[2].id}
        async with db.session() as session:
            stored = {o.id: o for o in (await session.execute(select(Outbox))).scalars()}
        assert (stored[rows[0].id].status, stored[rows[0].id].sent_at, stored[rows[0].id].claims) == ("sent", NOW, 0)
        assert (stored[rows[2].id].fallback, stored[rows[2].id].last_error) == (True, "n")
        assert (stored[rows[1].id].status, stored[rows[1].id].claimed_by) == ("claimed", "theirs")  # not ours
        assert sum(o.status == "pending" for o in stored.values()) == 1  # the unclaimed row is untouched
        assert await outbox.mark_sent_many(db, []) == set()
    finally:
        await db.dispose()


async def test_a_claim_takes_no_more_than_its_limit_and_suspects_only_when_asked(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db)
        await _rows(db, 5)
        first = await outbox.claim(db, token="a", now=NOW, limit=2, lease=timedelta(seconds=10), suspects=False)
        assert len(first) == 2
        later = NOW + timedelta(seconds=11)  # a's lease ran out: its rows are suspects now
        pending = await outbox.claim(db, token="b", now=later, limit=10, lease=timedelta(seconds=10), suspects=False)
        assert len(pending) == 3 and not {r.id for r in pending} & {r.id for r in first}
        suspects = await outbox.claim(db, token="c", now=later, limit=1, lease=timedelta(seconds=10), suspects=True)
        assert len(suspects) == 1 and suspects[0].id in {r.id for r in first}
        assert suspects[0].attempts == 1  # a lost lease is not a try
    finally:
        await db.dispose()


async def test_housekeeping_prunes_idle_send_pace_rows(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db)
        async with db.session() as session:
            session.add_all(
                [
                    SendPace(platform="slack", scope="ch:T1:old", next_at=NOW - timedelta(hours=2)),
                    SendPace(platform="slack", scope="ch:T1:fresh", next_at=NOW - timedelta(minutes=5)),
                    SendPace(
                        platform="slack", scope="ws:T1", next_at=NOW - timedelta(days=10), rate=17.0, ceiling=19.0
                    ),
                    SendPace(platform="slack", scope="ws:T2", next_at=NOW - timedelta(days=40), rate=6.0),
                ]
            )
        assert await prune(db, now=NOW) == 2
        async with db.session() as session:
            left = {p.scope: p.rate for p in (await session.execute(select(SendPace))).scalars()}
        assert left == {"ch:T1:fresh": None, "ws:T1": 17.0}  # a learned rate outlives a weekly digest's gap
    finally:
        await db.dispose()


async def test_the_scheduler_housekeeping_runs_the_pruning(world: World) -> None:
    now = world.clock.now()
    async with world.app.db.session() as session:
        session.add(SendPace(platform="slack", scope="ch:T1:C1", next_at=now - timedelta(hours=3)))
    await world.scheduler.housekeeping()
    async with world.app.db.session() as session:
        assert (await session.execute(select(SendPace))).scalars().all() == []
