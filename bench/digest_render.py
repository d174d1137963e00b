"""Rendering digests due together: CPU per digest when each is rendered alone and as claimed batches. Prints JSON.

Monday 09:00: one digest per channel falls due in many channels at once. The scheduler renders a
claimed batch (up to 64 rows) in one session; digests of one workspace in a batch share what does
not depend on their channel (stage and milestones, risk register, dead letters, absences, the
service tip). Two shapes are measured, each with the same rows rendered both ways:

* ``one_workspace``: 300 channels of one workspace (a large team's fan-out);
* ``many_workspaces``: 300 channels spread over 100 workspaces, 3 each (a hosted bot's Monday).

Each workspace has a stage, milestones due, a risk register and an absence, so every part of a
digest is there to render. Figures are the median of 3 rounds of CPU time (``time.process_time``)
per digest, database included only as far as it runs in this process (SQLite by default).

    python bench/digest_render.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/digest_render.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch_db import drop_database, fresh_database
from sqlalchemy import insert

from bot.app import build_app
from bot.kernel.clock import FakeClock
from bot.kernel.request import Request
from bot.kernel.router import parse_line
from bot.kernel.settings import Settings, _normalise_db_url
from bot.scheduler import outbox
from bot.scheduler.models import Outbox
from bot.team.models import Absence, RiskItem

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BATCH = 64  # the scheduler's default claim


async def _setup(url: str, workspaces: int, channels: int) -> tuple[object, list[outbox.OutboxRow]]:
    app = await build_app(Settings(database_url=url, scheduler_enabled=False), clock=FakeClock(NOW))
    names = [f"W{i:03d}" for i in range(workspaces)]
    for ws in names:
        for line in ("/cos-service stage early since 2026-03", "/cos-service milestone date 1 2026-03-05"):
            command, text = parse_line(line) or ("", "")
            await app.router.handle(
                Request(
                    platform="console",
                    workspace=ws,
                    channel="C0",
                    user="UADMIN",
                    role="admin",
                    tz=None,
                    is_dm=False,
                    command=command,
                    text=text,
                )
            )
    async with app.db.session() as session:
        session.add_all(
            [
                RiskItem(
                    platform="console",
                    workspace=ws,
                    topic_id=f"t{n}",
                    title=f"{ws} topic {n}",
                    kind="legal",
                    last_review_at=None,
                    rating=None,
                    updated_at=NOW,
                )
                for ws in names
                for n in range(4)
            ]
        )
        session.add_all(
            [
                Absence(
                    platform="console",
                    workspace=ws,
                    user="U1001",
                    start_on=NOW.date(),
                    end_on=NOW.date() + timedelta(days=2),
                    note=None,
                    set_by="UADMIN",
                    created_at=NOW,
                )
                for ws in names
            ]
        )
        await session.execute(
            insert(Outbox),
            [
                dict(
                    key=f"digest:console:{ws}:0:C{i}",
                    platform="console",
                    workspace=ws,
                    schedule_id=None,
                    kind="digest",
                    target_type="channel",
                    target=f"C{i}",
                    channel=f"C{i}",
                    due_at=NOW,
                    tz="UTC",
                    payload="{}",
                    status="pending",
                    attempts=0,
                    next_attempt_at=NOW,
                    fallback=False,
                    created_at=NOW,
                )
                for i in range(channels)
                for ws in [names[i % workspaces]]
            ],
        )
    rows = await outbox.claim(app.db, token="bench", now=NOW, limit=channels, lease=timedelta(minutes=5))
    return app, rows


async def _alone(app, rows: list[outbox.OutboxRow]) -> float:  # type: ignore[no-untyped-def]
    cpu = time.process_time()
    for r in rows:
        async with app.db.session() as session:
            await app.deliveries.render(app, session, r, NOW)
    return (time.process_time() - cpu) * 1000 / len(rows)


async def _batched(app, rows: list[outbox.OutboxRow]) -> float:  # type: ignore[no-untyped-def]
    cpu = time.process_time()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        async with app.db.session() as session:
            loaded = await app.deliveries.prefetch(session, batch)
            for r in batch:
                await app.deliveries.render(app, session, r, NOW, loaded)
    return (time.process_time() - cpu) * 1000 / len(rows)


async def _shape(base: str | None, workspaces: int, channels: int) -> dict[str, object]:
    tmp = tempfile.TemporaryDirectory()
    url = await fresh_database(base, prefix="cos_bench_") if base else f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    try:
        app, rows = await _setup(url, workspaces, channels)
        try:
            await _alone(app, rows[:BATCH])  # warm-up: statement caches, first imports
            alone, batched = [], []
            for _ in range(3):
                alone.append(await _alone(app, rows))
                batched.append(await _batched(app, rows))
        finally:
            await app.close()  # type: ignore[attr-defined]
    finally:
        if base:
            await drop_database(base, url)
        tmp.cleanup()
    a, b = statistics.median(alone), statistics.median(batched)
    return {
        "workspaces": workspaces,
        "channels": channels,
        "cpu_ms_per_digest_alone": round(a, 2),
        "cpu_ms_per_digest_batched": round(b, 2),
        "batched_to_alone": round(b / a, 3),
        "alone_runs": [round(x, 2) for x in alone],
        "batched_runs": [round(x, 2) for x in batched],
    }


async def main_async(base: str | None) -> dict[str, object]:
    return {
        "database": "postgresql" if base else "sqlite",
        "batch": BATCH,
        "one_workspace": await _shape(base, 1, 300),
        "many_workspaces": await _shape(base, 100, 300),
    }


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    base = _normalise_db_url(url) if url else None
    print(json.dumps(asyncio.run(main_async(base))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
