"""Poison rows: a message whose send kills the process is dead-lettered after COS_MAX_CLAIMS lost leases.

Real worker processes (``poison_worker``) drain one outbox; their transport SIGKILLs its own
process when it reaches the poison target. Each worker that dies is replaced, as a supervisor
would restart it, until the outbox is settled.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.scheduler import outbox
from bot.scheduler.models import Outbox
from bot.storage.db import Database, migrate
from tests.world import due_risk_reviews

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20
POISON = "C7"
MAX_CLAIMS = 3  # the workers' COS_MAX_CLAIMS


async def _prepare(url: str) -> Database:
    db = Database(url)
    await migrate(db)
    now = datetime.now(UTC) - timedelta(seconds=1)
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE delivery_log (key varchar(300) not null, worker varchar(60) not null)"))
    async with db.session() as session:
        session.add_all(due_risk_reviews(ROWS, now))
    return db


async def _settled(db: Database) -> bool:
    async with db.engine.connect() as conn:
        left = (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'claimed')"))
        ).scalar_one()
    return left == 0


async def test_a_message_that_kills_its_worker_is_dead_lettered_and_the_others_are_delivered(db_url: str) -> None:
    db = await _prepare(db_url)
    try:
        deaths = 0
        for run in range(MAX_CLAIMS + 4):
            proc = subprocess.Popen(
                [sys.executable, "-m", "tests.scheduler.poison_worker", db_url, f"w{run}", "0.4", POISON],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            await asyncio.to_thread(proc.wait, 60)
            deaths += proc.returncode != 0
            if await _settled(db):
                break
            await asyncio.sleep(0.45)  # the dead worker's lease runs out
        assert await _settled(db), "the outbox never settled: the poison row is re-claimed forever"
        async with db.session() as session:
            rows = {r.target: r for r in (await session.execute(select(Outbox))).scalars()}
        async with db.engine.connect() as conn:
            delivered = [k for (k,) in (await conn.execute(text("SELECT key FROM delivery_log"))).all()]
        poison = rows.pop(POISON)
        assert (poison.status, poison.last_error) == ("dead", outbox.POISON_REASON)
        assert poison.claims == MAX_CLAIMS and poison.attempts == 1  # lost leases are not tries
        assert deaths == MAX_CLAIMS  # it killed a worker each time it was claimed, then never again
        assert {r.status for r in rows.values()} == {"sent"}  # every other row delivered...
        assert len(set(delivered)) == ROWS - 1  # ... at least once: the ones in flight beside it may repeat
        assert all(r.claims == 0 for r in rows.values())
    finally:
        await db.dispose()
